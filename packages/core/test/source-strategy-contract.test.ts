import type { QualysSimulator } from '@qcs-export/qualys-simulator';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADVICE, type ImageRecord, silentLogger } from '../src/index.js';
import { Completeness } from '../src/source/completeness.js';
import type { CrawlContext } from '../src/source/crawl-context.js';
import { countNow } from '../src/source/count-now.js';
import type { KeysetContext } from '../src/source/keyset.js';
import { DeliveryLedger } from '../src/source/ledger.js';
import { IMAGES } from '../src/source/resource.js';
import type { Strategy } from '../src/source/strategy.js';
import { bulkStrategy } from '../src/source/strategy-bulk.js';
import { keysetStrategy } from '../src/source/strategy-keyset.js';
import { pagesStrategy } from '../src/source/strategy-pages.js';
import { useSimulatorClient } from './simulator-client.js';

/** A crawl context over a loopback simulator, recording every sha handed on, as imageSource builds it. */
const startSimulatorClient = useSimulatorClient({ maxRetries: 2 });
let sim: QualysSimulator | undefined;

async function setup(images: number) {
  const started = await startSimulatorClient({ images, seed: 18 });
  sim = started.sim;
  const client = started.client;
  const ledger = new DeliveryLedger(IMAGES, Date.now());
  const delivered: string[] = [];
  const controller = new AbortController();
  const base: CrawlContext = {
    client,
    filter: undefined,
    pageSize: 50,
    resultCap: 10_000,
    request: { signal: controller.signal },
    resource: IMAGES,
    ledger,
    logger: silentLogger,
    advice: DEFAULT_ADVICE,
    emit: async (batch: ImageRecord[]) => {
      for (const record of ledger.commit(batch)) delivered.push(record.sha);
    },
  };
  const ctx: KeysetContext = { ...base, field: 'updated', maxExclusions: 100 };
  const stats = { expectedAtStart: undefined, countAtEnd: undefined, repairPasses: 0 };
  const completeness = new Completeness({
    noun: 'images',
    path: IMAGES.path,
    countNow: () => countNow(base),
    ledger,
    logger: silentLogger,
    advice: DEFAULT_ADVICE,
    stats,
  });
  return { ctx, ledger, delivered, completeness, stats, signal: controller.signal };
}

const STRATEGIES: Array<{ name: string; make: (s: Awaited<ReturnType<typeof setup>>) => Strategy; firstPass: 'proven' | 'open' }> = [
  { name: 'pages', make: (s) => pagesStrategy(s.ctx, 3), firstPass: 'proven' },
  { name: 'images', make: (s) => keysetStrategy(s.ctx, { concurrency: 3, prefetchPages: 2, signal: s.signal }), firstPass: 'open' },
  { name: 'bulk', make: (s) => bulkStrategy(s.ctx, false), firstPass: 'open' },
];

describe('every strategy implements the one Strategy contract (loopback simulator)', () => {
  for (const { name, make, firstPass } of STRATEGIES) {
    it(`${name}: crawl() delivers every image once, readTail() picks up images added after it, readAll() repeats nothing`, async () => {
      const s = await setup(400);
      const strategy = make(s);
      expect(strategy.name).toBe(name);
      await s.completeness.countAtStart();
      const end = await strategy.crawl();
      expect(end.kind).toBe(firstPass);
      if (end.kind === 'proven') expect(end.count).toBe(400);
      await s.completeness.finish(strategy, end);
      expect(s.stats.countAtEnd).toBe(400);
      expect(new Set(s.delivered).size).toBe(400);
      expect(s.delivered.length).toBe(400);
      expect(new Set(s.delivered)).toEqual(new Set(sim?.images().map((i) => i.sha)));

      // Images added and rescanned after the first pass land where readTail() reads.
      const added = sim?.addImages(3) ?? [];
      sim?.updateImages(5);
      await strategy.readTail();
      expect(s.delivered.slice(400).sort()).toEqual([...added].sort());

      // A repair pass reads everything again; the ledger lets nothing through twice.
      const dropped = s.ledger.duplicatesDropped;
      await strategy.readAll();
      expect(s.delivered.length).toBe(403);
      expect(s.ledger.duplicatesDropped).toBeGreaterThanOrEqual(dropped + 403);
      expect(strategy.describeReads()).not.toBe('');
    });
  }
});
