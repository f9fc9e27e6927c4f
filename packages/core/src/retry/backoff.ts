/**
 * The one backoff formula of the tool, used by the Qualys client and by the sinks: capped exponential backoff
 * with EQUAL jitter. The ceiling starts at `baseMs` for the first retry and doubles with each retry up to `maxMs`;
 * the delay is half the ceiling plus a random part of up to the other half, so it lies in [ceiling / 2, ceiling].
 *
 * Equal jitter, not full jitter (which would draw from [0, ceiling]): a retry always gives the server at least half
 * the ceiling to recover, and the random half still spreads the retries of many clients instead of synchronising them.
 *
 * `retry` counts from 1 (the first retry); a value below 1 is treated as 1. `random` returns a number in [0, 1),
 * like Math.random, which it defaults to; tests inject their own.
 */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
