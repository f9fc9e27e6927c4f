import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeImage, type ImageRecord } from '@qcs-export/core';
import { startElasticsearchTestServer, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext } from '@qcs-export/sink-testkit';
import { createElasticsearchSink, elasticsearchSink, type ElasticsearchSinkOptions } from '../src/index.js';

/**
 * A loopback proxy in front of the test server that holds the first _delete_by_query until a _bulk request arrives
 * behind it (or, as a hang guard, a few seconds pass), and counts the _bulk requests that arrived while it was held;
 * with `fail`, it then answers every delete as a node refusing it would, instead of passing it on.
 */
async function holdingProxy(target: string, fail = false): Promise<{ url: string; held: number[]; deletes: string[]; close: () => Promise<void> }> {
  const held: number[] = [];
  const deletes: string[] = [];
  let release: (() => void) | undefined;
  const forward = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: Buffer) => {
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.end(body);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url?.includes('/_delete_by_query')) {
        deletes.push(req.url);
        // Only the first is held: nothing is sent behind the last one, at the end of the run.
        if (deletes.length > 1 && !fail) return forward(req, res, body);
        held.push(0);
        const guard = setTimeout(() => release?.(), 3000);
        release = () => {
          clearTimeout(guard);
          release = undefined;
          if (!fail) return forward(req, res, body);
          const error = { type: 'query_shard_exception', reason: 'failed to create query (injected)' };
          res.writeHead(400, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
          res.end(JSON.stringify({ error: { root_cause: [error], ...error }, status: 400 }));
        };
        return;
      }
      if (req.url?.includes('/_bulk') && release) {
        held[held.length - 1] = (held.at(-1) ?? 0) + 1;
        release();
      }
      forward(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    deletes,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Images with findings QIDs 100 (open in both runs) and, when `withFixed`, 200 (fixed before the second run). */
function images(count: number, withFixed: boolean): ImageRecord[] {
  return Array.from({ length: count }, (_, i) =>
    normalizeImage(
      {
        sha: i.toString(16).padStart(64, '0'),
        repo: [{ registry: 'docker.io', repository: `team/app-${i}`, tag: 'v1' }],
        vulnerabilities: [
          { qid: 100, severity: 4, firstFound: '1700000000000', software: [{ name: 'zlib', version: '1.2', fixVersion: '1.3' }] },
          ...(withFixed ? [{ qid: 200, severity: 2, firstFound: '1700000000000', software: [] }] : []),
        ],
      },
      'images/details',
    ),
  );
}

let es: EsTestServer;
let dir: string;
beforeAll(async () => {
  es = await startElasticsearchTestServer();
  dir = await mkdtemp(join(tmpdir(), 'qcs-es-stale-'));
});
afterAll(async () => {
  await es.close();
  await rm(dir, { recursive: true, force: true });
});

async function exportRun(node: string, runId: string, records: readonly ImageRecord[]) {
  const options = elasticsearchSink.options.parse({ node, index: 'cs-stale', records: 'findings', flushDocs: 20 }) as ElasticsearchSinkOptions;
  const sink = createElasticsearchSink(options, makeRunContext({ baseDir: dir, runId }));
  await sink.open();
  // Batches of 100 images, as the source hands them on: the fifth brings 500 images, which sends the first delete.
  for (let i = 0; i < records.length; i += 100) await sink.write(records.slice(i, i + 100));
  return sink.close();
}

describe('removing fixed findings while the export goes on (issue 19)', () => {
  it('later images are sent while the delete of the earlier ones runs, and only the fixed findings go', async () => {
    await exportRun(es.url, 'run-1', images(700, true));
    expect(es.documents('cs-stale').size).toBe(1400);

    const proxy = await holdingProxy(es.url);
    try {
      const summary = await exportRun(proxy.url, 'run-2', images(700, false));
      // Two deletes: the first 500 images, then the last 200 at the end. Bulk requests of images 500-699 reached the
      // cluster while the first was held; waiting for the delete before sending them left none in flight meanwhile.
      expect(proxy.deletes).toHaveLength(2);
      expect(proxy.held[0]).toBeGreaterThan(0);
      expect(summary).toMatchObject({ records: 700, rejected: 0, details: { fixedFindingsRemoved: 700 } });
    } finally {
      await proxy.close();
    }
    const docs = [...es.documents('cs-stale').values()].map((d) => d._source as { qualys_cs: { qid: number; run_id: string } });
    expect(docs).toHaveLength(700);
    expect(new Set(docs.map((d) => `${d.qualys_cs.qid}/${d.qualys_cs.run_id}`))).toEqual(new Set(['100/run-2']));
  });

  it('a delete that fails fails the run, though later documents were sent while it ran', async () => {
    const proxy = await holdingProxy(es.url, true);
    try {
      const failure = await exportRun(proxy.url, 'run-3', images(700, true)).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(proxy.held[0]).toBeGreaterThan(0);
      expect(failure?.message).toMatch(/removing fixed findings of 500 images/);
    } finally {
      await proxy.close();
    }
  });
});
