import { onAbort } from '../client/abort-link.js';
import { AbortedError } from '../errors.js';
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
 * The first failed call fails the whole run (calls still waiting would only spend rate budget on a lost run). When the
 * run fails or its consumer stops early (a sink failed), the calls still out are aborted through the signal `enrich`
 * gets, and the loop ends only once every call it started has settled, with the source closed: nothing is left in
 * flight against a client the caller is about to close.
 */
export async function* perImage<T>(
  batches: AsyncIterable<T[]>,
  enrich: (item: T, signal: AbortSignal) => Promise<T>,
  options: PerImageOptions,
): AsyncGenerator<T[]> {
  const stop = new AbortController();
  const outer = options.signal;
  const unlink = outer ? onAbort(outer, () => stop.abort(outer.reason)) : () => undefined;
  if (outer?.aborted) stop.abort(outer.reason);
  const source = inBatchesOf(batches, Math.max(1, Math.floor(options.batchSize)))[Symbol.asyncIterator]();
  const slots = new Limiter(Math.max(1, options.concurrency), { signal: stop.signal, stopOnFailure: true });
  /** Every call started and not settled yet, waiting for a slot or running. */
  const running = new Set<Promise<T>>();
  const start = (item: T): Promise<T> => {
    const call = slots.run(() => enrich(item, stop.signal));
    running.add(call);
    void call.then(
      () => running.delete(call),
      () => running.delete(call),
    );
    return call;
  };
  /** Batches whose calls are out, oldest first: the one awaited and the one behind it. */
  const inFlight: Promise<T[]>[] = [];
  let sourceDone = false;
  try {
    for (;;) {
      while (!sourceDone && inFlight.length < 2) {
        const next = await source.next();
        if (next.done) sourceDone = true;
        else inFlight.push(observed(Promise.all(next.value.map(start))));
      }
      const head = inFlight.shift();
      if (head === undefined) return;
      yield await head;
    }
  } finally {
    // A failed call, or a consumer that stops early, must not leave calls unobserved, queued or running.
    slots.close();
    if (running.size > 0) stop.abort(new AbortedError('the enrichment stopped: the run failed or its consumer stopped reading'));
    await Promise.allSettled([...running, ...inFlight]);
    unlink();
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
