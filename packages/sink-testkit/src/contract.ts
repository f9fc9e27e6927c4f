import { describe, expect, it } from 'vitest';
import type { ImageRecord, Sink, SinkCommit, SinkSummary } from '@qcs-export/core/sink';
import { deepFreeze, makeTestRecords } from './records.js';

export interface SinkUnderTest {
  sink: Sink;
  /** What the destination holds after close(), read back with a real parser; at least a sha per record. */
  readBack(): Promise<Array<{ sha: string } & Record<string, unknown>>>;
  /** Files or targets that exist for this sink right now: final and temporary ones. */
  leftovers(): Promise<string[]>;
  teardown(): Promise<void>;
  /** A new sink writing to the same destination, as a second run would; required for every sink. */
  another?(): Sink;
  /**
   * Required for an atomic sink: everything its destination holds, with the raw bytes (fileSnapshot for a file), so
   * that "as it was" means byte for byte, temporary files and backups included.
   */
  snapshot?(): Promise<Record<string, string>>;
  /**
   * Required for an atomic sink: makes the next close() fail at publishing, after prepare() succeeded (for a file,
   * obstructPublish: something now stands at the final path). Returns the undo, which leaves the destination as it was.
   */
  obstructPublish?(): Promise<() => Promise<void>>;
}

export interface SinkContractHarness {
  name: string;
  setup(): Promise<SinkUnderTest>;
  /**
   * What readBack() gives for one record: its sha and every other field the harness reads back, as the destination
   * should hold it (a CSV cell escaped against formulas, an Excel cell cut at 32,767 characters). The hostile-values
   * case compares whole rows with it, so a sink that mangles any field it writes fails, not only one that loses sha.
   */
  expected(record: ImageRecord): { sha: string } & Record<string, unknown>;
  /**
   * How the sink commits, as its plugin declares it (`plugin.commit(options)`). 'atomic': nothing is visible before
   * close(), and records come back in the order written. 'in-place': records become visible as they are sent and
   * come back in no particular order (an index); such a sink must instead be idempotent, so a re-run converges on one
   * copy of each record.
   */
  commit: SinkCommit;
}

async function withSink<T>(harness: SinkContractHarness, body: (s: SinkUnderTest) => Promise<T>): Promise<T> {
  const s = await harness.setup();
  try {
    return await body(s);
  } finally {
    await s.teardown();
  }
}

function batches(records: readonly ImageRecord[], size: number): ImageRecord[][] {
  const out: ImageRecord[][] = [];
  for (let i = 0; i < records.length; i += size) out.push(records.slice(i, i + size));
  return out;
}

/**
 * The contract every sink must keep, as plain async functions (each throws when the sink breaks it), so a test
 * can also prove the suite catches a broken sink.
 */
export const contractCases: Record<string, (h: SinkContractHarness) => Promise<void>> = {
  'writes every record of every batch exactly once, in order': (h) =>
    withSink(h, async ({ sink, readBack }) => {
      const records = makeTestRecords(1200, { seed: 3 });
      await sink.open();
      for (const b of batches(records, 250)) await sink.write(b);
      const summary = await sink.close();
      const back = await readBack();
      expect(
        inWrittenOrder(
          h,
          back.map((r) => r.sha),
          records,
        ),
      ).toEqual(records.map((r) => r.sha));
      expect(summary.records).toBe(records.length);
      expect(summary.rejected).toBe(0);
      expect(summary.type).toMatch(/\S/);
      expect(summary.target).toMatch(/\S/);
    }),
  'commits a valid, empty output when the export has no records': (h) =>
    withSink(h, async ({ sink, readBack }) => {
      await sink.open();
      const summary = await sink.close();
      expect(await readBack()).toEqual([]);
      expect(summary.records).toBe(0);
    }),
  'shows nothing under the final name before close()': (h) =>
    withSink(h, async ({ sink, readBack }) => {
      await sink.open();
      await sink.write(makeTestRecords(50));
      await expect(readBack()).rejects.toThrow();
      await sink.abort(new Error('test'));
    }),
  'leaves nothing behind when aborted after writes': (h) =>
    withSink(h, async ({ sink, leftovers }) => {
      await sink.open();
      await sink.write(makeTestRecords(300));
      await sink.abort(new Error('source failed'));
      expect(await leftovers()).toEqual([]);
    }),
  'can be aborted before open() and twice, safely': (h) =>
    withSink(h, async ({ sink, leftovers }) => {
      await sink.abort(new Error('early'));
      await sink.abort(new Error('again'));
      expect(await leftovers()).toEqual([]);
    }),
  'rejects a write after abort()': (h) =>
    withSink(h, async ({ sink }) => {
      await sink.open();
      await sink.abort(new Error('stop'));
      await expect(sink.write(makeTestRecords(1))).rejects.toThrow();
    }),
  'round-trips hostile values and does not mutate the batches it is given': (h) =>
    withSink(h, async ({ sink, readBack }) => {
      const records = deepFreeze(makeTestRecords(40, { hostile: true, seed: 9 }));
      await sink.open();
      for (const b of batches(records, 7)) await sink.write(b);
      await sink.close();
      const back = new Map((await readBack()).map((row) => [row.sha, row]));
      expect(inWrittenOrder(h, [...back.keys()], records)).toEqual(records.map((r) => r.sha));
      for (const record of records) expect(back.get(record.sha), `the row of ${record.sha}`).toEqual(h.expected(record));
    }),
  'writes 5,000 records in batches of 250': (h) =>
    withSink(h, async ({ sink, readBack }) => {
      const records = makeTestRecords(5000, { seed: 5 });
      await sink.open();
      for (const b of batches(records, 250)) await sink.write(b);
      const summary = await sink.close();
      expect(summary.records).toBe(5000);
      expect(new Set((await readBack()).map((r) => r.sha)).size).toBe(5000);
    }),
};

