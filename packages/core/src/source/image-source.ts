import { DEFAULT_ADVICE, type SourceAdvice } from './advice.js';
import { ConfigError, FilterRejectedError, QcsError, SourceIncompleteError, SourceInconsistentError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { ImageRecord } from '../record.js';
import { crawlBulk } from './bulk-cursor.js';
import { IMAGES_PATH, IMAGES_RESULT_CAP, type CrawlContext } from './crawl-context.js';
import { crawlKeysetRange, describeRange, type KeysetContext, type KeysetPosition } from './keyset.js';
import { crawlWindowsInOrder, planKeysetWindows, type KeysetPlan, type KeysetWindow } from './keyset-windows.js';
import { DeliveryLedger } from './ledger.js';
import { crawlPageNumbers } from './page-numbers.js';
import { prefetch } from './prefetch.js';
import { readPage } from './raw-page.js';
import { IMAGES } from './resource.js';
import { selfTestKeyset, type SelfTestResult } from './self-test.js';
import type { ImageSource, ImageSourceOptions, ResolvedStrategy, SourceStats } from './types.js';

export const PAGE_SIZE_LIMITS = { images: { max: 1000, default: 1000 }, bulk: { max: 250, default: 250 } } as const;
/** auto reads by page number up to this share of the cap, leaving room below it for images added during the run. */
const PAGE_NUMBER_SHARE = 0.9;
export const DEFAULT_PAGE_NUMBER_LIMIT = pageNumberLimitFor(IMAGES_RESULT_CAP);

export function pageNumberLimitFor(resultCap: number): number {
  return Math.floor(resultCap * PAGE_NUMBER_SHARE);
}
/** Records whose `updated` is later than the run's start, less this allowance for clock skew, changed during the run. */
const CLOCK_SKEW_MS = 15 * 60_000;
/** Most tail passes (keyset) or cursor continuations (bulk) made while the server counts more images than were delivered. */
const CATCH_UP_ROUNDS = 10;

/**
 * Streams every image the server holds for the filter as normalized batches, one per API page, and ends with a
 * verdict: the source compares what it delivered with the server's own count at the start and at the end, and
 * fails with QCS_SOURCE_INCOMPLETE (or QCS_SOURCE_INCONSISTENT) rather than end quietly short. README "How a run
 * knows it is complete" states the rule this implements:
 * - no image is delivered twice (a ledger of shas drops every repeat);
 * - every image the server counts at the end of the run has been delivered: delivered ≥ count at the end, after
 *   the source has re-read the tail where rescanned and new images land;
 * - images delivered that did not change during the run number at most the count at the start (or at the end):
 *   more would mean the server returned images outside the filter.
 * Images removed during the run may have been delivered before they went; that is reported, not an error.
 */
export function imageSource(options: ImageSourceOptions): ImageSource {
  const strategy = options.strategy ?? 'auto';
  const limits = PAGE_SIZE_LIMITS[strategy === 'bulk' ? 'bulk' : 'images'];
  const pageSize = options.pageSize ?? limits.default;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > limits.max) {
    throw new ConfigError(`pageSize must be a whole number from 1 to ${limits.max} for the ${strategy} strategy, got ${pageSize}`);
  }
  const prefetchPages = Math.max(1, options.prefetch ?? 2);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const logger = options.logger ?? silentLogger;
  const filter = options.filter?.trim() || undefined;
  const resultCap = options.resultCap ?? IMAGES_RESULT_CAP;
  if (!Number.isInteger(resultCap) || resultCap < 1) throw new ConfigError(`resultCap must be a whole number of at least 1, got ${resultCap}`);
  const stats: SourceStats = {
    pages: 0,
    records: 0,
    duplicatesDropped: 0,
    strategy: undefined,
    strategyReason: undefined,
    selfTest: undefined,
    expectedAtStart: undefined,
    countAtEnd: undefined,
    changedDuringRun: 0,
    repairPasses: 0,
    severityCounts: 'present',
  };

  const advice = options.advice ?? DEFAULT_ADVICE;
  const produce = async (emit: (batch: ImageRecord[]) => Promise<void>, signal: AbortSignal) => {
    const ledger = new DeliveryLedger(IMAGES, Date.now() - CLOCK_SKEW_MS);
    const base: CrawlContext = {
      client: options.client,
      filter,
      pageSize,
      resultCap,
      request: { signal },
      resource: IMAGES,
      ledger,
      logger,
      advice,
      emit: async (produced) => {
        const batch = ledger.commit(produced);
        stats.duplicatesDropped = ledger.duplicatesDropped;
        stats.changedDuringRun = ledger.changedDuringRun;
        if (batch.length === 0) return;
        stats.pages++;
        stats.records += batch.length;
        options.onPage?.({ page: stats.pages, records: batch.length, totalRecords: stats.records, expectedTotal: stats.expectedAtStart });
        await emit(batch);
      },
    };
    const keysetCtx: KeysetContext = { ...base, field: 'updated', maxExclusions: options.maxExclusions ?? 100 };
    stats.expectedAtStart = await countNow(base);
    if (stats.expectedAtStart === undefined) {
      // Every completeness check compares with the server's count; without one, a run could only hope.
      throw new SourceIncompleteError(
        0,
        0,
        `Qualys sent no "count" with GET ${IMAGES_PATH}, so no export of this filter can be checked for completeness; nothing was written. ` +
          `Run ${advice.diagnosis} and report its output.`,
      );
    }

    const chosen = await chooseStrategy();
    stats.strategy = chosen.strategy;
    stats.strategyReason = chosen.reason;
    logger.info(`source strategy: ${chosen.strategy} (${chosen.reason})`);
    options.onStrategy?.(chosen.strategy, chosen.reason);

    try {
      if (chosen.strategy === 'pages') stats.countAtEnd = (await crawlPageNumbers(base, concurrency)).count;
      else if (chosen.strategy === 'images') await keysetExport(chosen.plan ?? (await planKeysetWindows(keysetCtx, concurrency)));
      else await bulkExport(false);
    } catch (caught) {
      const error = blameThePagingForm(caught, chosen.strategy, advice);
      // Under auto, a strategy that meets a server it cannot trust hands over to the bulk cursor; the ledger keeps
      // what was delivered, so the switch cannot deliver an image twice.
      const recoverable = error instanceof SourceIncompleteError || error instanceof SourceInconsistentError;
      if (strategy !== 'auto' || chosen.strategy === 'bulk' || !recoverable) throw error;
      logger.warn(
        `${chosen.strategy} strategy could not finish (${(error as Error).message}); ` +
          `continuing with the bulk cursor, which skips the ${ledger.delivered} images already delivered`,
      );
      stats.repairPasses++;
      stats.strategy = 'bulk';
      stats.strategyReason =
        `${chosen.reason}; ${chosen.strategy} then switched to bulk mid-run ` + `(${(error as QcsError).code}: ${(error as Error).message.slice(0, 160)})`;
      await bulkExport(true);
    }
    checkSurplus(ledger);
    stats.duplicatesDropped = ledger.duplicatesDropped;
    stats.changedDuringRun = ledger.changedDuringRun;

    async function chooseStrategy(): Promise<{ strategy: ResolvedStrategy; reason: string; plan?: KeysetPlan }> {
      const total = stats.expectedAtStart;
      if (strategy !== 'auto') return { strategy, reason: 'set in the config' };
      const limit = options.pageNumberLimit ?? pageNumberLimitFor(resultCap);
      if (total === undefined || total <= limit) return decideAuto(total, limit, undefined, resultCap);
      // The keyset's window plan is made while the self-test runs, to save round trips; it is used only if the
      // test passes (a server that fails the test may well answer the planning probes wrongly too).
      const planning = planKeysetWindows(keysetCtx, concurrency).then(
        (plan) => ({ plan }),
        (error: unknown) => ({ error }),
      );
      let test = await selfTestKeyset(base, 'updated', total);
      // Images rescanned during the test move counts; a real dialect fails the same way twice.
      if (!test.ok && !test.verdicts.some((v) => v.detail.startsWith('refused'))) test = await selfTestKeyset(base, 'updated', await countNow(base));
      stats.selfTest = test.verdicts;
      const decision = decideAuto(total, limit, test, resultCap);
      const planned = await planning;
      if (decision.strategy !== 'images') return decision;
      if ('error' in planned) throw planned.error;
      return { ...decision, plan: planned.plan };
    }

    async function keysetExport(plan: KeysetPlan): Promise<void> {
      if (plan.maxKey !== undefined) ledger.setChangedAfter(plan.maxKey);
      let tail: KeysetPosition | undefined;
      const windows = crawlWindowsInOrder(keysetCtx, plan.windows, concurrency, prefetchPages, signal, (end) => {
        tail = end;
      });
      for await (const batch of windows) await keysetCtx.emit(batch);
      // Images rescanned or added while the windows were crawled land after the last window's end: read that tail
      // once in any case, then again for as long as the server counts more than was delivered.
      const readTail = async () => {
        tail = await crawlKeysetRange(keysetCtx, { from: null, until: null }, tail ?? { low: null, excluded: [] });
      };
      const readAll = async () => {
        await crawlKeysetRange(keysetCtx, { from: null, until: null });
      };
      await catchUp(
        readTail,
        readAll,
        () => `after the ${plan.windows.length} ${keysetCtx.field} windows, the tail behind them and a repair pass (${describeWindows(plan.windows)})`,
      );
    }

    async function bulkExport(repair: boolean): Promise<void> {
      stats.severityCounts = 'absent';
      const ctx = { ...base, pageSize: Math.min(pageSize, PAGE_SIZE_LIMITS.bulk.max) };
      let end = await crawlBulk(ctx);
      await catchUp(
        async () => {
          if (end.continuation === undefined) return;
          try {
            const next = await crawlBulk(ctx, end.continuation);
            // A continuation that found nothing keeps the position it started from.
            end = { ...next, continuation: next.continuation ?? end.continuation };
          } catch (error) {
            // The continuation is our cursor in the server's documented form; a server that only takes its own
            // cursors refuses it, and then the count alone decides.
            if (!(error instanceof QcsError) || (error.code !== 'QCS_FILTER_REJECTED' && error.code !== 'QCS_HTTP_ERROR')) throw error;
            logger.warn(`the bulk API refused a cursor continuing after its end (${error.message.slice(0, 160)}); relying on its count alone`);
            end = { ...end, continuation: undefined };
          }
        },
        async () => {
          end = await crawlBulk(ctx);
        },
        () => `${repair ? 'after switching to' : 'following'} the bulk cursor to its end, continuing it and reading it again`,
      );
    }

    /**
     * Ends the run. Each round takes the server's count first and then reads the tail behind the crawl
     * (`readTail`: where rescanned and new images land), so every image present when that read is made is delivered
     * whatever was added or removed before it; the count then only has to be met. When a tail read finds nothing
     * and the count is still not met, `readAll` reads everything once more (a repair pass: the ledger skips what was
     * delivered, so only images the first pass lost come out). The run fails when a repair found nothing new and
     * the count stood still, or after CATCH_UP_ROUNDS rounds of a subscription that keeps changing.
     */
    async function catchUp(readTail: () => Promise<void>, readAll: () => Promise<void>, where: () => string): Promise<void> {
      let previousCount: number | undefined;
      let progressed = true;
      let repaired = false;
      for (let round = 1; ; round++) {
        const count = await countNow(base);
        const before = ledger.delivered;
        if (progressed || repaired) await readTail();
        else {
          logger.warn(
            `Qualys counts ${count} images but ${ledger.delivered} were delivered and nothing more came from the tail; ` +
              'reading everything once more (repair pass)',
          );
          stats.repairPasses++;
          repaired = true;
          await readAll();
        }
        if (count !== undefined && ledger.delivered >= count) {
          stats.countAtEnd = count;
          return;
        }
        const stuck = ledger.delivered === before && repaired && count === previousCount;
        if (count === undefined || round >= CATCH_UP_ROUNDS || stuck) throw shortfall(count, where());
        progressed = ledger.delivered > before;
        previousCount = count;
      }
    }

    function shortfall(count: number | undefined, where: string): SourceIncompleteError {
      stats.countAtEnd = count;
      if (count === undefined) {
        return new SourceIncompleteError(
          0,
          ledger.delivered,
          `Qualys sent no "count" for the filter, so the ${ledger.delivered} images delivered cannot be checked for completeness; ` +
            `nothing was written. Run ${advice.diagnosis} and report its output.`,
        );
      }
      return new SourceIncompleteError(
        count,
        ledger.delivered,
        `Qualys counts ${count} images for the filter, but only ${ledger.delivered} could be read ${where}` +
          `${stats.expectedAtStart !== undefined ? ` (${stats.expectedAtStart} at the start)` : ''}; ` +
          `${count - ledger.delivered} are missing, so nothing was written. ` +
          `Re-run the export; if it happens again, run ${advice.diagnosis}, and try ${advice.useStrategy('bulk')}.`,
      );
    }

    function checkSurplus(l: DeliveryLedger<ImageRecord>): void {
      const unchanged = l.delivered - l.changedDuringRun;
      const most = Math.max(stats.expectedAtStart ?? Infinity, stats.countAtEnd ?? Infinity);
      if (unchanged > most) {
        throw new SourceInconsistentError(
          `delivered ${unchanged} images that did not change during the run, but Qualys counts at most ${most} for the filter ` +
            `(${stats.expectedAtStart} at the start, ${stats.countAtEnd} at the end): ` +
            `the ${stats.strategy} strategy returned images outside the filter. Nothing was written; run ${advice.diagnosis} and report its output.`,
        );
      }
    }
  };

  return {
    stats,
    // One batch of hand-over between the strategy and the consumer; the strategies hold their own prefetch.
    [Symbol.asyncIterator]: () => prefetch<ImageRecord[]>(produce, 1, options.signal)[Symbol.asyncIterator](),
  };
}

