import { Limiter } from './limiter.js';

export interface PerImageOptions {
  /** Calls in flight at once, over every batch. At least 1. */
  concurrency: number;
  /** Items per batch handed on: the source's pages are cut to this size. At least 1. */
  batchSize: number;
  /** Once aborted, an item whose turn comes fails with AbortedError instead of starting. */
  signal?: AbortSignal | undefined;
}

/**
 * The loop every per-image enrichment shares (findings, software): `enrich` runs on each item with at most
 * `concurrency` calls in flight, and the batches are handed on in order, each with its items in order. The source's
 * pages are cut into batches of `batchSize`; the next batch's calls start while the current one's last calls are still
 * out (a barrier between batches would leave the rate budget idle at every batch's tail), and the consumer writes one
 * batch while the next is fetched. So memory holds at most two batches and what their calls added.
 * The first failed call fails the whole run (calls still waiting would only spend rate budget on a lost run), and a
 * consumer that stops early (a sink failed) leaves no call queued, none unobserved and the source closed.
 */
export async function* perImage<T>(batches: AsyncIterable<T[]>, enrich: (item: T) => Promise<T>, options: PerImageOptions): AsyncGenerator<T[]> {
  const source = inBatchesOf(batches, Math.max(1, Math.floor(options.batchSize)))[Symbol.asyncIterator]();
  const slots = new Limiter(Math.max(1, options.concurrency), { ...(options.signal ? { signal: options.signal } : {}), stopOnFailure: true });
  /** Batches whose calls are out, oldest first: the one awaited and the one behind it. */
  const inFlight: Promise<T[]>[] = [];
  let sourceDone = false;
  try {
    for (;;) {
      while (!sourceDone && inFlight.length < 2) {
        const next = await source.next();
        if (next.done) sourceDone = true;
        else inFlight.push(observed(Promise.all(next.value.map((item) => slots.run(() => enrich(item))))));
      }
      const head = inFlight.shift();
      if (head === undefined) return;
      yield await head;
    }
  } finally {
    // A failed call, or a consumer that stops early, must not leave calls unobserved or queued.
    slots.close();
    await Promise.allSettled(inFlight);
    await source.return?.(undefined);
  }
}

/** Marks a promise as handled, so that a batch failing while an older one is awaited is not an unhandled rejection. */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

async function* inBatchesOf<T>(batches: AsyncIterable<T[]>, size: number): AsyncGenerator<T[]> {
  for await (const batch of batches) for (let i = 0; i < batch.length; i += size) yield batch.slice(i, i + size);
}
