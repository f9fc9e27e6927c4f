import { describe, it } from 'vitest';
import { checkDialect, DIALECTS } from './dialect-harness.js';

/**
 * The exactly-once promise against every plausible server: for each dialect the simulator can speak, with images
 * rescanned, added and removed while the crawl runs, a run either delivers every image exactly once or fails with
 * a QcsError whose exit code is not 0. No dialect may give a clean end with an image missing or repeated.
 * (Split by strategy across files so the matrix runs in parallel.)
 */

const CASES = DIALECTS.flatMap(([name, dialect, expectation]) =>
  expectation.strategies.filter((s) => ['images', 'bulk'].includes(s)).map((strategy) => [name, strategy, dialect, expectation] as const),
);

describe.each(CASES)('dialect: %s, strategy %s', (_name, strategy, dialect, expectation) => {
  it('delivers every image exactly once, or fails loudly', () => checkDialect(strategy, dialect, expectation));
});
