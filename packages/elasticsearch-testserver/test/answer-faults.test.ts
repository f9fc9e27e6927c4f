import { describe, expect, it } from 'vitest';
import { startElasticsearchTestServer } from '../src/index.js';
import { ndjson, rawBulk, useServer } from './support.js';

const body = (ids: string[]) => ndjson(ids.flatMap((id) => [{ index: { _index: 'a', _id: id } }, { id }]));

describe('bulk-answer faults: what a proxy in front of the node may answer', () => {
  const t = useServer();

  it('empty-200: 200 with the node headers (x-elastic-product) and no body; nothing stored', async () => {
    t.server.inject({ kind: 'bulk-answer', answer: 'empty-200', count: 1 });
    const res = await rawBulk(t.server, body(['1', '2']));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(await res.text()).toBe('');
    expect(t.server.documents('a').size).toBe(0);
    expect((await rawBulk(t.server, body(['1', '2']))).status).toBe(200);
    expect(t.server.documents('a').size).toBe(2);
  });

  it('redirect: 307 with a Location (the request path by default) and no body; nothing stored', async () => {
    t.server.inject({ kind: 'bulk-answer', answer: 'redirect', count: 1 });
    t.server.inject({ kind: 'bulk-answer', answer: 'redirect', count: 1, location: 'http://127.0.0.1:1/_bulk' });
    const manual = () =>
      fetch(`${t.server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: body(['1']), redirect: 'manual' });
    const first = await manual();
    expect(first.status).toBe(307);
    expect(first.headers.get('location')).toBe('/_bulk');
    const second = await manual();
    expect(second.headers.get('location')).toBe('http://127.0.0.1:1/_bulk');
    expect(t.server.documents('a').size).toBe(0);
  });

  it('not-json: 200 with an HTML page; nothing stored', async () => {
    t.server.inject({ kind: 'bulk-answer', answer: 'not-json', count: 1 });
    const res = await rawBulk(t.server, body(['1']));
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/html']);
    expect(await res.text()).toMatch(/<html>/);
    expect(t.server.documents('a').size).toBe(0);
  });

  it('fewer-items: the first half (rounded down) is stored and answered', async () => {
    t.server.inject({ kind: 'bulk-answer', answer: 'fewer-items', count: 1 });
    const res = (await (await rawBulk(t.server, body(['1', '2', '3', '4', '5']))).json()) as { items: unknown[] };
    expect(res.items).toHaveLength(2);
    expect([...t.server.documents('a').keys()]).toEqual(['1', '2']);
  });

  it('wrong-id: everything is stored, the last item names another _id', async () => {
    t.server.inject({ kind: 'bulk-answer', answer: 'wrong-id', count: 1 });
    const res = (await (await rawBulk(t.server, body(['1', '2']))).json()) as { items: Array<{ index: { _id: string } }> };
    expect(res.items.map((i) => i.index._id)).toEqual(['1', '2-other']);
    expect(t.server.documents('a').size).toBe(2);
  });

  it('unstored: a well-formed answer, every item 201 created, and nothing stored', async () => {
    t.server.inject({ kind: 'bulk-answer', answer: 'unstored', count: 2 });
    const res = (await (await rawBulk(t.server, body(['1', '2']))).json()) as { errors: boolean; items: Array<{ index: { _id: string; status: number } }> };
    expect(res.errors).toBe(false);
    expect(res.items.map((i) => [i.index._id, i.index.status])).toEqual([
      ['1', 201],
      ['2', 201],
    ]);
    expect(t.server.documents('a').size).toBe(0);
    t.server.clearFaults();
    await rawBulk(t.server, body(['1']));
    expect(t.server.documents('a').size).toBe(1);
  });
});

describe('ingest pipelines', () => {
  const t = useServer();

  it('an unconditional drop processor answers every document 200 "noop" and stores nothing', async () => {
    await t.client.ingest.putPipeline({ id: 'drop-all', processors: [{ drop: {} }] });
    await t.client.ingest.putPipeline({ id: 'drop-some', processors: [{ drop: { if: "ctx.id == '1'" } }] });
    const dropped = (await (await rawBulk(t.server, body(['1', '2']), '/_bulk?pipeline=drop-all')).json()) as {
      items: Array<{ index: { status: number; result: string } }>;
    };
    expect(dropped.items.map((i) => [i.index.status, i.index.result])).toEqual([
      [200, 'noop'],
      [200, 'noop'],
    ]);
    expect(t.server.indices()).toEqual([]);
    // A conditional drop is not run: the documents are kept as sent.
    await rawBulk(t.server, body(['1', '2']), '/_bulk?pipeline=drop-some');
    expect(t.server.documents('a').size).toBe(2);
  });
});

describe('version quirks', () => {
  const template = { index_patterns: ['logs-q*'], data_stream: {}, template: { mappings: { properties: { sha: { type: 'keyword' } } } } };

  it('simulateIndexRejectsDataStreams: _simulate_index on an existing data stream is a 500, as on 7.10; _simulate/<template> answers', async () => {
    for (const quirk of [false, true]) {
      const server = await startElasticsearchTestServer({ simulateIndexRejectsDataStreams: quirk });
      try {
        const put = (path: string, method = 'PUT', json?: unknown) =>
          fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(json ? { body: JSON.stringify(json) } : {}) });
        expect((await put('/_index_template/q', 'PUT', template)).status).toBe(200);
        expect((await put('/_index_template/_simulate_index/logs-q1', 'POST')).status).toBe(200);
        expect((await put('/_data_stream/logs-q1')).status).toBe(200);
        const simulated = await put('/_index_template/_simulate_index/logs-q1', 'POST');
        expect(simulated.status).toBe(quirk ? 500 : 200);
        if (quirk) expect(JSON.stringify(await simulated.json())).toMatch(/data stream \[logs-q1\] conflicts with index/);
        const byTemplate = await put('/_index_template/_simulate/q', 'POST');
        expect(byTemplate.status).toBe(200);
        const answer = (await byTemplate.json()) as { template: { mappings: { properties: Record<string, { type: string }> } } };
        expect(answer.template.mappings.properties['sha']?.type).toBe('keyword');
        expect(answer.template.mappings.properties['@timestamp']?.type).toBe('date');
        expect((await put('/_index_template/_simulate/none', 'POST')).status).toBe(404);
      } finally {
        await server.close();
      }
    }
  });

  it('opensearch: no x-elastic-product header, and version.distribution opensearch at the root', async () => {
    const server = await startElasticsearchTestServer({ opensearch: true, version: '2.17.0' });
    try {
      const res = await fetch(`${server.url}/`);
      expect(res.headers.get('x-elastic-product')).toBeNull();
      expect(((await res.json()) as { version: { distribution: string } }).version.distribution).toBe('opensearch');
    } finally {
      await server.close();
    }
  });
});
