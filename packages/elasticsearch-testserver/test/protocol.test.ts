import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { Client, errors } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { startElasticsearchTestServer } from '../src/index.js';
import { ndjson, useServer } from './support.js';

describe('protocol: what the official client needs to accept the server as Elasticsearch 8', () => {
  const t = useServer();

  it('answers GET / with cluster info and the product header, so client.info() succeeds', async () => {
    const info = await t.client.info();
    expect(info.version).toMatchObject({ number: '8.19.2', build_flavor: 'default' });
    expect(info.tagline).toBe('You Know, for Search');
    expect(t.server.requests[0]?.headers['accept']).toMatch(/compatible-with=8/);
  });

  it('reports the configured version', async () => {
    const other = await startElasticsearchTestServer({ version: '8.11.0' });
    const client = new Client({ node: other.url });
    try {
      expect((await client.info()).version.number).toBe('8.11.0');
    } finally {
      await client.close();
      await other.close();
    }
  });

  it('sends x-elastic-product on success and error answers, and echoes the compatible-with media type', async () => {
    const compat = await fetch(`${t.server.url}/`, { headers: { accept: 'application/vnd.elasticsearch+json; compatible-with=8' } });
    expect(compat.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(compat.headers.get('content-type')).toBe('application/vnd.elasticsearch+json;compatible-with=8');
    const plain = await fetch(`${t.server.url}/missing/_count`);
    expect(plain.status).toBe(404);
    expect(plain.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toEqual({
      error: {
        root_cause: [expect.objectContaining({ type: 'index_not_found_exception', reason: 'no such index [missing]' })],
        type: 'index_not_found_exception',
        reason: 'no such index [missing]',
        'resource.type': 'index_or_alias',
        'resource.id': 'missing',
        index_uuid: '_na_',
        index: 'missing',
      },
      status: 404,
    });
  });

  it('refuses a 9.x client media type with 400 media_type_header_exception, as an 8.x node does', async () => {
    const res = await fetch(`${t.server.url}/`, { headers: { accept: 'application/vnd.elasticsearch+json; compatible-with=9' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; caused_by: { reason: string } } };
    expect(body.error.type).toBe('media_type_header_exception');
    expect(body.error.caused_by.reason).toMatch(/found 9/);
  });

  it('refuses a body sent as text/plain with 406, as the REST layer does', async () => {
    const res = await fetch(`${t.server.url}/_bulk`, { method: 'POST', body: ndjson([{ index: { _index: 'a' } }, { x: 1 }]) });
    expect(res.status).toBe(406);
    expect(await res.json()).toEqual({ error: 'Content-Type header [text/plain;charset=UTF-8] is not supported', status: 406 });
    expect(t.server.indices()).toEqual([]);
  });

  it('answers an unknown endpoint with an Elasticsearch-shaped 400, and a wrong method with 405', async () => {
    const unknown = await fetch(`${t.server.url}/_nope/x`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { type: string; reason: string } }).error).toMatchObject({
      type: 'illegal_argument_exception',
      reason: 'no handler found for uri [/_nope/x] and method [GET]',
    });
    const wrongMethod = await fetch(`${t.server.url}/_bulk`);
    expect(wrongMethod.status).toBe(405);
  });

  it('accepts gzip request bodies (client compression) and logs the bytes as sent', async () => {
    const gz = new Client({ node: t.server.url, compression: true, maxRetries: 0 });
    try {
      const docs = Array.from({ length: 50 }, (_, i) => [
        { index: { _index: 'gz', _id: String(i) } },
        { text: 'the same words again and again '.repeat(5) },
      ]).flat();
      const r = await gz.bulk({ operations: docs });
      expect(r.errors).toBe(false);
      expect(t.server.documents('gz').size).toBe(50);
      const logged = t.server.requests.find((q) => q.path.startsWith('/_bulk'));
      expect(logged?.headers['content-encoding']).toBe('gzip');
      expect(logged?.bodyBytes).toBeLessThan(Buffer.byteLength(ndjson(docs)) / 4);
    } finally {
      await gz.close();
    }
    const broken = await fetch(`${t.server.url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      body: gzipSync('x').subarray(0, 5),
    });
    expect(broken.status).toBe(400);
    expect(t.server.requests.at(-1)).toMatchObject({ method: 'POST', path: '/_bulk', bodyBytes: 5 });
  });

  it('records every request with method, path and query, lower-case headers and body size', async () => {
    await t.client.indices.refresh({ index: '_all', ignore_unavailable: true });
    expect(t.server.requests.at(-1)).toMatchObject({ method: 'GET', path: '/_all/_refresh?ignore_unavailable=true', bodyBytes: 0 });
    await t.client.bulk({ operations: [{ index: { _index: 'r' } }, { v: 1 }] });
    expect(t.server.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/_bulk',
      bodyBytes: Buffer.byteLength(ndjson([{ index: { _index: 'r' } }, { v: 1 }])),
    });
    expect(Object.keys(t.server.requests.at(-1)?.headers ?? {}).every((k) => k === k.toLowerCase())).toBe(true);
  });
});

describe('protocol: reachability', () => {
  const t = useServer({}, { requestTimeout: 1000 });

  it('is unreachable while down (ConnectionError), then serves again', async () => {
    t.server.setDown(true);
    await expect(t.client.info()).rejects.toBeInstanceOf(errors.ConnectionError);
    t.server.setDown(false);
    expect((await t.client.info()).cluster_name).toBe('qcs-export-test');
  });

  it('destroys connections already open when it goes down, so a kept-alive socket cannot reach it either', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        request(`${t.server.url}/`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
          .on('error', reject)
          .end();
      });
    try {
      expect(await get()).toBe(200);
      expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
      t.server.setDown(true);
      await expect(get()).rejects.toThrow();
    } finally {
      agent.destroy();
    }
  });

  it('binds to 127.0.0.1 only', () => {
    expect(t.server.url).toBe(`http://127.0.0.1:${t.server.port}`);
  });
});
