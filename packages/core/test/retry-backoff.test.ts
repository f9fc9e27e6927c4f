import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/retry/backoff.js';
import { backoffDelay as fromSinkEntry } from '../src/sink-api.js';
import { backoffDelay as fromFullEntry } from '../src/index.js';

const low = () => 0;
const high = () => 0.999_999;
const middle = () => 0.5;

describe('backoffDelay: capped exponential backoff with equal jitter (issue 10, point 4)', () => {
  it('lies in [ceiling / 2, ceiling], the ceiling starting at baseMs for the first retry', () => {
    expect(backoffDelay(1, 500, 30_000, low)).toBe(250);
    expect(backoffDelay(1, 500, 30_000, high)).toBe(500);
    expect(backoffDelay(1, 500, 30_000, middle)).toBe(375);
  });

  it('doubles the ceiling with each retry', () => {
    const ceilings = [1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, 100, 1_000_000, high));
    expect(ceilings).toEqual([100, 200, 400, 800, 1600]);
    const floors = [1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, 100, 1_000_000, low));
    expect(floors).toEqual([50, 100, 200, 400, 800]);
  });

  it('never exceeds maxMs, however many retries, and keeps at least half of it once capped', () => {
    for (const retry of [7, 8, 20, 60, 1000]) {
      expect(backoffDelay(retry, 500, 30_000, high)).toBe(30_000);
      expect(backoffDelay(retry, 500, 30_000, low)).toBe(15_000);
    }
    // a base above the cap is capped too
    expect(backoffDelay(1, 50_000, 30_000, high)).toBe(30_000);
  });

  it('treats a retry number below 1 as the first retry', () => {
    expect(backoffDelay(0, 500, 30_000, high)).toBe(500);
    expect(backoffDelay(-3, 500, 30_000, low)).toBe(250);
  });

  it('with the real random source stays within the bounds and is a whole number of ms', () => {
    for (let i = 0; i < 1000; i++) {
      const retry = 1 + (i % 10);
      const ceiling = Math.min(30_000, 500 * 2 ** (retry - 1));
      const delay = backoffDelay(retry, 500, 30_000);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });

  it('is the same function from @qcs-export/core and from @qcs-export/core/sink', () => {
    expect(fromSinkEntry).toBe(backoffDelay);
    expect(fromFullEntry).toBe(backoffDelay);
  });
});
