import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NetworkError, type ImageRecord, type Sink } from '@qcs-export/core';
import { startElasticsearchTestServer, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext, makeTestRecords, runSinkContract } from '@qcs-export/sink-testkit';
import { createElasticsearchSink, elasticsearchSink, type ElasticsearchSinkOptions } from '../src/index.js';

let server: EsTestServer;
let counter = 0;
beforeAll(async () => {
  server = await startElasticsearchTestServer();
});
afterAll(async () => {
  await server.close();
});

/** The connections still open to the test cluster once the client's sockets have had a moment to close. */
async function openConnectionsAfterClose(): Promise<string[]> {
  for (let i = 0; i < 100 && server.openConnections() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  const open = server.openConnections();
  return open > 0 ? [`${open} open connection${open === 1 ? '' : 's'} to the cluster`] : [];
}

const sinkFor = (dir: string, options: Record<string, unknown>, ctx = {}): Sink =>
  createElasticsearchSink(
    elasticsearchSink.options.parse({ node: server.url, ...options }) as ElasticsearchSinkOptions,
    makeRunContext({ baseDir: dir, ...ctx }),
    { backoffBaseMs: 5 },
  );

runSinkContract({
  name: 'elasticsearch',
  commit: elasticsearchSink.commit(elasticsearchSink.options.parse({ node: 'http://127.0.0.1:9200', index: 'contract' })),
  // The document is the record as JSON plus @timestamp, which readBack() leaves out.
  expected: (record) => JSON.parse(JSON.stringify(record)) as { sha: string } & Record<string, unknown>,
  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'qcs-es-'));
    const index = `contract-${++counter}`;
    const make = () => sinkFor(dir, { index, concurrency: 3, flushDocs: 100 });
    return {
      sink: make(),
      another: make,
      async readBack() {
        if (!server.indices().includes(index)) throw new Error(`no index ${index}`);
        return [...server.documents(index).values()].map(({ _source: { '@timestamp': _, ...record } }) => record as { sha: string } & Record<string, unknown>);
      },
      // An incremental sink keeps what it sent, so what it must not leave behind is a temporary dead-letter file or
      // a connection to the cluster.
      leftovers: async () => [...(await readdir(dir)), ...(await openConnectionsAfterClose())],
      teardown: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

describe('elasticsearch sink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-es-'));
    server.clearFaults();
  });
  afterEach(async () => {
    server.setDown(false);
    await rm(dir, { recursive: true, force: true });
  });

  async function run(options: Record<string, unknown>, records: readonly ImageRecord[], batch = 100) {
    const sink = sinkFor(dir, options);
    await sink.open();
    for (let i = 0; i < records.length; i += batch) await sink.write(records.slice(i, i + batch));
    return sink.close();
  }

  it('stores each image as a document with _id = sha, the record as its source and @timestamp = export time', async () => {
    const records = makeTestRecords(250, { hostile: true, seed: 4 });
    const summary = await run({ index: 'images-a' }, records);
    expect(summary).toMatchObject({ type: 'elasticsearch', records: 250, rejected: 0, details: { created: 250, updated: 0 } });
    const docs = server.documents('images-a');
    expect(docs.size).toBe(250);
    for (const record of records) {
      const doc = docs.get(record.sha);
      expect(doc?._source).toEqual({ '@timestamp': '2026-11-22T10:30:00.000Z', ...JSON.parse(JSON.stringify(record)) });
    }
  });

  it('installs the index template first, so the index is created with the documented mapping', async () => {
    await run({ index: 'images-mapped' }, makeTestRecords(5));
    const template = server.templates.get('qcs-export-images-mapped');
    expect(template).toMatchObject({ index_patterns: ['images-mapped'], template: { mappings: { dynamic: false } } });
    const mappings = server.mappings('images-mapped') as { properties: Record<string, { type?: string; properties?: Record<string, { type?: string }> }> };
    expect(mappings.properties['created']?.type).toBe('date');
    expect(mappings.properties['sha']?.type).toBe('keyword');
    expect(mappings.properties['vulnerabilityCounts']?.properties?.['total']?.type).toBe('integer');
    const firstWrite = server.requests.findIndex((r) => r.path.startsWith('/images-mapped/_bulk'));
    const templatePut = server.requests.findIndex((r) => r.method === 'PUT' && r.path.startsWith('/_index_template/qcs-export-images-mapped'));
    expect(templatePut).toBeGreaterThanOrEqual(0);
    expect(templatePut).toBeLessThan(firstWrite);
  });

  it('a re-run updates the documents in place: same count, new versions, changed values', async () => {
    const records = makeTestRecords(120, { seed: 8 });
    await run({ index: 'images-rerun' }, records);
    const changed = records.map((r) => ({ ...r, riskScore: 99 }));
    const second = await run({ index: 'images-rerun' }, changed);
    expect(second.details).toMatchObject({ created: 0, updated: 120 });
    const docs = server.documents('images-rerun');
    expect(docs.size).toBe(120);
    expect([...docs.values()].every((d) => d._version === 2 && d._source['riskScore'] === 99)).toBe(true);
  });

  it('sizes bulk requests by document count and by bytes', async () => {
    const before = server.stats.bulkRequests;
    await run({ index: 'images-count', flushDocs: 25 }, makeTestRecords(100), 100);
    expect(server.stats.bulkRequests - before).toBe(4);
    const beforeBytes = server.stats.bulkRequests;
    await run({ index: 'images-bytes', flushBytes: 4096 }, makeTestRecords(100), 100);
    const bulks = server.requests.filter((r) => r.path.startsWith('/images-bytes/_bulk'));
    expect(server.stats.bulkRequests - beforeBytes).toBe(bulks.length);
    expect(bulks.length).toBeGreaterThan(10);
    // A request closes at the first document that crosses the limit, so none is more than one document over it.
    for (const b of bulks) expect(b.bodyBytes).toBeLessThan(4096 + 3000);
  });

  it('keeps no more than `concurrency` bulk requests in flight, and write() waits for a free slot', async () => {
    const slow = await startElasticsearchTestServer({ latencyMs: 40 });
    try {
      const sink = createElasticsearchSink(
        elasticsearchSink.options.parse({ node: slow.url, index: 'slow', flushDocs: 10, concurrency: 2 }) as ElasticsearchSinkOptions,
        makeRunContext({ baseDir: dir }),
      );
      await sink.open();
      const started = Date.now();
      await sink.write(makeTestRecords(100));
      // Ten requests, two at a time, 40 ms each: write() can return only after about four rounds have finished.
      expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 40 - 10);
      await sink.close();
      expect(slow.stats.maxConcurrentBulk).toBe(2);
      expect(slow.documents('slow').size).toBe(100);
    } finally {
      await slow.close();
    }
  });

  it('retries documents answered 429 with backoff until they are stored', async () => {
    server.inject({ kind: 'item-429', count: 30 });
    const summary = await run({ index: 'images-429' }, makeTestRecords(80));
    expect(summary).toMatchObject({ records: 80, rejected: 0, details: { retried: '30 documents, 0 requests' } });
    expect(server.documents('images-429').size).toBe(80);
  });

  it('retries a whole bulk request the cluster answers 503 or 429 for, and a dropped connection', async () => {
    server.inject({ kind: 'request-status', status: 503, count: 2 });
    server.inject({ kind: 'request-status', status: 429, count: 1 });
    server.inject({ kind: 'drop', count: 1 });
    const summary = await run({ index: 'images-503', concurrency: 1 }, makeTestRecords(60), 20);
    expect(summary.records).toBe(60);
    expect(summary.details?.['retried']).toBe('0 documents, 4 requests');
    expect(server.documents('images-503').size).toBe(60);
  });

  it('splits a request the cluster finds too large (413) and sends both halves', async () => {
    server.inject({ kind: 'request-status', status: 413, count: 1 });
    const before = server.stats.bulkRequests;
    const summary = await run({ index: 'images-413', concurrency: 1 }, makeTestRecords(40), 40);
    expect(summary).toMatchObject({ records: 40, rejected: 0 });
    expect(server.stats.bulkRequests - before).toBe(2);
    expect(server.documents('images-413').size).toBe(40);
  });

  it('sends rejected documents to a dead-letter NDJSON file with status, type and reason, and counts them', async () => {
    const records = makeTestRecords(40, { seed: 2 });
    const bad = [records[3], records[17]] as ImageRecord[];
    for (const r of bad)
      server.inject({
        kind: 'item-reject',
        id: r.sha,
        status: 400,
        type: 'document_parsing_exception',
        reason: `failed to parse field [created] in document with id '${r.sha}'`,
      });
    const summary = await run({ index: 'images-dl' }, records);
    expect(summary).toMatchObject({ records: 38, rejected: 2 });
    const file = summary.details?.['deadLetters'] as string;
    expect(file).toBe(join(dir, 'elasticsearch-rejected-images-dl-20261122T103000Z.ndjson'));
    const letters = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters.map((l) => l._id).sort()).toEqual(bad.map((r) => r.sha).sort());
    for (const l of letters) {
      expect(l).toMatchObject({
        index: 'images-dl',
        status: 400,
        error: { type: 'document_parsing_exception', reason: expect.stringMatching(/failed to parse field \[created\]/) },
      });
      expect(l.document.sha).toBe(l._id);
      expect(l.document['@timestamp']).toBe('2026-11-22T10:30:00.000Z');
    }
    expect(server.documents('images-dl').size).toBe(38);
  });

  it('a dead-letter file at a fixed path replaces the previous one and leaves no backup of it behind (issue 17)', async () => {
    await writeFile(join(dir, 'rejected.ndjson'), "the previous run's dead letters\n");
    const records = makeTestRecords(5, { seed: 3 });
    server.inject({ kind: 'item-reject', id: (records[1] as ImageRecord).sha, status: 400, type: 'document_parsing_exception', reason: 'bad' });
    const summary = await run({ index: 'images-dl-fixed', deadLetterPath: 'rejected.ndjson' }, records);
    expect(summary).toMatchObject({ records: 4, rejected: 1, delivered: 5, published: 'incremental' });
    expect(await readFile(join(dir, 'rejected.ndjson'), 'utf8')).toMatch(/document_parsing_exception/);
    expect(await readdir(dir)).toEqual(['rejected.ndjson']);
  });

  it('dead-letters a document 429 is still answered for after maxRetries', async () => {
    server.inject({ kind: 'item-429', count: 1000 });
    const summary = await run({ index: 'images-429-forever', maxRetries: 2 }, makeTestRecords(3));
    expect(summary).toMatchObject({ records: 0, rejected: 3 });
    const letters = (await readFile(summary.details?.['deadLetters'] as string, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters[0]).toMatchObject({ status: 429, error: { type: 'es_rejected_execution_exception', reason: expect.stringMatching(/after 2 retries/) } });
  });

  it('appends to a data stream with op_type create and @timestamp, keeping history across runs', async () => {
    const records = makeTestRecords(30);
    const first = await run({ index: 'images-history', dataStream: true }, records);
    expect(first).toMatchObject({ records: 30, rejected: 0, details: { appended: 30 } });
    const sink = sinkFor(dir, { index: 'images-history', dataStream: true }, { startedAt: new Date(Date.UTC(2026, 10, 23)) });
    await sink.open();
    await sink.write(records);
    await sink.close();
    const docs = [...server.documents('images-history').values()];
    expect(docs).toHaveLength(60);
    expect(new Set(docs.map((d) => d._source['@timestamp']))).toEqual(new Set(['2026-11-22T10:30:00.000Z', '2026-11-23T00:00:00.000Z']));
    expect(server.templates.get('qcs-export-images-history')).toHaveProperty('data_stream');
    expect(server.requests.filter((r) => r.path.startsWith('/images-history/_bulk')).length).toBeGreaterThan(0);
  });

  it('refuses an existing index that was mapped without the template, before sending anything', async () => {
    // An index someone created before the template, by writing to it: dynamic mapping made the date a string.
    const res = await fetch(`${server.url}/images-wrong/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"index":{"_id":"x"}}\n{"sha":"x","created":"yesterday-ish"}\n',
    });
    expect(res.status).toBe(200);
    const sink = sinkFor(dir, { index: 'images-wrong' });
    await expect(sink.open()).rejects.toThrow(/index images-wrong exists with another mapping \(.*created is (text|keyword) \(want date\)/);
    expect(server.requests.filter((r) => r.path.startsWith('/images-wrong/_bulk'))).toHaveLength(1);
  });

  it('with manageTemplate: false, requires the named template to exist', async () => {
    const sink = sinkFor(dir, { index: 'images-unmanaged', manageTemplate: false });
    await expect(sink.open()).rejects.toThrow(/index template qcs-export-images-unmanaged does not exist and manageTemplate is false/);
  });

  it('fails fast with a clear message when the cluster is down, and never hangs', async () => {
    server.setDown(true);
    const sink = sinkFor(dir, { index: 'images-down', requestTimeoutMs: 2000 });
    const started = Date.now();
    await expect(sink.open()).rejects.toThrow(
      /cannot reach Elasticsearch at http:\/\/127\.0\.0\.1:\d+ while connecting: .*check node and that the cluster is up/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a cluster that is down fails open with QCS_NETWORK, like a Qualys server that is down, not QCS_SINK_FAILED', async () => {
    server.setDown(true);
    const error = await sinkFor(dir, { index: 'images-down-code', requestTimeoutMs: 2000 })
      .open()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'QCS_NETWORK', setting: 'node', hint: 'check node and that the cluster is up' });
  });

  it('fails a run whose cluster goes down mid-export after its retries, instead of hanging', async () => {
    const sink = sinkFor(dir, { index: 'images-mid', maxRetries: 2, requestTimeoutMs: 1000 });
    await sink.open();
    await sink.write(makeTestRecords(100));
    server.setDown(true);
    const failure = (async () => {
      for (let i = 0; i < 10; i++) await sink.write(makeTestRecords(100, { seed: i + 10 }));
      await sink.close();
    })();
    await expect(failure).rejects.toThrow(/cannot reach Elasticsearch .* while a bulk request of \d+ documents \(after 2 retries\)/);
    await sink.abort(new Error('run failed'));
  });

  it('says the credentials were refused (exit code 4) and never prints them', async () => {
    const secured = await startElasticsearchTestServer({ auth: { apiKey: 'right-key' } });
    try {
      const sink = createElasticsearchSink(
        elasticsearchSink.options.parse({ node: secured.url, index: 'x', auth: { apiKey: 'wrong-key-123' } }) as ElasticsearchSinkOptions,
        makeRunContext({ baseDir: dir }),
      );
      const error = await sink.open().then(
        () => undefined,
        (e: unknown) => e as Error & { code: string; exitCode: number },
      );
      expect(error?.code).toBe('QCS_AUTH_FAILED');
      expect(error?.message).toMatch(/refused the credentials while connecting \(401\)/);
      expect(JSON.stringify(error) + String(error?.message) + String(error?.stack)).not.toContain('wrong-key-123');
      const ok = createElasticsearchSink(
        elasticsearchSink.options.parse({ node: secured.url, index: 'x', auth: { apiKey: 'right-key' } }) as ElasticsearchSinkOptions,
        makeRunContext({ baseDir: dir }),
      );
      await ok.open();
      await ok.write(makeTestRecords(3));
      expect((await ok.close()).records).toBe(3);
      expect(secured.requests.every((r) => r.headers['authorization'] === 'ApiKey right-key' || r.headers['authorization'] === 'ApiKey wrong-key-123')).toBe(
        true,
      );
    } finally {
      await secured.close();
    }
  });

  it('passes the ingest pipeline and refreshes at the end', async () => {
    const refreshes = server.stats.refreshes;
    // the cluster must have the pipeline: the sink checks it at open
    await fetch(`${server.url}/_ingest/pipeline/qualys-enrich`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"processors":[]}' });
    await run({ index: 'images-pipe', pipeline: 'qualys-enrich' }, makeTestRecords(5));
    expect(server.requests.some((r) => r.path.startsWith('/images-pipe/_bulk') && r.path.includes('pipeline=qualys-enrich'))).toBe(true);
    expect(server.stats.refreshes).toBe(refreshes + 1);
  });

  it('lists its credentials so the runner can redact them', () => {
    const options = elasticsearchSink.options.parse({ node: 'https://es.example', index: 'x', auth: { username: 'elastic', password: 'pw-1' } });
    expect(elasticsearchSink.secrets?.(options)).toEqual(['pw-1']);
  });
});
