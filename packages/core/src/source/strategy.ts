import type { ResolvedStrategy } from './types.js';

/**
 * How a first pass ended: `proven` when the strategy itself showed every record the server counts was delivered
 * (page numbers re-read the result until a pass agrees with the count), otherwise `open`, and the completeness
 * checks catch up with the server's count through `readTail` and `readAll`.
 */
export type PassEnd = { kind: 'proven'; count: number } | { kind: 'open' };

/**
 * One way of reading every record of a list resource. A strategy hands its records to the run's ledger (which drops
 * what was delivered before) and knows nothing of counts at the start or the end: completeness.ts decides when the
 * export is complete, calling back into the strategy for more reads.
 */
export interface Strategy {
  readonly name: ResolvedStrategy;
  /** The first pass over everything the filter matches. */
  crawl(): Promise<PassEnd>;
  /** Reads where rescanned and new records land after the first pass (behind a keyset, after a cursor's end). */
  readTail(): Promise<void>;
  /** Reads everything once more: a repair pass, for records the first pass lost. */
  readAll(): Promise<void>;
  /** What was read, for the message when the count is not met: "following the bulk cursor to its end, …". */
  describeReads(): string;
}
