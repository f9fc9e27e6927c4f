import { AbortedError } from '../errors.js';

export interface LimiterOptions {
  /** Once aborted, a task that gets its turn fails with AbortedError instead of starting. */
  signal?: AbortSignal;
  /**
   * The first failure closes the limiter, and tasks still waiting fail with that same error instead of starting:
   * for work that is lost as a whole when one part fails, so waiting tasks spend no more requests on it.
   */
  stopOnFailure?: boolean;
}

/**
 * At most `limit` tasks running at once, started first come, first served. The one way the source bounds its
 * requests in flight (page numbers fetched ahead, keyset windows and planning probes, findings calls), so the
 * order and the hand-over of a slot are the same everywhere.
 */
export class Limiter {
  private running = 0;
  private closed = false;
  private failure: { error: unknown } | undefined;
  private readonly waiting: Array<() => void> = [];
  private readonly limit: number;

  constructor(
    limit: number,
    private readonly options: LimiterOptions = {},
  ) {
    this.limit = Math.max(1, Math.floor(limit));
  }

  /** Tasks running now. */
  get active(): number {
    return this.running;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      if (this.closed) throw this.failure ? this.failure.error : new AbortedError();
      if (this.options.signal?.aborted) throw new AbortedError();
      return await task();
    } catch (error) {
      if (this.options.stopOnFailure && !this.closed) {
        this.failure = { error };
        this.closed = true;
      }
      throw error;
    } finally {
      // The slot passes straight to the next waiter, so `running` never dips and lets a newcomer jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** No task starts any more: those waiting fail when their turn comes (with the first failure, if there was one). */
  close(): void {
    this.closed = true;
  }
}
