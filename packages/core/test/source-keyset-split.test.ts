import { describe, expect, it } from 'vitest';
import { imageSource, silentLogger, type ImageRecord, type ImageSourceOptions, type Logger } from '../src/index.js';
import { DEFAULT_ADVICE } from '../src/source/advice.js';
import { crawlKeysetRange, type KeyRange, type KeysetProgress } from '../src/source/keyset.js';
import { splitPoint } from '../src/source/keyset-windows.js';
import { DeliveryLedger } from '../src/source/ledger.js';
import { IMAGES } from '../src/source/resource.js';
import { useSimulatorClient } from './simulator-client.js';

const setup = useSimulatorClient();

/** A logger that keeps the debug lines, where the source says when it splits a window. */
function debugLines(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: { ...silentLogger, debug: (message: string) => void lines.push(message) } };
}

async function collect(options: ImageSourceOptions): Promise<{ records: ImageRecord[]; duplicatesDropped: number }> {
  const source = imageSource(options);
  const records: ImageRecord[] = [];
  for await (const batch of source) records.push(...batch);
  return { records, duplicatesDropped: source.stats.duplicatesDropped };
}

const progress = (p: Partial<KeysetProgress>): KeysetProgress => ({ reached: 1000, pageFrom: 900, pageLength: 101, count: 601, remaining: 500, ...p });

describe('splitting a running keyset window', () => {
  it('splits where the keys of the last page put half of the rest, inside the window', () => {
    // 101 keys over 100 ms: 1 ms per record, so 250 of the 500 left lie up to 250 ms above the last key.
    expect(splitPoint({ from: 0, until: 5000 }, progress({}), 9999, 100)).toBe(1251);
    // Keys sparser further on would put that past the end: the middle of the rest is used instead.
    expect(splitPoint({ from: 0, until: 1100 }, progress({}), 9999, 100)).toBe(1050);
    // The open top window is bounded by the newest key seen when the run was planned.
    expect(splitPoint({ from: 0, until: null }, progress({ pageLength: 1 }), 2001, 100)).toBe(1501);
  });

  it('does not split what is not worth a request: under two pages left, no count, no room above the last key', () => {
    expect(splitPoint({ from: 0, until: 5000 }, progress({ remaining: 199 }), 9999, 100)).toBeUndefined();
    expect(splitPoint({ from: 0, until: 5000 }, progress({ remaining: undefined }), 9999, 100)).toBeUndefined();
    expect(splitPoint({ from: 0, until: 1002 }, progress({}), 9999, 100)).toBeUndefined();
    expect(splitPoint({ from: 0, until: null }, progress({}), 1000, 100)).toBeUndefined();
    expect(splitPoint({ from: 0, until: 5000 }, undefined, 9999, 100)).toBeUndefined();
  });

  it('keeps every producer busy to the end by splitting windows, and still delivers every image once', async () => {
    const { sim, client } = await setup({ images: 2500, seed: 21, maxResultWindow: 1000, latencyMs: 2 });
    const { logger, lines } = debugLines();
    const { records, duplicatesDropped } = await collect({ client, pageSize: 20, concurrency: 4, strategy: 'images', resultCap: 1000, logger });
    expect(lines.filter((l) => l.includes('is split off a window')).length).toBeGreaterThan(0);
    expect(records.map((r) => r.sha).sort()).toEqual(
      sim
        .images()
        .map((i) => i.sha)
        .sort(),
    );
    // Nothing was read twice: a part split off is never also read by the window it came from.
    expect(duplicatesDropped).toBe(0);
  });

  it('stays exact when windows are split while images are rescanned', async () => {
    const { sim, client } = await setup({ images: 2500, seed: 22, maxResultWindow: 1000, latencyMs: 2, updatesDuringCrawl: { everyRequests: 3, count: 2 } });
    const { logger, lines } = debugLines();
    const { records } = await collect({ client, pageSize: 20, concurrency: 6, strategy: 'images', resultCap: 1000, logger });
    expect(lines.filter((l) => l.includes('is split off a window')).length).toBeGreaterThan(0);
    const delivered = records.map((r) => r.sha);
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(new Set(delivered)).toEqual(new Set(sim.images().map((i) => i.sha)));
  });

  it('takes an empty page as the end when the count that promised more was for the range before its end was lowered', async () => {
    const { sim, client } = await setup({ images: 300, seed: 24 });
    const keys = sim
      .images()
      .map((i) => Number(i.updated))
      .sort((a, b) => a - b);
    const range: KeyRange = { from: null, until: null };
    // Page 2 (records 50–99, asked before the end moved) ends just below the new end, and its count is the old range's.
    const newEnd = keys[100] as number;
    const delivered: ImageRecord[] = [];
    await crawlKeysetRange(
      {
        client,
        filter: undefined,
        pageSize: 50,
        resultCap: 10_000,
        request: {},
        resource: IMAGES,
        ledger: new DeliveryLedger(IMAGES, 0),
        logger: silentLogger,
        advice: DEFAULT_ADVICE,
        field: 'updated',
        maxExclusions: 100,
        emit: async (batch) => {
          if (delivered.length === 0) range.until = newEnd;
          delivered.push(...batch);
        },
      },
      range,
    );
    expect(delivered.map((r) => Date.parse(r.updated as string))).toEqual(keys.filter((k) => k < newEnd));
    // The third request, under the new end, answers empty with a count of 0: the end, not a page to ask for again.
    expect(sim.requests.filter((r) => r.path === IMAGES.path)).toHaveLength(3);
  });

  it('leaves the records past a lowered end to the other part, even from a page asked for before the end moved', async () => {
    const { sim, client } = await setup({ images: 300, seed: 23 });
    const keys = sim
      .images()
      .map((i) => Number(i.updated))
      .sort((a, b) => a - b);
    const range: KeyRange = { from: null, until: null };
    const newEnd = keys[75] as number;
    const delivered: ImageRecord[] = [];
    const ledger = new DeliveryLedger(IMAGES, 0);
    await crawlKeysetRange(
      {
        client,
        filter: undefined,
        pageSize: 50,
        resultCap: 10_000,
        request: {},
        resource: IMAGES,
        ledger,
        logger: silentLogger,
        advice: DEFAULT_ADVICE,
        field: 'updated',
        maxExclusions: 100,
        emit: async (batch) => {
          // The crawl asks for its next page before it hands this one on: that request still has no end.
          if (delivered.length === 0) range.until = newEnd;
          delivered.push(...batch);
        },
      },
      range,
    );
    const dataRequests = sim.requests.filter((r) => r.path === IMAGES.path);
    expect(dataRequests).toHaveLength(2);
    expect(String(dataRequests[1]?.query['filter'])).not.toMatch(/updated</);
    expect(delivered.map((r) => Date.parse(r.updated as string))).toEqual(keys.filter((k) => k < newEnd));
  });
});
