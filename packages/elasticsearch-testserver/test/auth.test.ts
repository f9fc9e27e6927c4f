import { Client, errors } from '@elastic/elasticsearch';
import { afterEach, describe, expect, it } from 'vitest';
import { type EsTestServer, startElasticsearchTestServer } from '../src/index.js';

describe('authentication', () => {
  let server: EsTestServer | undefined;
  const clients: Client[] = [];
  const client = (auth?: ConstructorParameters<typeof Client>[0]['auth']) => {
    const c = new Client({ node: (server as EsTestServer).url, maxRetries: 0, ...(auth ? { auth } : {}) });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.close();
  });

  it('accepts any request when no auth is configured, even one with credentials', async () => {
    server = await startElasticsearchTestServer();
    expect((await client().info()).cluster_name).toBe('qcs-export-test');
    expect((await client({ apiKey: 'whatever' }).info()).cluster_name).toBe('qcs-export-test');
  });

  it('with auth.apiKey: refuses a client without it (401 security_exception, www-authenticate) and accepts one with it', async () => {
    server = await startElasticsearchTestServer({ auth: { apiKey: 'aWQ6a2V5' } });
    const err = await client()
      .info()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ResponseError);
    const response = err as errors.ResponseError;
    expect(response.statusCode).toBe(401);
    expect(response.body).toMatchObject({
      error: { type: 'security_exception', reason: expect.stringMatching(/missing authentication credentials/) },
      status: 401,
    });
    expect(String(response.meta.headers?.['www-authenticate'])).toMatch(/ApiKey/);
    await expect(client({ apiKey: 'd3Jvbmc=' }).info()).rejects.toMatchObject({ statusCode: 401 });
    expect((await client({ apiKey: 'aWQ6a2V5' }).info()).cluster_name).toBe('qcs-export-test');
    expect(server.requests.at(-1)?.headers['authorization']).toBe('ApiKey aWQ6a2V5');
  });

  it('accepts basic credentials and a bearer token when configured, and nothing else', async () => {
    server = await startElasticsearchTestServer({ auth: { username: 'elastic', password: 'pa:ss', bearer: 'tok' } });
    expect((await client({ username: 'elastic', password: 'pa:ss' }).info()).cluster_name).toBe('qcs-export-test');
    expect((await client({ bearer: 'tok' }).info()).cluster_name).toBe('qcs-export-test');
    await expect(client({ username: 'elastic', password: 'nope' }).info()).rejects.toMatchObject({ statusCode: 401 });
    await expect(client({ apiKey: 'tok' }).info()).rejects.toMatchObject({ statusCode: 401 });
  });

  it('asks for credentials on every endpoint, bulk included, and stores nothing unauthenticated', async () => {
    server = await startElasticsearchTestServer({ auth: { apiKey: 'k' } });
    await expect(client().bulk({ operations: [{ index: { _index: 'a' } }, { x: 1 }] })).rejects.toMatchObject({ statusCode: 401 });
    expect(server.indices()).toEqual([]);
    expect(server.stats.bulkRequests).toBe(0);
  });
});
