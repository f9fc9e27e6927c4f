import { describe, expect, it } from 'vitest';
import { DEFAULT_ADVICE, type Logger, SourceIncompleteError, SourceInconsistentError, type SourceStats } from '../src/index.js';
import { CATCH_UP_ROUNDS, Completeness } from '../src/source/completeness.js';
import { DeliveryLedger } from '../src/source/ledger.js';
import type { PassEnd, Strategy } from '../src/source/strategy.js';

// Pure logic: a fake strategy delivers into a real ledger, and the server's count is a script. The resource is a
// made-up one (containers), so nothing here depends on images.
interface Container {
  containerId: string;
  updated: number;
}
const START = Date.UTC(2026, 0, 1);
const old = (id: string): Container => ({ containerId: id, updated: START - 1000 });
const changed = (id: string): Container => ({ containerId: id, updated: START + 1000 });

function setup(counts: Array<number | undefined>) {
  const ledger = new DeliveryLedger({ key: (c: Container) => c.containerId, changedAt: (c: Container) => c.updated }, START);
  const stats: Pick<SourceStats, 'expectedAtStart' | 'countAtEnd' | 'repairPasses'> = { expectedAtStart: undefined, countAtEnd: undefined, repairPasses: 0 };
  const warnings: string[] = [];
  const logger: Logger = { debug: () => {}, info: () => {}, warn: (m: string) => warnings.push(m), error: () => {} } as unknown as Logger;
  let asked = 0;
  const completeness = new Completeness({
    noun: 'containers',
    path: '/csapi/v1.3/containers',
    countNow: async () => {
      const count = counts[Math.min(asked, counts.length - 1)];
      asked++;
      return count;
    },
    ledger,
    logger,
    advice: DEFAULT_ADVICE,
    stats,
  });
  return { ledger, stats, warnings, completeness, asked: () => asked };
}

/** A strategy whose reads hand over the records the test scripts for them. */
function fakeStrategy(ledger: DeliveryLedger<Container>, script: { crawl: Container[]; tails?: Container[][]; repairs?: Container[][] }) {
  const calls = { tail: 0, all: 0 };
  const strategy: Strategy = {
    name: 'images',
    async crawl(): Promise<PassEnd> {
      ledger.commit(script.crawl);
      return { kind: 'open' };
    },
    async readTail() {
      ledger.commit(script.tails?.[calls.tail] ?? []);
      calls.tail++;
    },
    async readAll() {
      ledger.commit(script.repairs?.[calls.all] ?? []);
      calls.all++;
    },
    describeReads: () => 'by the fake reads',
  };
  return { strategy, calls };
}

