import { describe, expect, it } from 'vitest';
import { AbortedError, prefetch } from '../src/index.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('prefetch (bounded producer queue)', () => {
  it('never lets the producer run more than `capacity` items ahead of a paused consumer', async () => {
    let produced = 0;
    const items = prefetch<number>(async (emit) => {
      for (let i = 0; i < 100; i++) {
        await emit(i);
        produced++;
      }
    }, 3);
    const it = items[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    for (let i = 0; i < 10; i++) await tick();
    // one taken by the consumer plus three queued; the producer is parked on the fifth emit
    expect(produced).toBeLessThanOrEqual(4);
    const rest: number[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(rest).toEqual(Array.from({ length: 99 }, (_, i) => i + 1));
  });

  it('surfaces a producer failure to the consumer', async () => {
    const items = prefetch<number>(async (emit) => {
      await emit(1);
      throw new Error('page 2 failed');
    }, 2);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of items) seen.push(n);
      })(),
    ).rejects.toThrow('page 2 failed');
  });

  it('aborts the producer when the consumer stops early', async () => {
    let producerSignal: AbortSignal | undefined;
    const items = prefetch<number>(async (emit, signal) => {
      producerSignal = signal;
      for (let i = 0; ; i++) await emit(i);
    }, 2);
    for await (const n of items) if (n === 3) break;
    expect(producerSignal?.aborted).toBe(true);
  });

  it('stops a parked producer with AbortedError when the parent signal fires', async () => {
    const parent = new AbortController();
    let producerError: unknown;
    const items = prefetch<number>(
      async (emit) => {
        try {
          for (let i = 0; ; i++) await emit(i);
        } catch (e) {
          producerError = e;
          throw e;
        }
      },
      1,
      parent.signal,
    );
    const it = items[Symbol.asyncIterator]();
    await it.next();
    await tick();
    parent.abort();
    await tick();
    expect(producerError).toBeInstanceOf(AbortedError);
  });
});
