import { Client, errors } from '@elastic/elasticsearch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startElasticsearchTestServer, type EsTestServer } from '../src/index.js';

describe('elasticsearch test server, driven by the official client', () => {
  let server: EsTestServer;
  let client: Client;
  beforeEach(async () => {
    server = await startElasticsearchTestServer();
    client = new Client({ node: server.url, maxRetries: 0, requestTimeout: 2000 });
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
  const template = { name: 'images', index_patterns: ['images*'], template: { mappings: { properties: { sha: { type: 'keyword' }, created: { type: 'date' }, total: { type: 'integer' } } } } };

  it('answers as Elasticsearch 8, so the client accepts it (product header, compatible-with media type)', async () => {
    const info = await client.info();
    expect(info.version.number).toBe('8.19.2');
    expect(info.tagline).toBe('You Know, for Search');
    expect(server.requests[0]?.headers['accept']).toMatch(/compatible-with=8/);
  });

  it('refuses a 9.x client media type, as an 8.x node does', async () => {
    const res = await fetch(`${server.url}/`, { headers: { accept: 'application/vnd.elasticsearch+json; compatible-with=9' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('media_type_header_exception');
  });

  it('applies the matching index template on auto-create, then stores, counts, gets and searches by id', async () => {
    await client.indices.putIndexTemplate(template);
    const r = await client.bulk({ operations: [{ index: { _index: 'images-1', _id: 'a' } }, { sha: 'a', created: '2024-01-02T03:04:05.000Z', total: 3 }, { index: { _index: 'images-1', _id: 'b' } }, { sha: 'b', created: null, total: 0 }] });
    expect(r.errors).toBe(false);
    expect(r.items.map((i) => i.index?.status)).toEqual([201, 201]);
    expect(server.mappings('images-1')?.properties?.['created']).toEqual({ type: 'date' });
    expect((await client.count({ index: 'images-1' })).count).toBe(2);
    expect((await client.get({ index: 'images-1', id: 'a' }))._source).toEqual({ sha: 'a', created: '2024-01-02T03:04:05.000Z', total: 3 });
    const found = await client.search({ index: 'images-1', query: { ids: { values: ['b'] } } });
    expect(found.hits.hits.map((h) => h._id)).toEqual(['b']);
    expect(server.documents('images-1').get('a')?._version).toBe(1);
  });

  it('updates in place on a second index of the same _id, and answers 409 to create', async () => {
    await client.bulk({ operations: [{ index: { _index: 'x', _id: '1' } }, { v: 1 }] });
    const again = await client.bulk({ operations: [{ index: { _index: 'x', _id: '1' } }, { v: 2 }, { create: { _index: 'x', _id: '1' } }, { v: 3 }] });
    expect(again.items[0]?.index).toMatchObject({ status: 200, result: 'updated', _version: 2 });
    expect(again.items[1]?.create).toMatchObject({ status: 409, error: { type: 'version_conflict_engine_exception' } });
    expect(server.documents('x').get('1')?._source).toEqual({ v: 2 });
    expect((await client.count({ index: 'x' })).count).toBe(1);
  });

  it('rejects a value its mapping cannot parse, per item, and keeps the rest', async () => {
    await client.indices.putIndexTemplate(template);
    const r = await client.bulk({ operations: [{ index: { _index: 'images-2', _id: 'ok' } }, { created: '2024-01-01T00:00:00Z' }, { index: { _index: 'images-2', _id: 'bad' } }, { created: 'not a date' }, { index: { _index: 'images-2', _id: 'obj' } }, { sha: { nested: true } }] });
    expect(r.errors).toBe(true);
    expect(r.items.map((i) => i.index?.status)).toEqual([201, 400, 400]);
    expect(r.items[1]?.index?.error).toMatchObject({ type: 'document_parsing_exception', reason: expect.stringMatching(/failed to parse field \[created\] of type \[date\] in document with id 'bad'/) });
    expect([...server.documents('images-2').keys()]).toEqual(['ok']);
  });

  it('enforces dynamic: strict, and maps unknown fields dynamically otherwise', async () => {
    await client.indices.putIndexTemplate({ name: 's', index_patterns: ['strict'], template: { mappings: { dynamic: 'strict', properties: { a: { type: 'keyword' } } } } });
    const strict = await client.bulk({ operations: [{ index: { _index: 'strict' } }, { a: 'x', b: 1 }] });
    expect(strict.items[0]?.index?.error?.type).toBe('strict_dynamic_mapping_exception');
    await client.bulk({ operations: [{ index: { _index: 'loose' } }, { when: '2024-05-01T00:00:00Z', n: 1 }] });
    const loose = await client.bulk({ operations: [{ index: { _index: 'loose' } }, { when: 'later', n: 2 }] });
    expect(loose.items[0]?.index?.status).toBe(400);
  });

  it('writes to a data stream with create only, and requires @timestamp', async () => {
    await client.indices.putIndexTemplate({ name: 'ds', index_patterns: ['history'], data_stream: {}, template: { mappings: { properties: { sha: { type: 'keyword' } } } } });
    const r = await client.bulk({ index: 'history', operations: [{ create: {} }, { '@timestamp': '2026-01-01T00:00:00Z', sha: 'a' }, { index: {} }, { '@timestamp': '2026-01-01T00:00:00Z', sha: 'b' }, { create: {} }, { sha: 'c' }] });
    expect(r.items[0]?.create?.status).toBe(201);
    expect(r.items[0]?.create?._index).toMatch(/^\.ds-history-\d{4}\.\d{2}\.\d{2}-000001$/);
    expect(r.items[1]?.index).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception' } });
    expect(r.items[2]?.create).toMatchObject({ status: 400, error: { reason: expect.stringMatching(/@timestamp\] is missing/) } });
    expect((await client.indices.getDataStream({ name: 'history' })).data_streams[0]?.name).toBe('history');
    expect(server.documents('history').size).toBe(1);
  });

  it('fails items and requests on request: 429 items, rejected ids, request statuses, dropped connections', async () => {
    server.inject({ kind: 'item-429', count: 1 });
    server.inject({ kind: 'item-reject', id: 'poison', type: 'mapper_parsing_exception', reason: 'bad' });
    const r = await client.bulk({ operations: [{ index: { _index: 'f', _id: '1' } }, {}, { index: { _index: 'f', _id: 'poison' } }, {}, { index: { _index: 'f', _id: '2' } }, {}] });
    expect(r.items.map((i) => i.index?.status)).toEqual([429, 400, 201]);
    expect(r.items[0]?.index?.error?.type).toBe('es_rejected_execution_exception');
    expect(r.items[1]?.index?.error?.type).toBe('mapper_parsing_exception');
    server.inject({ kind: 'request-status', status: 503, count: 1 });
    const unavailable = await client.bulk({ operations: [{ index: { _index: 'f' } }, {}] }).catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(errors.ResponseError);
    expect((unavailable as errors.ResponseError).statusCode).toBe(503);
    server.inject({ kind: 'drop', count: 1 });
    await expect(client.bulk({ operations: [{ index: { _index: 'f' } }, {}] })).rejects.toBeInstanceOf(errors.ConnectionError);
    expect((await client.bulk({ operations: [{ index: { _index: 'f', _id: '3' } }, {}] })).errors).toBe(false);
    expect([...server.documents('f').keys()].sort()).toEqual(['2', '3']);
  });

  it('refuses a bulk body that does not end with a newline, and malformed JSON, as a whole request', async () => {
    const post = (body: string) => fetch(`${server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    const noNewline = await post('{"index":{"_index":"a"}}\n{"x":1}');
    expect(noNewline.status).toBe(400);
    expect(await noNewline.text()).toMatch(/must be terminated by a newline/);
    const broken = await post('{"index":{"_index":"a"}}\n{x:1}\n');
    expect(((await broken.json()) as { error: { type: string } }).error.type).toBe('x_content_parse_exception');
    const noIndex = await post(ndjson([{ index: {} }, { x: 1 }]));
    expect(((await noIndex.json()) as { error: { type: string } }).error.type).toBe('action_request_validation_exception');
    expect(server.indices()).toEqual([]);
  });

  it('requires the configured credentials, and answers 401 otherwise', async () => {
    const secured = await startElasticsearchTestServer({ auth: { apiKey: 'k1', username: 'elastic', password: 'pw' } });
    try {
      const anonymous = new Client({ node: secured.url, maxRetries: 0 });
      const err = await anonymous.info().catch((e: unknown) => e as errors.ResponseError);
      expect(err).toBeInstanceOf(errors.ResponseError);
      expect((err as errors.ResponseError).statusCode).toBe(401);
      expect((err as errors.ResponseError).body).toMatchObject({ error: { type: 'security_exception' } });
      for (const auth of [{ apiKey: 'k1' }, { username: 'elastic', password: 'pw' }]) {
        const c = new Client({ node: secured.url, auth, maxRetries: 0 });
        expect((await c.info()).cluster_name).toBe('qcs-export-test');
        await c.close();
      }
      await anonymous.close();
    } finally {
      await secured.close();
    }
  });

  it('is unreachable while down, then serves again', async () => {
    server.setDown(true);
    await expect(client.info()).rejects.toBeInstanceOf(errors.ConnectionError);
    server.setDown(false);
    expect((await client.info()).cluster_name).toBe('qcs-export-test');
  });

  it('counts concurrent bulk requests and refreshes', async () => {
    const slow = await startElasticsearchTestServer({ latencyMs: 30 });
    try {
      const c = new Client({ node: slow.url, maxRetries: 0 });
      await Promise.all([0, 1, 2].map((i) => c.bulk({ operations: [{ index: { _index: 'p', _id: String(i) } }, { i }] })));
      await c.indices.refresh({ index: 'p' });
      expect(slow.stats).toMatchObject({ bulkRequests: 3, bulkItems: 3, maxConcurrentBulk: 3, refreshes: 1 });
      await c.close();
    } finally {
      await slow.close();
    }
  });
});
