import { describe, expect, it } from 'vitest';
import type { Fault, QualysSimulator } from '@qcs-export/qualys-simulator';
import { CHURN, run, sim } from './dialect-harness.js';

describe('auto picks the documented way first, and says why', () => {
  it('reads a filter within reach of page numbers by page number, twice over, with no undocumented form', async () => {
    const outcome = await run({ images: 5_000, updatesDuringCrawl: CHURN }, { strategy: 'auto', pageSize: 700 });
    expect(outcome.ok, outcome.error?.message).toBe(true);
    expect(outcome.stats.strategy).toBe('pages');
    const forms = (sim as QualysSimulator).requests.map((r) => String(r.query['filter'] ?? ''));
    expect(forms.every((f) => !/updated|not uuid/.test(f))).toBe(true);
  });

  it('past the cap, uses the keyset only after the self-test passes, and records the verdicts', async () => {
    const outcome = await run({}, { strategy: 'auto' });
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
  const dataPage = (size: number) => (path: string, query: Record<string, string | number | undefined>) =>
    Number(query['pageSize'] ?? query['limit']) === size && path.endsWith(size === 250 ? '/images/list' : '/images');

  it('pages: recovered, every image exactly once', async () => {
    const outcome = await run({ images: 5_000 }, { strategy: 'pages', pageSize: 500, concurrency: 1 }, { fault, nth: 4, matches: dataPage(500) });
    expect(outcome.ok, outcome.error?.message).toBe(true);
  });

  it('images (keyset): recovered, every image exactly once', async () => {
    const outcome = await run({}, { strategy: 'images', pageSize: 500, concurrency: 1 }, { fault, nth: 6, matches: dataPage(500) });
    expect(outcome.ok, outcome.error?.message).toBe(true);
  });

  it('bulk: recovered, every image exactly once', async () => {
    const outcome = await run({}, { strategy: 'bulk', pageSize: 250 }, { fault, nth: 6, matches: dataPage(250) });
    expect(outcome.ok, outcome.error?.message).toBe(true);
  });
});