/** What a second run would write: other records, so that a restored output is told apart from the new one. */
const SECOND_RUN = { seed: 21 } as const;

async function run(sink: Sink, records: readonly ImageRecord[]): Promise<SinkSummary> {
  await sink.open();
  for (const b of batches(records, 100)) await sink.write(b);
  await sink.prepare?.();
  return sink.close();
}

function required<T>(h: SinkContractHarness, value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the ${h.name} harness must provide ${what} for the publish cases of an atomic sink`);
  return value;
}

/** A second run over an earlier output, or a first one: what each case starts from. */
async function withEarlierOutput(s: SinkUnderTest, h: SinkContractHarness): Promise<Record<string, string>> {
  const first = s.sink;
  await run(first, makeTestRecords(30, { seed: 20 }));
  await required(h, first.settle, 'settle()').call(first);
  return required(h, s.snapshot, 'snapshot()')();
}

/**
 * The run's publish step is all or nothing: close() keeps what it replaces until the run either settles (every sink
 * published) or rolls back (one failed). Cases for atomic sinks.
 */
export const publishContractCases: Record<string, (h: SinkContractHarness) => Promise<void>> = {
  'accounts for every record it was given: records + rejected === delivered': (h) =>
    withSink(h, async ({ sink }) => {
      const summary = await run(sink, makeTestRecords(250, { seed: 4 }));
      expect(summary.delivered, 'delivered: does writeBatch() call countDelivered()?').toBeGreaterThan(0);
      expect(summary.records + summary.rejected).toBe(summary.delivered);
    }),
  'rollback() after close() puts the previous output back, byte for byte, and leaves nothing else': (h) =>
    withSink(h, async (s) => {
      const before = await withEarlierOutput(s, h);
      const second = required(h, s.another, 'another()')();
      const summary = await run(second, makeTestRecords(40, SECOND_RUN));
      expect(summary.published).toBe('replaced');
      expect(await required(h, s.snapshot, 'snapshot()')()).not.toEqual(before);
      await required(h, second.rollback, 'rollback()').call(second);
      expect(await required(h, s.snapshot, 'snapshot()')()).toEqual(before);
    }),
  'rollback() of a first output leaves nothing behind': (h) =>
    withSink(h, async ({ sink, leftovers }) => {
      expect((await run(sink, makeTestRecords(40))).published).toBe('created');
      await required(h, sink.rollback, 'rollback()').call(sink);
      expect(await leftovers()).toEqual([]);
    }),
  'settle() keeps the new output and drops what close() kept for a rollback': (h) =>
    withSink(h, async (s) => {
      const before = await withEarlierOutput(s, h);
      const second = required(h, s.another, 'another()')();
      const records = makeTestRecords(40, SECOND_RUN);
      await run(second, records);
      await required(h, second.settle, 'settle()').call(second);
      expect((await s.readBack()).map((r) => r.sha)).toEqual(records.map((r) => r.sha));
      expect(Object.keys(await required(h, s.snapshot, 'snapshot()')())).toEqual(Object.keys(before));
    }),
  'all or nothing: when the last of three sinks fails to publish, the others roll back byte for byte and nothing is left': async (h) => {
    const all = [await h.setup(), await h.setup(), await h.setup()];
    try {
      const before = await Promise.all(all.map((s) => withEarlierOutput(s, h)));
      const seconds = all.map((s) => required(h, s.another, 'another()')());
      for (const sink of seconds) {
        await sink.open();
        await sink.write(makeTestRecords(40, SECOND_RUN));
        await sink.prepare?.();
      }
      const unblock = await required(h, all[2]?.obstructPublish, 'obstructPublish()')();
      const [a, b, c] = seconds as [Sink, Sink, Sink];
      expect((await a.close()).published).toBe('replaced');
      expect((await b.close()).published).toBe('replaced');
      await expect(c.close()).rejects.toThrow();
      await required(h, b.rollback, 'rollback()').call(b);
      await required(h, a.rollback, 'rollback()').call(a);
      await c.abort(new Error('publish failed'));
      await unblock();
      for (const [i, s] of all.entries()) expect(await required(h, s.snapshot, 'snapshot()')(), `destination ${i + 1}`).toEqual(before[i]);
    } finally {
      for (const s of all) await s.teardown();
    }
  },
  'all or nothing on a first run: when the last sink fails to publish, no output is left': async (h) => {
    const all = [await h.setup(), await h.setup(), await h.setup()];
    try {
      for (const s of all) {
        await s.sink.open();
        await s.sink.write(makeTestRecords(40));
        await s.sink.prepare?.();
      }
      const unblock = await required(h, all[2]?.obstructPublish, 'obstructPublish()')();
      const [a, b, c] = all.map((s) => s.sink) as [Sink, Sink, Sink];
      expect((await a.close()).published).toBe('created');
      expect((await b.close()).published).toBe('created');
      await expect(c.close()).rejects.toThrow();
      await required(h, b.rollback, 'rollback()').call(b);
      await required(h, a.rollback, 'rollback()').call(a);
      await c.abort(new Error('publish failed'));
      await unblock();
      for (const [i, s] of all.entries()) expect(await s.leftovers(), `destination ${i + 1}`).toEqual([]);
    } finally {
      for (const s of all) await s.teardown();
    }
  },
};

/** Cases for incremental sinks in place of the atomic-only one (visibility before close). */
export const indexContractCases: Record<string, (h: SinkContractHarness) => Promise<void>> = {
  'is idempotent: exporting the same records again leaves one copy of each': async (h) => {
    const records = makeTestRecords(600, { seed: 11 });
    const s = await h.setup();
    try {
      if (!s.another) throw new Error(`the ${h.name} harness must provide another() for the idempotence case`);
      for (const sink of [s.sink, s.another()]) {
        await sink.open();
        for (const b of batches(records, 200)) await sink.write(b);
        expect((await sink.close()).records).toBe(records.length);
      }
      const back = (await s.readBack()).map((r) => r.sha);
      expect(back).toHaveLength(records.length);
      expect(new Set(back)).toEqual(new Set(records.map((r) => r.sha)));
    } finally {
      await s.teardown();
    }
  },
};

const ATOMIC_ONLY = new Set(['shows nothing under the final name before close()']);

/** An index gives records back in its own order; exactly-once is still checked on the full list. */
function inWrittenOrder(h: SinkContractHarness, back: string[], records: readonly ImageRecord[]): string[] {
  if (h.commit === 'atomic') return back;
  const position = new Map(records.map((r, i) => [r.sha, i]));
  return [...back].sort((a, b) => (position.get(a) ?? -1) - (position.get(b) ?? -1));
}

/** Declares the contract suite for one sink. Call it at the top level of a sink's test file. */
export function runSinkContract(harness: SinkContractHarness): void {
  describe(`Sink contract: ${harness.name}`, () => {
    const cases =
      harness.commit === 'in-place'
        ? { ...Object.fromEntries(Object.entries(contractCases).filter(([n]) => !ATOMIC_ONLY.has(n))), ...indexContractCases }
        : { ...contractCases, ...publishContractCases };
    for (const [name, run] of Object.entries(cases)) it(name, () => run(harness), 60_000);
  });
}
