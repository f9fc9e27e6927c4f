import { AbortedError } from '../errors.js';
import { onAbort } from './abort-link.js';

/** Sleeps, but wakes at once with AbortedError when the run is interrupted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cancel = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          reject(new AbortedError());
        })
      : undefined;
    const timer = setTimeout(() => {
      cancel?.();
      resolve();
    }, ms);
  });
}

/**
 * How long the server asked us to wait, in ms: X-RateLimit-ToWait-Sec first (Qualys' own header), then
 * Retry-After as seconds or an HTTP date. Fractions are honoured.
 */
export function serverRequestedWaitMs(headers: Record<string, string | undefined>, now = Date.now()): number | undefined {
  const toWait = parseSeconds(headers['x-ratelimit-towait-sec']);
  if (toWait !== undefined) return toWait;
  const retryAfter = headers['retry-after'];
  if (retryAfter === undefined) return undefined;
  const seconds = parseSeconds(retryAfter);
  if (seconds !== undefined) return seconds;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function parseSeconds(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : undefined;
}
