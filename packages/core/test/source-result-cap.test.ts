import { describe, expect, it } from 'vitest';
import { run } from './dialect-harness.js';

/**
 * A server or gateway whose /images cap is lower than the documented 10,000: with `resultCap` set to it, auto
 * reads by page number only below 90% of that cap and pages past it otherwise, and the page-number strategy
 * refuses a count it could not reach. (The small-data tests rely on this: cap 1,000 with 2,500 images exercises
 * the paths 10,000 with 25,000 does.)
 */
describe('source.resultCap', () => {
  it('auto pages past a 1,000 cap with the keyset, delivering every image once', async () => {
    const outcome = await run({ images: 2_500, maxResultWindow: 1_000 }, { strategy: 'auto', resultCap: 1_000, pageSize: 100 });
    expect(outcome.ok, outcome.error?.message).toBe(true);
    expect(outcome.stats.strategy).toBe('images');
    expect(outcome.stats.strategyReason).toMatch(/past the cap/);
  });

  it('auto reads 900 images by page number under a 1,000 cap, and names the cap', async () => {
    const outcome = await run({ images: 900, maxResultWindow: 1_000 }, { strategy: 'auto', resultCap: 1_000, pageSize: 100 });
    expect(outcome.ok, outcome.error?.message).toBe(true);
    expect(outcome.stats.strategy).toBe('pages');
    expect(outcome.stats.strategyReason).toMatch(/cap 1,000/);
  });

  it('the page-number strategy refuses a filter that matches more than the cap', async () => {
    const outcome = await run({ images: 1_200, maxResultWindow: 1_000 }, { strategy: 'pages', resultCap: 1_000, pageSize: 100 });
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toMatch(/more than the 1000 that page numbers can reach/);
  });

  it('refuses a cap that is not a positive whole number', async () => {
    await expect(run({ images: 10 }, { resultCap: 0 })).rejects.toThrow(/resultCap must be a whole number/);
  });
});
