/** A failure worth another attempt; `final` is what to throw once the retries are spent. */
export class Retryable extends Error {
  constructor(readonly final: Error) {
    super(final.message);
  }
}

/** Returned by an attempt to go again at once, without using the retry budget (after a rate-limit wait or a login). */
export const RETRY_NOW = Symbol('retry-now');
