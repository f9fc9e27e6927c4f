import { parseSeconds } from './wait.js';

/**
 * Qualys counts calls per endpoint class in a window (/images/list: 120 per 60 s; /images/**: 5000 per 60 s) and
 * shares the budget across the whole subscription. When a response says Remaining is 0, the next call of that
 * class waits for the window instead of provoking a 429.
 */
export class RateBudget {
  private readonly resumeAt = new Map<string, number>();

  static bucketOf(path: string): string {
    return /\/(images|containers)\/list\/?$/.test(path) ? 'list' : 'default';
  }

  /** Milliseconds to wait before a call to this bucket may go out. */
  waitFor(bucket: string, now = Date.now()): number {
    const at = this.resumeAt.get(bucket);
    if (at === undefined) return 0;
    if (at <= now) {
      this.resumeAt.delete(bucket);
      return 0;
    }
    return at - now;
  }

  observe(bucket: string, headers: Record<string, string | undefined>, now = Date.now()): void {
    const remaining = headers['x-ratelimit-remaining'];
    if (remaining === undefined || Number(remaining) > 0) return;
    const wait = parseSeconds(headers['x-ratelimit-towait-sec']) ?? parseSeconds(headers['x-ratelimit-window-sec']);
    if (wait !== undefined) this.resumeAt.set(bucket, now + wait);
  }
}
