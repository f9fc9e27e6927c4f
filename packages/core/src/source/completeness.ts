import { SourceIncompleteError, SourceInconsistentError } from '../errors.js';
import type { Logger } from '../logger.js';
import { otherWay, type SourceAdvice } from './advice.js';
import type { LedgerStats } from './ledger.js';
import type { PassEnd, Strategy } from './strategy.js';
import type { SourceStats } from './types.js';

/** Most tail passes (keyset) or cursor continuations (bulk) made while the server counts more records than were delivered. */
export const CATCH_UP_ROUNDS = 10;

export interface CompletenessOptions {
  /** The plural messages use ("images"). */
  noun: string;
  /** The list endpoint whose count is asked, for the message when it sends none. */
  path: string;
  /** Whether the resource has a bulk cursor to suggest when the count is not met. Default: true, as images do. */
  hasBulk?: boolean;
  /** The server's count for the filter now; undefined when it sends none. */
  countNow: () => Promise<number | undefined>;
  ledger: { readonly stats: LedgerStats };
  logger: Logger;
  advice: SourceAdvice;
  /** Where the counts and the repair passes are recorded for the run summary. */
  stats: Pick<SourceStats, 'expectedAtStart' | 'countAtEnd' | 'repairPasses'>;
}

/**
 * Decides whether an export is complete, README "How a run knows it is complete":
 * - every record the server counts at the end has been delivered: delivered ≥ the count at the end, after the tail
 *   where rescanned and new records land has been read (`finish`);
 * - records delivered that did not change during the run number at most the count at the start (or at the end):
 *   more would mean the server returned records outside the filter (`checkSurplus`).
 * Without a count at the start nothing could be checked, so the run does not begin (`countAtStart`). It reads
 * only through the strategy it is given and the count function, so it is the same for any strategy and resource.
 */
export class Completeness {
  constructor(private readonly o: CompletenessOptions) {}

  private get delivered(): number {
    return this.o.ledger.stats.delivered;
  }

  /** The count every later check compares with; fails when the server sends none. */
  async countAtStart(): Promise<number> {
    const count = await this.o.countNow();
    this.o.stats.expectedAtStart = count;
    if (count === undefined) {
      // Every completeness check compares with the server's count; without one, a run could only hope.
      throw new SourceIncompleteError(
        0,
        0,
        `Qualys sent no "count" with GET ${this.o.path}, so no export of this filter can be checked for completeness; nothing was written. ` +
          `Run ${this.o.advice.diagnosis} and report its output.`,
      );
    }
    return count;
  }

  /** Ends a strategy's run: a pass the strategy proved sets the count at the end; any other is caught up. */
  async finish(strategy: Strategy, end: PassEnd): Promise<void> {
    if (end.kind === 'proven') this.o.stats.countAtEnd = end.count;
    else await this.catchUp(strategy);
  }

  /** A repair pass made outside the catch-up (a strategy handing over to another mid-run), for the summary. */
  countRepairPass(): void {
    this.o.stats.repairPasses++;
  }

  /**
   * Each round takes the server's count first and then reads the tail behind the crawl (where rescanned and new
   * records land), so every record present when that read is made is delivered whatever was added or removed
   * before it; the count then only has to be met. The tail is read once in any case. When a tail read finds nothing
   * and the count is still not met, `readAll` reads everything once more (a repair pass: the ledger skips what was
   * delivered, so only records the first pass lost come out). The run fails when a repair found nothing new and
   * the count stood still, or after CATCH_UP_ROUNDS rounds of a subscription that keeps changing.
   */
  async catchUp(strategy: Strategy): Promise<void> {
    let previousCount: number | undefined;
    let progressed = true;
    let repaired = false;
    for (let round = 1; ; round++) {
      const count = await this.o.countNow();
      const before = this.delivered;
      if (progressed || repaired) await strategy.readTail();
      else {
        this.o.logger.warn(
          `Qualys counts ${count} ${this.o.noun} but ${this.delivered} were delivered and nothing more came from the tail; ` +
            'reading everything once more (repair pass)',
        );
        this.o.stats.repairPasses++;
        repaired = true;
        await strategy.readAll();
      }
      if (count !== undefined && this.delivered >= count) {
        this.o.stats.countAtEnd = count;
        return;
      }
      const stuck = this.delivered === before && repaired && count === previousCount;
      if (count === undefined || round >= CATCH_UP_ROUNDS || stuck) throw this.shortfall(count, strategy.describeReads());
      progressed = this.delivered > before;
      previousCount = count;
    }
  }

  private shortfall(count: number | undefined, where: string): SourceIncompleteError {
    const { noun, advice, stats } = this.o;
    const delivered = this.delivered;
    const instead = this.o.hasBulk === false ? otherWay(advice, { noun }) : advice.useStrategy('bulk');
    stats.countAtEnd = count;
    if (count === undefined) {
      return new SourceIncompleteError(
        0,
        delivered,
        `Qualys sent no "count" for the filter, so the ${delivered} ${noun} delivered cannot be checked for completeness; ` +
          `nothing was written. Run ${advice.diagnosis} and report its output.`,
      );
    }
    return new SourceIncompleteError(
      count,
      delivered,
      `Qualys counts ${count} ${noun} for the filter, but only ${delivered} could be read ${where}` +
        `${stats.expectedAtStart !== undefined ? ` (${stats.expectedAtStart} at the start)` : ''}; ` +
        `${count - delivered} are missing, so nothing was written. ` +
        `Re-run the export; if it happens again, run ${advice.diagnosis}, and try ${instead}.`,
    );
  }

  /** Fails when more unchanged records were delivered than the server ever counted: `strategy` read outside the filter. */
  checkSurplus(strategy: string | undefined): void {
    const { noun, advice, stats } = this.o;
    const { delivered, changedDuringRun } = this.o.ledger.stats;
    const unchanged = delivered - changedDuringRun;
    const most = Math.max(stats.expectedAtStart ?? Infinity, stats.countAtEnd ?? Infinity);
    if (unchanged > most) {
      throw new SourceInconsistentError(
        `delivered ${unchanged} ${noun} that did not change during the run, but Qualys counts at most ${most} for the filter ` +
          `(${stats.expectedAtStart} at the start, ${stats.countAtEnd} at the end): ` +
          `the ${strategy} strategy returned ${noun} outside the filter. Nothing was written; run ${advice.diagnosis} and report its output.`,
      );
    }
  }
}
