import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { normalizeImage, type ImageRecord, type Logger, type RunContext, type SinkSummary } from '@qcs-export/core';
import { startElasticsearchTestServer, type EsFault, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext, makeTestRecords } from '@qcs-export/sink-testkit';
import { createElasticsearchSink, elasticsearchSink, type ElasticsearchSinkOptions } from '../src/index.js';

let server: EsTestServer;
let dir: string;
let counter = 0;
beforeAll(async () => {
  server = await startElasticsearchTestServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcs-es-answers-'));
  server.clearFaults();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RECORDS = makeTestRecords(3000, { seed: 17 });

/** A logger that keeps its lines, to read what the sink said. */
function keptLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

async function exportTo(
  options: Record<string, unknown>,
  records: readonly ImageRecord[] = RECORDS,
  ctx: Partial<RunContext> = {},
): Promise<SinkSummary & { delivered?: number }> {
  const sink = createElasticsearchSink(
    elasticsearchSink.options.parse({ node: server.url, flushDocs: 100, maxRetries: 2, ...options }) as ElasticsearchSinkOptions,
    makeRunContext({ baseDir: dir, runId: `run-${++counter}`, ...ctx }),
    { backoffBaseMs: 1 },
  );
  await sink.open();
  try {
    for (let i = 0; i < records.length; i += 250) await sink.write(records.slice(i, i + 250));
    return await sink.close();
  } catch (error) {
    await sink.abort(error);
    throw error;
  }
}

const PROXY_FAULTS: Array<[string, Extract<EsFault, { kind: 'bulk-answer' }>['answer'], RegExp]> = [
  ['an empty 200 with the node headers', 'empty-200', /an empty 200 answer/],
  ['a 307 redirect', 'redirect', /a redirect \(HTTP 307 to \/[a-z0-9-]*\/?_bulk\), which the export does not follow/],
  ['fewer items than documents', 'fewer-items', /50 results for 100 documents/],
  ['an item for another _id', 'wrong-id', /result 100 is for _id "[0-9a-f]+-other", but the document sent there has _id "[0-9a-f]+"/],
  ['a 200 that is not JSON', 'not-json', /a 200 answer that is not JSON \(text\/html\)/],
];

describe('a bulk answer that does not account for every document', () => {
  it.each(PROXY_FAULTS)('%s, every time: the run fails with QCS_SINK_INCOMPLETE, naming the proxy, and reports no summary', async (_, answer, what) => {
    const index = `lost-${answer}`;
    // One request in three answered by "the proxy", as users saw it: a third of the documents went missing.
    server.inject({ kind: 'bulk-answer', answer, count: 1000 });
    const error = (await exportTo({ index }).catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(error.code).toBe('QCS_SINK_INCOMPLETE');
    expect(error.message).toMatch(what);
    expect(error.message).toMatch(/none of them counts as written; a proxy or load balancer in front of the cluster/);
    expect(error.message).not.toMatch(/created 0/);
  });

  it.each(PROXY_FAULTS.filter(([, answer]) => answer !== 'redirect'))(
    '%s, once: the request is sent again and every document is counted once, as created or updated',
    async (_, answer) => {
      const index = `retried-${answer}`;
      server.inject({ kind: 'bulk-answer', answer, count: 1 });
      const summary = await exportTo({ index });
      expect(summary.records).toBe(3000);
      expect(summary.delivered).toBe(3000);
      expect(summary.rejected).toBe(0);
      const details = summary.details as { created: number; updated: number; retried: string };
      expect(details.created + details.updated).toBe(3000);
      expect(details.retried).toBe('0 documents, 1 requests');
      expect(server.documents(index).size).toBe(3000);
    },
  );

  it('into a data stream, a retried create of a document the lost answer had stored is a 409: counted once, as a duplicate', async () => {
    server.inject({ kind: 'bulk-answer', answer: 'wrong-id', count: 1 });
    const summary = await exportTo({ index: 'retried-stream', dataStream: true });
    expect(summary).toMatchObject({ records: 3000, rejected: 0, delivered: 3000, details: { appended: 2900, duplicates: 100 } });
    expect(server.documents('retried-stream').size).toBe(3000);
  });

  it('a redirect is never followed, even to a node that would answer, and never retried', async () => {
    const other = await startElasticsearchTestServer();
    try {
      server.inject({ kind: 'bulk-answer', answer: 'redirect', count: 1, location: `${other.url}/redirected/_bulk` });
      const before = server.requests.filter((r) => r.path.includes('_bulk')).length;
      const error = (await exportTo({ index: 'redirected' }).catch((e: unknown) => e)) as { code?: string; message?: string };
      expect(error.code).toBe('QCS_SINK_INCOMPLETE');
      expect(error.message).toContain(`a redirect (HTTP 307 to ${other.url}/redirected/_bulk)`);
      expect(other.requests).toEqual([]);
      // The redirected request, and at most the others already in flight (concurrency 2): no retry of the redirect.
      expect(server.requests.filter((r) => r.path.includes('_bulk')).length - before).toBeLessThanOrEqual(2);
    } finally {
      await other.close();
    }
  });
});

describe('every document is accounted for', () => {
  it('records counts acknowledged documents, rejected the dead-lettered ones, and together they make delivered', async () => {
    const poison = RECORDS[7]?.sha as string;
    server.inject({ kind: 'item-reject', id: poison });
    const summary = await exportTo({ index: 'accounted' });
    expect(summary).toMatchObject({ records: 2999, rejected: 1, delivered: 3000 });
  });

  it('documents an ingest pipeline drops ("noop") count as acknowledged, are shown apart, and are not expected in the index', async () => {
    const put = await fetch(`${server.url}/_ingest/pipeline/drop-all`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ processors: [{ drop: {} }] }),
    });
    expect(put.status).toBe(200);
    const summary = await exportTo({ index: 'dropped', pipeline: 'drop-all' }, RECORDS.slice(0, 200));
    expect(summary).toMatchObject({ records: 200, rejected: 0, delivered: 200, details: { created: 0, updated: 0, droppedByPipeline: 200 } });
    expect(server.documents('dropped').size).toBe(0);
  });

  it('a findings index counts the rows it derived as delivered', async () => {
    // Image i has i % 3 findings: 0 + 1 + 2 + 0 + ... = 39 rows from 40 images.
    const records = Array.from({ length: 40 }, (_, i) =>
      normalizeImage(
        {
          sha: i.toString(16).padStart(64, 'c'),
          vulnerabilities: Array.from({ length: i % 3 }, (_, q) => ({ qid: 1000 + q, severity: 3, firstFound: '1700000000000', software: [] })),
        },
        'images/details',
      ),
    );
    const summary = await exportTo({ index: 'accounted-findings', records: 'findings' }, records);
    expect(summary).toMatchObject({ records: 39, rejected: 0, delivered: 39 });
    expect(server.documents('accounted-findings').size).toBe(39);
  });

  it('well-formed answers for documents never stored: the count of this run after the refresh fails the run before publish', async () => {
    server.inject({ kind: 'bulk-answer', answer: 'unstored', count: 3 });
    const error = (await exportTo({ index: 'phantom' }).catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(error.code).toBe('QCS_SINK_INCOMPLETE');
    expect(error.message).toMatch(/phantom holds 2700 documents of this run \(runId: run-\d+\) after the refresh, but the cluster acknowledged 3000;/);
    expect(error.message).toMatch(/proxy or load balancer/);
  });

  it('the count is by run: a second run into the same index and into a data stream counts only its own documents', async () => {
    for (const options of [{ index: 'counted' }, { index: 'counted-stream', dataStream: true }]) {
      const logger = keptLogger();
      const first = await exportTo(options, RECORDS.slice(0, 500), { startedAt: new Date('2026-12-01T00:00:00Z'), logger });
      const second = await exportTo(options, RECORDS.slice(0, 300), { startedAt: new Date('2026-12-02T00:00:00Z'), logger });
      expect([first.records, second.records]).toEqual([500, 300]);
      expect(logger.lines.filter((l) => l.includes('holds all'))).toEqual([
        `debug: elasticsearch: ${options.index} holds all 500 documents of this run`,
        `debug: elasticsearch: ${options.index} holds all 300 documents of this run`,
      ]);
    }
    expect(server.documents('counted-stream').size).toBe(800);
  });

  it('an index made before run ids were mapped is not counted, and says so at debug level', async () => {
    await exportTo({ index: 'runid-now' }, RECORDS.slice(0, 10));
    const mappings = structuredClone(server.mappings('runid-now')) as { properties: Record<string, unknown> };
    delete mappings.properties['runId'];
    const created = await fetch(`${server.url}/runid-old`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mappings }),
    });
    expect(created.status).toBe(200);
    const logger = keptLogger();
    const summary = await exportTo({ index: 'runid-old' }, RECORDS.slice(0, 10), { logger });
    expect(summary.records).toBe(10);
    expect(logger.lines).toContain(
      "debug: elasticsearch: not counting this run's documents in runid-old: it was created before run ids were mapped (no keyword run-id field)",
    );
  });
});

