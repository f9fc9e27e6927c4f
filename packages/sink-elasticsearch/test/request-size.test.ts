import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errors } from '@elastic/elasticsearch';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ImageRecord, Logger } from '@qcs-export/core';
import { startElasticsearchTestServer, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext, makeTestRecords } from '@qcs-export/sink-testkit';
import { indexingPressureOf } from '../src/connection.js';
import { createElasticsearchSink, elasticsearchSink, type ElasticsearchSinkOptions } from '../src/index.js';

let server: EsTestServer;
beforeAll(async () => {
  server = await startElasticsearchTestServer();
});
afterAll(async () => {
  await server.close();
});

/** A logger that keeps what was said at info and above. */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string) => void lines.push(message);
  return { logger: { debug: () => undefined, info: keep, warn: keep, error: keep }, lines };
}

describe('request size: bytes counted as accepted, and a too-large request split and remembered', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-es-size-'));
    server.clearFaults();
  });
  afterEach(async () => {
    server.clearFaults();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(options: Record<string, unknown>, records: readonly ImageRecord[], logger?: Logger) {
    const ctx = makeRunContext({ baseDir: dir, ...(logger ? { logger } : {}) });
    const sink = createElasticsearchSink(elasticsearchSink.options.parse({ node: server.url, ...options }) as ElasticsearchSinkOptions, ctx, {
      backoffBaseMs: 5,
    });
    await sink.open();
    for (let i = 0; i < records.length; i += 100) await sink.write(records.slice(i, i + 100));
    return sink.close();
  }

  /** The test server's own record of the bulk requests to an index: size on the wire and the status answered. */
  const bulksTo = (index: string) => server.requests.filter((r) => r.path.startsWith(`/${index}/_bulk`));
  const acceptedBytes = (index: string) =>
    bulksTo(index)
      .filter((r) => (r.status ?? 0) >= 200 && (r.status ?? 0) < 300)
      .reduce((sum, r) => sum + r.bodyBytes, 0);
  const storedOnce = (index: string, records: readonly ImageRecord[]) => {
    const docs = server.documents(index);
    expect(docs.size).toBe(records.length);
    // version 1: no document was indexed twice by a request that was split or retried
    for (const r of records) expect(docs.get(r.sha)?._version).toBe(1);
  };

  it('a 413 splits the first batch, lowers the size for the rest of the run (said once), and bytes counts only accepted bodies', async () => {
    server.inject({ kind: 'request-too-large', maxBytes: 40_000 });
    const records = makeTestRecords(400, { seed: 31 });
    const { logger, lines } = capture();
    const summary = await run({ index: 'size-413', flushBytes: 64_000, concurrency: 1 }, records, logger);
    expect(summary).toMatchObject({ records: 400, rejected: 0 });
    storedOnce('size-413', records);

    const bulks = bulksTo('size-413');
    const refused = bulks.filter((r) => r.status === 413);
    // only the first batch, sent before anything was known, is refused; none after it goes at the old size
    expect(refused).toHaveLength(1);
    expect(bulks[0]?.status).toBe(413);
    const said = lines.filter((l) => /sending at most \d+ bytes per bulk request/.test(l));
    expect(said).toHaveLength(1);
    const lowered = Number(/at most (\d+) bytes/.exec(said[0] as string)?.[1]);
    expect(lowered).toBeLessThan(refused[0]?.bodyBytes as number);
    for (const r of bulks.slice(1)) expect(r.bodyBytes).toBeLessThanOrEqual(lowered);
    expect(bulks.length).toBeGreaterThan(10);

    expect(summary.bytes).toBe(acceptedBytes('size-413'));
    expect(summary.details?.['bytesNotAccepted']).toBe(refused[0]?.bodyBytes);
  });

  it('with no refusal, bytes is exactly what the cluster received, and no request exceeds flushBytes', async () => {
    const records = makeTestRecords(300, { seed: 32 });
    const summary = await run({ index: 'size-plain', flushBytes: 50_000 }, records);
    const bulks = bulksTo('size-plain');
    expect(summary.bytes).toBe(bulks.reduce((sum, r) => sum + r.bodyBytes, 0));
    expect(summary.details).not.toHaveProperty('bytesNotAccepted');
    for (const r of bulks) expect(r.bodyBytes).toBeLessThanOrEqual(50_000);
  });

  it(
    'a request over the node’s indexing-pressure budget (429 for ever) is split like a 413 at once, ' + 'and every document is indexed exactly once',
    async () => {
      server.inject({ kind: 'indexing-pressure', maxBytes: 40_000 });
      const records = makeTestRecords(400, { seed: 33 });
      const { logger, lines } = capture();
      const summary = await run({ index: 'size-pressure', flushBytes: 64_000, concurrency: 2 }, records, logger);
      expect(summary).toMatchObject({ records: 400, rejected: 0 });
      storedOnce('size-pressure', records);
      const bulks = bulksTo('size-pressure');
      expect(bulks.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(1);
      // split at once: no request was retried as it was, since no wait makes it fit
      expect(summary.details).not.toHaveProperty('retried');
      expect(lines.some((l) => /indexing-pressure budget \(indexing_pressure\.memory\.limit, 40000 bytes\); sending at most \d+ bytes/.test(l))).toBe(true);
      expect(summary.bytes).toBe(acceptedBytes('size-pressure'));
    },
  );

  it('a multi-document request still answered 429 after its retries is split instead of failing the run; one document alone still fails it', async () => {
    server.inject({ kind: 'request-status', status: 429, count: 3 });
    const records = makeTestRecords(40, { seed: 34 });
    const summary = await run({ index: 'size-busy', maxRetries: 2, concurrency: 1 }, records);
    expect(summary).toMatchObject({ records: 40, rejected: 0, details: { retried: '0 documents, 2 requests' } });
    storedOnce('size-busy', records);
    expect(bulksTo('size-busy').map((r) => r.status)).toEqual([429, 429, 429, 200, 200]);

    server.inject({ kind: 'request-status', status: 429, count: 3 });
    await expect(run({ index: 'size-busy-one', maxRetries: 2 }, makeTestRecords(1, { seed: 35 }))).rejects.toThrow(
      /failed a bulk request of 1 documents \(after 2 retries\) with 429: es_rejected_execution_exception/,
    );
  });

  it('a document alone over the indexing-pressure budget goes to the dead-letter file, as one over http.max_content_length does', async () => {
    server.inject({ kind: 'indexing-pressure', maxBytes: 500 });
    const summary = await run({ index: 'size-pressure-doc', maxRetries: 2 }, makeTestRecords(3, { seed: 36 }));
    expect(summary).toMatchObject({ records: 0, rejected: 3 });
    const letters = (await readFile(summary.details?.['deadLetters'] as string, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters).toHaveLength(3);
    expect(letters[0]).toMatchObject({
      status: 429,
      error: {
        type: 'es_rejected_execution_exception',
        reason: expect.stringMatching(/^the document alone is larger than the node's indexing-pressure budget/),
      },
    });
  });
});

describe('indexingPressureOf', () => {
  const rejection = (reason: string, statusCode = 429) =>
    new errors.ResponseError({
      body: { error: { type: 'es_rejected_execution_exception', reason }, status: statusCode },
      statusCode,
      headers: {},
      warnings: null,
      meta: {} as never,
    });

  it('reads the request size and the budget from both wordings Elasticsearch 8 uses', () => {
    expect(
      indexingPressureOf(
        rejection(
          'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, ' +
            'coordinating_operation_bytes=120, max_coordinating_and_primary_bytes=100]',
        ),
      ),
    ).toEqual({ requestBytes: 120, limitBytes: 100 });
    expect(
      indexingPressureOf(
        rejection(
          'rejected execution of coordinating operation [coordinating_and_primary_bytes=5, replica_bytes=0, all_bytes=5, ' +
            'coordinating_operation_bytes=20, max_coordinating_bytes=100]',
        ),
      ),
    ).toEqual({ requestBytes: 20, limitBytes: 100 });
  });

  it('is undefined for other 429s (a full write queue) and for other statuses', () => {
    expect(
      indexingPressureOf(
        rejection(
          'rejected execution of org.elasticsearch.common.util.concurrent.TimedRunnable@1 on EsThreadPoolExecutor[name = n/write, queue capacity = 10000]',
        ),
      ),
    ).toBeUndefined();
    expect(
      indexingPressureOf(rejection('rejected execution of coordinating operation [coordinating_operation_bytes=120, max_coordinating_bytes=100]', 503)),
    ).toBeUndefined();
  });
});