describe('Completeness: catching up with the server count', () => {
  it('fails with QCS_SOURCE_INCOMPLETE after the round limit when a subscription keeps growing faster than the tail', async () => {
    // Each tail read finds one new container, but the server counts two more every time it is asked.
    const counts = Array.from({ length: 40 }, (_, i) => 12 + 2 * i);
    const { ledger, stats, completeness, asked } = setup(counts);
    const tails = Array.from({ length: 40 }, (_, i) => [changed(`new-${i}`)]);
    const { strategy, calls } = fakeStrategy(ledger, { crawl: Array.from({ length: 10 }, (_, i) => old(`c${i}`)), tails });
    const error = await completeness.finish(strategy, await strategy.crawl()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SourceIncompleteError);
    const incomplete = error as SourceIncompleteError;
    expect(incomplete.code).toBe('QCS_SOURCE_INCOMPLETE');
    expect(asked()).toBe(CATCH_UP_ROUNDS);
    expect(calls.tail).toBe(CATCH_UP_ROUNDS);
    expect(incomplete.expected).toBe(counts[CATCH_UP_ROUNDS - 1]);
    expect(incomplete.delivered).toBe(10 + CATCH_UP_ROUNDS);
    expect(incomplete.message).toContain(`Qualys counts ${counts[CATCH_UP_ROUNDS - 1]} containers for the filter, but only 20 could be read by the fake reads`);
    expect(stats.countAtEnd).toBe(counts[CATCH_UP_ROUNDS - 1]);
  });

  it('succeeds when a repair pass finds the record the first pass lost', async () => {
    const { ledger, stats, warnings, completeness } = setup([5]);
    const { strategy, calls } = fakeStrategy(ledger, { crawl: ['a', 'b', 'c', 'd'].map(old), repairs: [['a', 'b', 'c', 'd', 'e'].map(old)] });
    await completeness.finish(strategy, await strategy.crawl());
    expect(ledger.delivered).toBe(5);
    // Round 1 reads the tail (in any case) and finds nothing; round 2 repairs.
    expect(calls).toEqual({ tail: 1, all: 1 });
    expect(stats).toMatchObject({ countAtEnd: 5, repairPasses: 1 });
    expect(warnings).toEqual([
      'Qualys counts 5 containers but 4 were delivered and nothing more came from the tail; reading everything once more (repair pass)',
    ]);
  });

  it('stops early, without using up the rounds, when a repair found nothing and the count stood still', async () => {
    const { ledger, completeness, asked } = setup([5]);
    const { strategy, calls } = fakeStrategy(ledger, { crawl: ['a', 'b', 'c', 'd'].map(old) });
    await expect(completeness.finish(strategy, await strategy.crawl())).rejects.toMatchObject({
      code: 'QCS_SOURCE_INCOMPLETE',
      expected: 5,
      delivered: 4,
    });
    // The tail finds nothing, then the repair finds nothing while the count stands still: stuck.
    expect(calls).toEqual({ tail: 1, all: 1 });
    expect(asked()).toBe(2);
    expect(asked()).toBeLessThan(CATCH_UP_ROUNDS);
  });

  it('fails naming the missing count when the server stops sending one during the catch-up', async () => {
    const { ledger, completeness } = setup([undefined]);
    const { strategy } = fakeStrategy(ledger, { crawl: ['a', 'b'].map(old) });
    await expect(completeness.finish(strategy, await strategy.crawl())).rejects.toThrow(
      'Qualys sent no "count" for the filter, so the 2 containers delivered cannot be checked for completeness',
    );
  });

  it('takes a pass the strategy proved itself as the end, without reading a tail', async () => {
    const { ledger, stats, completeness, asked } = setup([7]);
    const { strategy, calls } = fakeStrategy(ledger, { crawl: [] });
    await completeness.finish(strategy, { kind: 'proven', count: 3 });
    expect(stats.countAtEnd).toBe(3);
    expect(calls).toEqual({ tail: 0, all: 0 });
    expect(asked()).toBe(0);
  });
});

describe('Completeness: the counts at the start and the surplus', () => {
  it('refuses to start without a count, naming the endpoint that sent none', async () => {
    const { completeness, stats } = setup([undefined]);
    const error = await completeness.countAtStart().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceIncompleteError);
    expect((error as Error).message).toContain('Qualys sent no "count" with GET /csapi/v1.3/containers, so no export of this filter can be checked');
    expect(stats.expectedAtStart).toBeUndefined();
    const counted = setup([42]);
    await expect(counted.completeness.countAtStart()).resolves.toBe(42);
    expect(counted.stats.expectedAtStart).toBe(42);
  });

  it('fails with QCS_SOURCE_INCONSISTENT when more unchanged records came than the server ever counted', async () => {
    const { ledger, stats, completeness } = setup([5]);
    stats.expectedAtStart = 5;
    stats.countAtEnd = 5;
    ledger.commit(['a', 'b', 'c', 'd', 'e', 'f'].map(old));
    const error = (() => {
      try {
        completeness.checkSurplus('bulk');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SourceInconsistentError);
    expect((error as SourceInconsistentError).code).toBe('QCS_SOURCE_INCONSISTENT');
    expect((error as Error).message).toContain(
      'delivered 6 containers that did not change during the run, but Qualys counts at most 5 for the filter (5 at the start, 5 at the end): ' +
        'the bulk strategy returned containers outside the filter',
    );
  });

  it('lets records that changed during the run exceed the counts (added while it ran)', () => {
    const { ledger, stats, completeness } = setup([5]);
    stats.expectedAtStart = 5;
    stats.countAtEnd = 4;
    ledger.commit([...['a', 'b', 'c', 'd', 'e'].map(old), changed('f'), changed('g')]);
    expect(() => completeness.checkSurplus('images')).not.toThrow();
  });
});