describe('dead letters', () => {
  it("are redacted: neither the sink's credentials nor a secret the run knows appear in the file, also after a failed run", async () => {
    const apiKey = 'ZXMtYXBpLWtleS1zZWNyZXQtdmFsdWU=';
    const qualysPassword = 'qualys-Pa55word-of-the-run';
    const secured = await startElasticsearchTestServer({ auth: { apiKey } });
    try {
      const records = makeTestRecords(20, { seed: 5 });
      const victim = records[3] as ImageRecord & Record<string, unknown>;
      const poisoned = records.map((r) => (r === victim ? { ...r, repo: [{ registry: qualysPassword, repository: 'x', tag: 'y' }] } : r)) as ImageRecord[];
      secured.inject({ kind: 'item-reject', id: victim.sha, reason: `failed to parse; request carried ApiKey ${apiKey} and ${qualysPassword}` });
      const redact = (text: string) => text.split(qualysPassword).join('[redacted]');
      const sink = createElasticsearchSink(
        elasticsearchSink.options.parse({
          node: secured.url,
          index: 'letters',
          auth: { apiKey },
          deadLetterPath: join(dir, 'dead.ndjson'),
        }) as ElasticsearchSinkOptions,
        { ...makeRunContext({ baseDir: dir }), redact } as RunContext,
        { backoffBaseMs: 1 },
      );
      await sink.open();
      await sink.write(poisoned);
      await sink.prepare?.();
      // Another sink of the run failed: this one is aborted after it prepared, and keeps its dead letters.
      await sink.abort(new Error('another sink failed'));
      const files = await readdir(dir);
      expect(files).toEqual(['dead.ndjson']);
      const text = await readFile(join(dir, 'dead.ndjson'), 'utf8');
      expect(text.split('\n').filter(Boolean)).toHaveLength(1);
      expect(text).toContain(victim.sha);
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain(qualysPassword);
      expect(text).toContain('[redacted]');
    } finally {
      await secured.close();
    }
  });
});
