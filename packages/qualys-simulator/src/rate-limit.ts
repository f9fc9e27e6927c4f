export interface RateLimitBucket {
  limit: number;
  /** Window length in seconds; fractions allowed (handy in tests). */
  windowSec: number;
}

/**
 * Qualys' separate budgets per subscription: /images/list ("list"), the other /images calls ("images"),
 * /containers/list ("containersList") and the other /containers calls ("containers").
 */
export type BucketName = 'list' | 'images' | 'containersList' | 'containers';
/** "fixed": windows start at the first request and reset whole; "sliding": a log of the allowed requests of the last window. */
export type RateLimitMode = 'fixed' | 'sliding';
/** Which headers a 429 carries. */
export type RateLimitHeaderStyle = 'towait' | 'retry-after' | 'both' | 'none';

export type RateDecision = { allowed: true; headers: Record<string, string> } | { allowed: false; headers: Record<string, string> };

/**
 * Seconds as Qualys sends them: whole seconds (rounded up) for whole-second windows, three decimals for
 * sub-second windows and waits under a second, so tests with tiny windows still see a usable value.
 */
export function formatWait(waitSec: number, windowSec = Infinity): string {
  if (waitSec <= 0) return '0';
  return waitSec >= 1 && windowSec >= 1 ? String(Math.ceil(waitSec)) : waitSec.toFixed(3);
}

/** The wait headers of a 429 in the configured style. */
export function waitHeaders(waitSec: number, style: RateLimitHeaderStyle, windowSec?: number): Record<string, string> {
  const value = formatWait(waitSec, windowSec);
  return {
    ...(style === 'towait' || style === 'both' ? { 'x-ratelimit-towait-sec': value } : {}),
    ...(style === 'retry-after' || style === 'both' ? { 'retry-after': value } : {}),
  };
}

/** Per-bucket request budgets; `take` decides one request and gives the headers its answer carries. */
export class RateLimiter {
  private readonly windows = new Map<BucketName, { start: number; used: number }>();
  /** Arrival times (ms) of the allowed requests still inside the sliding window, oldest first. */
  private readonly logs = new Map<BucketName, number[]>();

  constructor(
    private readonly buckets: Record<BucketName, RateLimitBucket> | false,
    private readonly mode: RateLimitMode,
    private readonly style: RateLimitHeaderStyle,
  ) {}

  take(name: BucketName, now: number): RateDecision {
    if (!this.buckets) return { allowed: true, headers: {} };
    const bucket = this.buckets[name];
    return this.mode === 'sliding' ? this.sliding(name, bucket, now) : this.fixed(name, bucket, now);
  }

  private fixed(name: BucketName, { limit, windowSec }: RateLimitBucket, now: number): RateDecision {
    let w = this.windows.get(name);
    if (!w || now - w.start >= windowSec * 1000) {
      w = { start: now, used: 0 };
      this.windows.set(name, w);
    }
    const base = { 'x-ratelimit-limit': String(limit), 'x-ratelimit-window-sec': String(windowSec) };
    if (w.used >= limit) {
      const waitSec = Math.max(0.001, (w.start + windowSec * 1000 - now) / 1000);
      return { allowed: false, headers: { ...base, 'x-ratelimit-remaining': '0', ...waitHeaders(waitSec, this.style) } };
    }
    w.used++;
    return { allowed: true, headers: { ...base, 'x-ratelimit-remaining': String(limit - w.used) } };
  }

  private sliding(name: BucketName, { limit, windowSec }: RateLimitBucket, now: number): RateDecision {
    const windowMs = windowSec * 1000;
    const log = this.logs.get(name) ?? [];
    this.logs.set(name, log);
    while (log.length > 0 && (log[0] as number) <= now - windowMs) log.shift();
    const allowed = log.length < limit;
    if (allowed) log.push(now);
    // The next request is allowed once the oldest of the last `limit` allowed requests leaves the window.
    const full = log.length >= limit;
    const waitSec = full ? Math.max(0.001, ((log[log.length - limit] as number) + windowMs - now) / 1000) : 0;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-window-sec': String(windowSec),
      'x-ratelimit-remaining': String(Math.max(0, limit - log.length)),
      'x-ratelimit-towait-sec': formatWait(waitSec, windowSec),
    };
    if (!allowed && (this.style === 'retry-after' || this.style === 'both')) headers['retry-after'] = formatWait(waitSec, windowSec);
    return { allowed, headers };
  }
}
