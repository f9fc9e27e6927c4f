import { setMaxListeners } from 'node:events';
import { AbortedError } from '../errors.js';

/**
 * Runs `produce` ahead of its consumer, holding at most `capacity` items. The producer's `emit` resolves only
 * when there is room, so memory is bounded by capacity whatever the total. If the consumer stops early (break,
 * throw) the producer's signal is aborted; if the producer fails, the consumer sees the error at its next pull.
 */
/** Listeners one producer's signal may carry at once before Node warns of a leak. */
const MAX_SIGNAL_LISTENERS = 1000;

export function prefetch<T>(
  produce: (emit: (item: T) => Promise<void>, signal: AbortSignal) => Promise<void>,
  capacity: number,
  parentSignal?: AbortSignal,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const controller = new AbortController();
      // Every request and rate-limit wait of this producer listens on its signal (and removes the listener when
      // done); with many windows or pages in flight that is legitimately more than Node's warning threshold of 10.
      setMaxListeners(MAX_SIGNAL_LISTENERS, controller.signal);
      const onParentAbort = () => controller.abort(parentSignal?.reason);
      parentSignal?.addEventListener('abort', onParentAbort, { once: true });
      const queue: T[] = [];
      let done = false;
      let failure: { error: unknown } | undefined;
      let wakeConsumer: (() => void) | undefined;
      let wakeProducer: (() => void) | undefined;
      const notifyConsumer = () => {
        wakeConsumer?.();
        wakeConsumer = undefined;
      };
      const cap = Math.max(1, capacity);

      const emit = async (item: T) => {
        while (queue.length >= cap) {
          if (controller.signal.aborted) throw new AbortedError();
          await new Promise<void>((resolve) => (wakeProducer = resolve));
        }
        if (controller.signal.aborted) throw new AbortedError();
        queue.push(item);
        notifyConsumer();
      };
      controller.signal.addEventListener('abort', () => wakeProducer?.(), { once: true });

      produce(emit, controller.signal).then(
        () => {
          done = true;
          notifyConsumer();
        },
        (error: unknown) => {
          failure = { error };
          done = true;
          notifyConsumer();
        },
      );

      const finish = () => {
        parentSignal?.removeEventListener('abort', onParentAbort);
        if (!controller.signal.aborted) controller.abort(new AbortedError('the consumer stopped reading'));
      };

      return {
        async next(): Promise<IteratorResult<T>> {
          for (;;) {
            if (failure) {
              finish();
              throw failure.error;
            }
            // Once the run is interrupted nothing more is handed on, not even what is already fetched.
            if (parentSignal?.aborted) {
              finish();
              throw new AbortedError();
            }
            if (queue.length > 0) {
              const value = queue.shift() as T;
              wakeProducer?.();
              wakeProducer = undefined;
              return { value, done: false };
            }
            if (done) {
              finish();
              return { value: undefined, done: true };
            }
            await new Promise<void>((resolve) => (wakeConsumer = resolve));
          }
        },
        async return(): Promise<IteratorResult<T>> {
          finish();
          queue.length = 0;
          return { value: undefined, done: true };
        },
      };
    },
  };
}
