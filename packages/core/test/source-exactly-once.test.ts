import { describe, expect, it } from 'vitest';
import type { QualysSimulator } from '@qcs-export/qualys-simulator';
import { AbortedError, imageSource, type ImageRecord, type ImageSourceOptions, type QualysGetter } from '../src/index.js';
import { useSimulatorClient } from './simulator-client.js';

const setup = useSimulatorClient();

async function collect(options: ImageSourceOptions): Promise<ImageRecord[]> {
  const out: ImageRecord[] = [];
  for await (const batch of imageSource(options)) out.push(...batch);
  return out;
}

function expectExactlyOnce(records: readonly ImageRecord[], expectedShas: Iterable<string>): void {
  const delivered = records.map((r) => r.sha);
  const unique = new Set(delivered);
  expect(delivered.length - unique.size, 'duplicates delivered').toBe(0);
  const expected = new Set(expectedShas);
  const missing = [...expected].filter((s) => !unique.has(s));
  const unexpected = [...unique].filter((s) => !expected.has(s));
  expect(missing.length, 'images never delivered').toBe(0);
  expect(unexpected.length, 'images that do not exist').toBe(0);
}

function dataRequests(s: QualysSimulator) {
  return s.requests.filter((r) => r.path.startsWith('/csapi/'));
}

/**
 * Past the cap: one full-size case per strategy here at the documented 10,000 (the images strategy with 12,000 images,
 * bulk with 12,000); the others page past a 1,000 cap (simulator maxResultWindow, source resultCap) with 2,500
 * images, which takes the same paths with a tenth of the requests.
 */
const SMALL_CAP = { maxResultWindow: 1000 } as const;

