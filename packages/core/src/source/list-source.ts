import { chooseStrategy } from './choose-strategy.js';
import { Completeness } from './completeness.js';
import type { CrawlContext } from './crawl-context.js';
import { countNow } from './count-now.js';
import type { KeysetContext } from './keyset.js';
import { DeliveryLedger } from './ledger.js';
import { prefetch } from './prefetch.js';
import type { ListResource } from './resource.js';
import { runStrategy } from './run-strategy.js';
import { resolveSettings } from './settings.js';
import { emptySourceStats, type ListSource, type ListSourceOptions, type SourceStats } from './types.js';

/** Records whose change date is later than the run's start, less this allowance for clock skew, changed during the run. */
const CLOCK_SKEW_MS = 15 * 60_000;

/**
 * Streams every record of `resource` the server holds for the filter as normalized batches, one per API page, and
 * ends with a verdict: the source compares what it delivered with the server's own count at the start and at the
 * end, and fails with QCS_SOURCE_INCOMPLETE (or QCS_SOURCE_INCONSISTENT) rather than end quietly short
 * (completeness.ts). No record is delivered twice: every batch passes the run's ledger of keys on its way out.
 * Records removed during the run may have been delivered before they went; that is reported, not an error.
 */
export function listSource<R>(resource: ListResource<R>, options: ListSourceOptions): ListSource<R> {
  const settings = resolveSettings(options, resource);
  const { logger } = settings;
  const stats: SourceStats = emptySourceStats();

  const produce = async (emit: (batch: R[]) => Promise<void>, signal: AbortSignal) => {
    const ledger = new DeliveryLedger(resource, Date.now() - CLOCK_SKEW_MS);
    const copyLedgerStats = () => {
      stats.duplicatesDropped = ledger.duplicatesDropped;
      stats.rereadToVerify = ledger.rereadToVerify;
      stats.changedDuringRun = ledger.changedDuringRun;
    };
    const ctx: CrawlContext<R> = {
      client: options.client,
      filter: settings.filter,
      pageSize: settings.pageSize,
      resultCap: settings.resultCap,
      request: { signal },
      resource,
      ledger,
      logger,
      advice: settings.advice,
      emit: async (produced) => {
        const batch = ledger.commit(produced);
        copyLedgerStats();
        if (batch.length === 0) return;
        stats.pages++;
        stats.records += batch.length;
        options.onPage?.({ page: stats.pages, records: batch.length, totalRecords: stats.records, expectedTotal: stats.expectedAtStart, noun: resource.noun });
        await emit(batch);
      },
    };
    const keyset: KeysetContext<R> | undefined =
      resource.keysetField === undefined ? undefined : { ...ctx, field: resource.keysetField, maxExclusions: settings.maxExclusions };
    const completeness = new Completeness({
      noun: resource.noun,
      path: resource.path,
      hasBulk: resource.bulk !== undefined,
      countNow: () => countNow(ctx),
      ledger,
      logger,
      advice: settings.advice,
      stats,
    });

    const total = await completeness.countAtStart();
    const choice = await chooseStrategy(settings, ctx, keyset, total, stats);
    stats.strategy = choice.strategy;
    stats.strategyReason = choice.reason;
    logger.info(`source strategy: ${choice.strategy} (${choice.reason})`);
    options.onStrategy?.(choice.strategy, choice.reason);

    await runStrategy(choice, { settings, ctx, keyset, signal, completeness, stats });
    completeness.checkSurplus(stats.strategy);
    copyLedgerStats();
  };

  return {
    stats,
    // One batch of hand-over between the strategy and the consumer; the strategies hold their own prefetch.
    [Symbol.asyncIterator]: () => prefetch<R[]>(produce, 1, options.signal)[Symbol.asyncIterator](),
  };
}
