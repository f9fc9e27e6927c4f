import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeImage, SourceInconsistentError, StateInvalidError, StateLockedError, type ImageRecord } from '@qcs-export/core';
import { OverlapTracker } from '../src/run/stages/overlap-filter.js';
import type { StateIdentity } from '../src/state/identity.js';
import { planRun } from '../src/state/plan.js';
import { acquireStateLock, LOCK_STALE_AFTER_MS } from '../src/state/lock.js';
import type { RunState } from '../src/state/state-file.js';

const image = (n: number, updatedMs: number | null): ImageRecord =>
  normalizeImage({ sha: n.toString(16).padStart(64, '0'), updated: updatedMs === null ? null : String(updatedMs) }, 'images');

async function collect(stage: AsyncIterable<ImageRecord[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of stage) for (const i of batch) out.push(i.sha);
  return out;
}

async function* of(...batches: ImageRecord[][]) {
  yield* batches;
}

const MIN = 60_000;
const T = Date.parse('2026-11-01T00:00:00Z');

describe('OverlapTracker: the stage between the source and the sinks of an incremental run', () => {
  it('drops the re-read images the sinks already have at the same updated time, and passes those that changed', async () => {
    const a = image(1, T);
    const b = image(2, T + MIN);
    const tracker = new OverlapTracker(
      T - 15 * MIN,
      new Map([
        [a.sha, a.updated as string],
        [b.sha, new Date(T).toISOString()],
      ]),
      15 * MIN,
    );
    expect(await collect(tracker.filter(of([a, b, image(3, T + 2 * MIN)])))).toEqual([b.sha, image(3, 0).sha]);
    expect(tracker.overlapSkipped).toBe(1);
  });

  it('fails loudly when the server sends an image older than the bound, or one without an updated time', async () => {
    const tracker = new OverlapTracker(T, new Map(), 15 * MIN);
    await expect(collect(tracker.filter(of([image(1, T - 1)])))).rejects.toThrow(SourceInconsistentError);
    await expect(collect(new OverlapTracker(T, new Map(), 15 * MIN).filter(of([image(1, null)])))).rejects.toThrow(/before the incremental bound/);
  });

  it('fails when the source ends without returning any image of the previous overlap (the bound was read differently)', async () => {
    const tracker = new OverlapTracker(T - 15 * MIN, new Map([[image(9, T).sha, new Date(T).toISOString()]]), 15 * MIN);
    await expect(collect(tracker.filter(of([image(1, T + MIN)])))).rejects.toThrow(/returned none of the 1 images updated at the last high-water mark/);
    const seen = new OverlapTracker(T - 15 * MIN, new Map([[image(9, T).sha, new Date(T).toISOString()]]), 15 * MIN);
    expect(await collect(seen.filter(of([image(9, T + MIN)])))).toEqual([image(9, 0).sha]);
  });

  it('keeps as the next overlap exactly the images within the lookback of the high-water mark, however the times arrive', async () => {
    const tracker = new OverlapTracker(undefined, new Map(), 15 * MIN);
    const images = Array.from({ length: 3000 }, (_, n) => image(n + 1, T + ((n * 7919) % 3000) * 1000));
    await collect(tracker.filter(of(images.slice(0, 1000), images.slice(1000))));
    const next = tracker.next(undefined);
    const mark = T + 2999 * 1000;
    expect(next.highWaterMark).toBe(new Date(mark).toISOString());
    const expected = images.filter((i) => Date.parse(i.updated as string) >= mark - 15 * MIN).map((i) => i.sha);
    expect(next.overlap.map((e) => e.sha).sort()).toEqual(expected.sort());
  });

  it('a run that sees no image keeps the previous mark and overlap', () => {
    const previous = { highWaterMark: '2026-11-01T00:00:00.000Z', overlap: [{ sha: 'a', updated: '2026-11-01T00:00:00.000Z' }] } as RunState;
    expect(new OverlapTracker(T, new Map(), MIN).next(previous)).toEqual({ highWaterMark: previous.highWaterMark, overlap: previous.overlap });
  });
});

describe('planRun', () => {
  const identity: StateIdentity = {
    subscription: { target: 'https://gateway.example', user: 'auditor' },
    filterSha256: 'f',
    sinks: [{ name: 'csv', type: 'csv', records: 'images', target: 'out/x-{datetime}.csv' }],
  };
  const state = {
    ...identity,
    stateVersion: 1,
    highWaterMark: '2026-11-01T00:00:00.000Z',
    overlap: [],
    lastRun: { runId: 'r', startedAt: '', endedAt: '', mode: 'full' },
  } as RunState;
  const options = { fullRefresh: false, lookbackMs: 15 * MIN, statePath: 's.json' };

  it('asks for the images updated since the mark less the lookback', () => {
    expect(planRun(state, identity, options)).toMatchObject({ mode: 'incremental', since: T - 15 * MIN });
  });

  it('refuses a state of another user, and accepts a config that dropped a sink', () => {
    expect(() => planRun(state, { ...identity, subscription: { ...identity.subscription, user: 'other' } }, options)).toThrow(StateInvalidError);
    expect(planRun({ ...state, sinks: [...state.sinks, { name: 'es', type: 'elasticsearch', records: 'images', target: 'i' }] }, identity, options).mode).toBe(
      'incremental',
    );
  });
});

describe('the state lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds the owner, refuses a second taker, and is gone once released', async () => {
    const state = join(dir, 'sub/state.json');
    const lock = await acquireStateLock(state);
    expect(JSON.parse(await readFile(`${state}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    await expect(acquireStateLock(state)).rejects.toThrow(StateLockedError);
    await lock.release();
    await (await acquireStateLock(state)).release();
  });

  it("another host's lock is taken over only once it has not been refreshed for five minutes", async () => {
    const state = join(dir, 'state.json');
    await writeFile(`${state}.lock`, JSON.stringify({ pid: 1, host: 'another-pod', startedAt: '2026-11-01T00:00:00Z' }));
    await expect(acquireStateLock(state)).rejects.toThrow(/process 1 on another-pod/);
    const old = new Date(Date.now() - LOCK_STALE_AFTER_MS - 60_000);
    await utimes(`${state}.lock`, old, old);
    const told: string[] = [];
    const lock = await acquireStateLock(state, { onTakeover: (m) => told.push(m) });
    expect(told[0]).toMatch(/took over the lock .* of process 1 on another-pod .*last refreshed 6 minutes ago/);
    await lock.release();
  });
});
