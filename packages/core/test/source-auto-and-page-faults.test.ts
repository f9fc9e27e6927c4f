import { describe, expect, it } from 'vitest';
import type { Fault, QualysSimulator } from '@qcs-export/qualys-simulator';
import { FULL, run, sim } from './dialect-harness.js';

describe('auto picks the documented way first, and says why', () => {
  // At the documented cap: the one full-size case of the page-number strategy.
  it('reads a filter within reach of page numbers by page number, twice over, with no undocumented form', async () => {
    const outcome = await run({ images: 5_000, updatesDuringCrawl: FULL.churn }, { strategy: 'auto', pageSize: 700 }, undefined, FULL);
    expect(outcome.ok, outcome.error?.message).toBe(true);
    expect(outcome.stats.strategy).toBe('pages');
    const forms = (sim as QualysSimulator).requests.map((r) => String(r.query['filter'] ?? ''));
    expect(forms.every((f) => !/updated|not uuid/.test(f))).toBe(true);
  });

  // At the documented cap: the one full-size case of auto.
  it('past the cap, uses the keyset only after the self-test passes, and records the verdicts', async () => {
    const outcome = await run({}, { strategy: 'auto' }, undefined, FULL);
    expect(outcome.stats.strategy).toBe('images');
    expect(outcome.stats.selfTest?.length).toBeGreaterThanOrEqual(6);
    expect(outcome.stats.selfTest?.every((v) => v.ok)).toBe(true);
  });

  it('past the cap, falls back to the bulk cursor when a form misbehaves, naming it', async () => {
    const outcome = await run({ dialect: { ignoreNotUuid: true } }, { strategy: 'auto' });
    expect(outcome.stats.strategy).toBe('bulk');
    expect(outcome.stats.strategyReason).toMatch(/not uuid/);
    expect(outcome.stats.severityCounts).toBe('absent');
  });
});

const PAGE_FAULTS: Array<[string, Fault]> = [
  ['a short page', { kind: 'shortPage', count: 2 }],
  ['data: []', { kind: 'emptyPage', shape: 'empty' }],
  ['data: null', { kind: 'emptyPage', shape: 'null' }],
  ['no data key', { kind: 'emptyPage', shape: 'absent' }],
  ['a 204', { kind: 'emptyPage', shape: '204' }],
  ['a record repeated inside one page', { kind: 'duplicateInPage', count: 3 }],
];

describe.each(PAGE_FAULTS)('a page fault in the middle of a crawl: %s', (_name, fault) => {
  // The n-th data page of that size on that path: page sizes no other request of the crawl uses (counts ask for 1).
  const dataPage = (size: number, endpoint: '/images' | '/images/list') => (path: string, query: Record<string, string | number | undefined>) =>
    Number(query['pageSize'] ?? query['limit']) === size && path.endsWith(endpoint);

  // Under the small scale's 1,000 cap: 900 images in 9 pages, the fault on the 4th.
  it('pages: recovered, every image exactly once', async () => {
    const outcome = await run({ images: 900 }, { strategy: 'pages', pageSize: 100, concurrency: 1 }, { fault, nth: 4, matches: dataPage(100, '/images') });
    expect(outcome.ok, outcome.error?.message).toBe(true);
  });

  // 2,500 images in 50 pages of 50, the fault on the 6th.
  it('images (keyset): recovered, every image exactly once', async () => {
    const outcome = await run({}, { strategy: 'images', pageSize: 50, concurrency: 1 }, { fault, nth: 6, matches: dataPage(50, '/images') });
    expect(outcome.ok, outcome.error?.message).toBe(true);
  });

  // The bulk cursor knows no cap, and its pages carry every image's details: 1,000 images in 20 pages of 50, the fault on the 6th.
  it('bulk: recovered, every image exactly once', async () => {
    const outcome = await run({ images: 1000 }, { strategy: 'bulk', pageSize: 50 }, { fault, nth: 6, matches: dataPage(50, '/images/list') });
    expect(outcome.ok, outcome.error?.message).toBe(true);
  });
});