describe('image source: every image exactly once past the cap', () => {
  it('images strategy delivers 12,000 images exactly once without paging any query past the cap', async () => {
    const { sim, client } = await setup({ images: 12_000, seed: 7 });
    const source = imageSource({ client, pageSize: 1000, concurrency: 4, strategy: 'images' });
    const records: ImageRecord[] = [];
    for await (const batch of source) records.push(...batch);
    expectExactlyOnce(
      records,
      sim.images().map((i) => i.sha),
    );
    expect(source.stats).toMatchObject({ strategy: 'images', expectedAtStart: 12_000, countAtEnd: 12_000, records: 12_000, duplicatesDropped: 0 });
    for (const r of dataRequests(sim)) {
      const pageNumber = Number(r.query['pageNumber'] ?? 1);
      const pageSize = Number(r.query['pageSize'] ?? 50);
      expect(pageNumber * pageSize).toBeLessThanOrEqual(10_000);
      expect(r.status).toBeLessThan(400);
    }
  });

  it('images strategy stays exact while images are rescanned during the crawl (concurrent updates)', async () => {
    const { sim, client } = await setup({ images: 2500, seed: 11, ...SMALL_CAP, updatesDuringCrawl: { everyRequests: 2, count: 4 } });
    const records = await collect({ client, pageSize: 50, concurrency: 3, strategy: 'images', resultCap: 1000 });
    const updatedShas = new Set(records.filter((r) => r.updated !== null).map((r) => r.sha));
    expect(updatedShas.size).toBe(records.length);
    expectExactlyOnce(
      records,
      sim.images().map((i) => i.sha),
    );
    // the crawl really ran while images changed: the simulator counts the updates it applied
    expect(sim.stats.requests).toBeGreaterThan(50);
  });

  it('images strategy gives the same set sequentially (concurrency 1) as with parallel windows', async () => {
    const { sim, client } = await setup({ images: 2500, seed: 3, ...SMALL_CAP });
    const sequential = await collect({ client, pageSize: 70, concurrency: 1, strategy: 'images', resultCap: 1000 });
    const parallel = await collect({ client, pageSize: 70, concurrency: 4, strategy: 'images', resultCap: 1000 });
    expectExactlyOnce(
      sequential,
      sim.images().map((i) => i.sha),
    );
    // Parallel windows hand pages on as they come in, so only the set is the same, not the order.
    expect(parallel.map((r) => r.sha).sort()).toEqual(sequential.map((r) => r.sha).sort());
  });

  it('applies the user filter: delivers exactly the images the filter matches', async () => {
    const { sim, client } = await setup({ images: 2500, seed: 9, ...SMALL_CAP });
    const records = await collect({ client, pageSize: 100, filter: 'riskScore>=50', strategy: 'images', resultCap: 1000 });
    const expected = sim
      .images()
      .filter((i) => typeof i.riskScore === 'number' && i.riskScore >= 50)
      .map((i) => i.sha);
    expect(expected.length).toBeGreaterThan(100);
    expectExactlyOnce(records, expected);
  });

  // The first at full size (12,000 images in pages of 250), the second with a fifth of the images, page and rescans.
  it.each([
    ['doc', 'null', 12_000, 250, 60],
    ['rfc', 'absent', 2500, 50, 12],
  ] as const)(
    'bulk strategy (Link style %s, end %s) delivers every image once and drops the copies rescans cause',
    async (linkStyle, linkEnd, images, pageSize, count) => {
      const { sim, client } = await setup({ images, seed: 13, linkStyle, linkEnd, updatesDuringCrawl: { everyRequests: 3, count } });
      const source = imageSource({ client, strategy: 'bulk', pageSize });
      const records: ImageRecord[] = [];
      for await (const batch of source) records.push(...batch);
      expectExactlyOnce(
        records,
        sim.images().map((i) => i.sha),
      );
      expect(source.stats.duplicatesDropped).toBeGreaterThan(0);
      // the cursor is re-sent to the configured server, never followed to the host the Link header names
      const later = dataRequests(sim)
        .filter((r) => r.path.endsWith('/images/list'))
        .slice(1);
      expect(later.length).toBeGreaterThan(40);
      for (const r of later) expect(String(r.query['paginationQuery'] ?? '')).toMatch(/updated>=/);
    },
  );

  it('holds a bounded number of pages when the consumer stops reading (memory bounded by page size and prefetch)', async () => {
    const { sim, client } = await setup({ images: 4000, seed: 2 });
    const iterator = imageSource({ client, pageSize: 100, concurrency: 2, prefetch: 2, strategy: 'images' })[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((r) => setTimeout(r, 400));
    const fetched = dataRequests(sim).filter((r) => Number(r.query['pageSize']) === 100).length;
    // Each of the 2 windows running: 2 queued + 1 taken for the reader + 1 waiting for room + 1 asked for ahead;
    // then 1 held by the strategy, 1 in the source's hand-over and the page consumed. Nothing grows with the export.
    expect(fetched).toBeLessThanOrEqual(2 * 5 + 3);
    await iterator.return?.();
  });

  it('makes no further call once the consumer stops reading, even with windows still unstarted', async () => {
    const { client } = await setup({ images: 2500, seed: 8, latencyMs: 5 });
    let stopped = false;
    let callsAfterStop = 0;
    const counting: QualysGetter = {
      get: (path, query, options) => {
        if (stopped) callsAfterStop++;
        return client.get(path, query, options);
      },
    };
    const iterator = imageSource({ client: counting, pageSize: 250, concurrency: 2, strategy: 'images' })[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    stopped = true;
    await new Promise((r) => setTimeout(r, 300));
    expect(callsAfterStop).toBe(0);
  });

  it('stops with AbortedError when the run is interrupted mid-crawl', async () => {
    const { client } = await setup({ images: 2500, seed: 4, latencyMs: 20, ...SMALL_CAP });
    const controller = new AbortController();
    let batches = 0;
    const run = (async () => {
      for await (const _ of imageSource({ client, pageSize: 100, resultCap: 1000, signal: controller.signal })) {
        if (++batches === 3) controller.abort();
      }
    })();
    await expect(run).rejects.toBeInstanceOf(AbortedError);
  });

  it.each(['pages', 'images', 'bulk'] as const)(
    '%s: an abort while pages fetched ahead are in flight rejects them quietly (no unhandled rejection ends the process)',
    async (strategy) => {
      const { client } = await setup({ images: strategy === 'pages' ? 900 : 2500, seed: 6, latencyMs: 40 });
      const controller = new AbortController();
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const pages = imageSource({ client, strategy, pageSize: strategy === 'pages' ? 100 : 250, concurrency: 4, signal: controller.signal })[
          Symbol.asyncIterator
        ]();
        await pages.next();
        // The consumer stops pulling (as the runner does while it opens the sinks): the source fills its hand-over
        // and waits, with the next pages on their way; then the run is aborted.
        await new Promise((r) => setTimeout(r, 15));
        controller.abort();
        await expect(pages.next()).rejects.toBeInstanceOf(AbortedError);
        await new Promise((r) => setTimeout(r, 150));
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    },
  );
});

describe('page numbers: the verifying pass is not a duplicate (issue 22)', () => {
  it('a second pass over every page proves the result; what it reads again is counted as read to verify, not dropped', async () => {
    const { sim, client } = await setup({ images: 300, seed: 21 });
    const source = imageSource({ client, strategy: 'pages', pageSize: 100 });
    const records: ImageRecord[] = [];
    for await (const batch of source) records.push(...batch);
    expectExactlyOnce(
      records,
      sim.images().map((i) => i.sha),
    );
    expect(source.stats).toMatchObject({ strategy: 'pages', duplicatesDropped: 0, rereadToVerify: 300 });
  });
});