/**
 * The filter was accepted for the count at the start, so a 400 later in the crawl is the server refusing a form the
 * strategy adds (a range, an exclusion, a sort, a page past the cap), not the user's filter: say so, and let auto
 * switch to the bulk cursor, whose cursor is the server's own.
 */
function blameThePagingForm(error: unknown, strategy: ResolvedStrategy, advice: SourceAdvice): unknown {
  if (!(error instanceof FilterRejectedError)) return error;
  return new SourceInconsistentError(
    `Qualys accepted the filter at the start but rejected a query the ${strategy} strategy sent later (${error.detail}); ` +
      `this server does not take that paging form. Run ${advice.diagnosis} to see which, and use ${advice.useStrategy('auto or bulk')}.`,
  );
}

/**
 * What auto does with a count and, past the page-number limit, the keyset self-test: the documented page numbers
 * when they reach every image, a proven keyset past them, and otherwise the documented bulk cursor.
 */
export function decideAuto(
  total: number | undefined,
  limit: number,
  test: SelfTestResult | undefined,
  resultCap: number = IMAGES_RESULT_CAP,
): { strategy: ResolvedStrategy; reason: string } {
  if (total === undefined) return { strategy: 'bulk', reason: 'the server sends no count with /images, so page numbers cannot be checked' };
  if (total <= limit)
    return { strategy: 'pages', reason: `${total} images match, within reach of page numbers (documented; cap ${resultCap.toLocaleString('en-US')})` };
  if (test?.ok) return { strategy: 'images', reason: `${total} images, past the cap; the keyset self-test passed on this server (${test.calls} calls)` };
  const failed = (test?.verdicts ?? []).filter((v) => !v.ok).map((v) => `${v.form}: ${v.detail}`);
  return {
    strategy: 'bulk',
    reason: `${total} images, past the cap; the keyset self-test failed (${failed.join('; ')}), so the documented bulk cursor is used`,
  };
}

/** The server's count for the filter alone: one record of GET /images, no sort (every server takes that). */
export async function countNow(ctx: Pick<CrawlContext, 'client' | 'filter' | 'request'>): Promise<number | undefined> {
  const response = await ctx.client.get(IMAGES_PATH, { filter: ctx.filter, pageNumber: 1, pageSize: 1 }, ctx.request);
  return readPage(response, `GET ${IMAGES_PATH}`).count;
}

function describeWindows(windows: readonly KeysetWindow[]): string {
  return windows.map((w) => `${describeRange('updated', w)}: ${w.planned ?? '?'} counted at the start, ${w.delivered} delivered`).join('; ');
}
