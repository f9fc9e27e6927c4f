import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkError } from '@qcs-export/core';
import { startElasticsearchTestServer, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext, makeTestRecords } from '@qcs-export/sink-testkit';
import { createElasticsearchSink, elasticsearchSink, type ElasticsearchSinkOptions } from '../src/index.js';

let server: EsTestServer;
beforeAll(async () => {
  server = await startElasticsearchTestServer();
});
afterAll(async () => {
  await server.close();
});

const sinkFor = (dir: string, options: Record<string, unknown>) =>
  createElasticsearchSink(elasticsearchSink.options.parse({ node: server.url, ...options }) as ElasticsearchSinkOptions, makeRunContext({ baseDir: dir }), {
    backoffBaseMs: 5,
  });

describe('the ingest pipeline is checked at open (issue 9, point 18)', () => {
  it('a pipeline the cluster lacks fails open with a clear message, before any document is sent or dead-lettered', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qcs-es-pipeline-'));
    try {
      const before = server.stats.bulkRequests;
      const sink = sinkFor(dir, { index: 'pipeline-missing', pipeline: 'enrich-imagse' });
      const error = await sink.open().catch((e: unknown) => e);
      await sink.abort(error);
      expect(error).toBeInstanceOf(SinkError);
      expect((error as Error).message).toMatch(/the ingest pipeline "enrich-imagse" does not exist on the cluster/);
      expect(server.stats.bulkRequests).toBe(before);
      expect(await readdir(dir)).toEqual([]);
      // and validate's check says the same
      await expect(
        elasticsearchSink.check?.(
          elasticsearchSink.options.parse({ node: server.url, index: 'x', pipeline: 'enrich-imagse' }),
          makeRunContext({ baseDir: dir }),
        ),
      ).rejects.toThrow(/does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a pipeline the cluster has is used, and every document arrives', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qcs-es-pipeline-'));
    try {
      const put = await fetch(`${server.url}/_ingest/pipeline/enrich-images`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ processors: [] }),
      });
      expect(put.status).toBe(200);
      const sink = sinkFor(dir, { index: 'pipeline-present', pipeline: 'enrich-images' });
      await sink.open();
      await sink.write(makeTestRecords(50));
      const summary = await sink.close();
      expect(summary).toMatchObject({ records: 50, rejected: 0 });
      expect(server.documents('pipeline-present').size).toBe(50);
      expect(server.requests.some((r) => r.path.includes('_bulk') && r.path.includes('pipeline=enrich-images'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
