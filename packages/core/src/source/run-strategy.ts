import { ConfigError, FilterRejectedError, type QcsError, SourceIncompleteError, SourceInconsistentError } from '../errors.js';
import { otherWay, type SourceAdvice } from './advice.js';
import type { StrategyChoice } from './choose-strategy.js';
import type { Completeness } from './completeness.js';
import type { CrawlContext } from './crawl-context.js';
import type { KeysetContext } from './keyset.js';
import type { KeysetPlan } from './keyset-windows.js';
import type { ListResource } from './resource.js';
import type { SourceSettings } from './settings.js';
import type { Strategy } from './strategy.js';
import { bulkStrategy } from './strategy-bulk.js';
import { keysetStrategy } from './strategy-keyset.js';
import { pagesStrategy } from './strategy-pages.js';
import type { ResolvedStrategy, SourceStats } from './types.js';

export interface RunDeps<R> {
  settings: Pick<SourceSettings, 'strategy' | 'concurrency' | 'prefetchPages' | 'advice' | 'logger'>;
  /** The crawl context every strategy is made from. */
  ctx: CrawlContext<R>;
  /** The same with the keyset's field; absent when the resource has none (the keyset is then never chosen). */
  keyset: KeysetContext<R> | undefined;
  signal: AbortSignal;
  completeness: Completeness;
  stats: Pick<SourceStats, 'strategy' | 'strategyReason' | 'severityCounts'>;
}

/**
 * Runs the chosen strategy until the export is complete. This is the one place a run changes strategy: under auto,
 * a strategy that meets a server it cannot trust (QCS_SOURCE_INCOMPLETE or QCS_SOURCE_INCONSISTENT) hands over to
 * the bulk cursor, Qualys' documented way; the ledger keeps what was delivered, so the switch cannot deliver a
 * record twice. A strategy set in the config, bulk itself, or any strategy of a resource without a bulk cursor fails
 * instead, with that error.
 */
export async function runStrategy<R>(choice: StrategyChoice, deps: RunDeps<R>): Promise<void> {
  const { settings, ctx, completeness, stats } = deps;
  try {
    await runToEnd(strategyFor(choice.strategy, deps, choice.plan), deps);
  } catch (caught) {
    const error = blameThePagingForm(caught, choice.strategy, settings.advice, ctx.resource);
    const recoverable = error instanceof SourceIncompleteError || error instanceof SourceInconsistentError;
    const canSwitch = settings.strategy === 'auto' && choice.strategy !== 'bulk' && ctx.resource.bulk !== undefined;
    if (!canSwitch || !recoverable) throw error;
    settings.logger.warn(
      `${choice.strategy} strategy could not finish (${(error as Error).message}); ` +
        `continuing with the bulk cursor, which skips the ${ctx.ledger.delivered} ${ctx.resource.noun} already delivered`,
    );
    completeness.countRepairPass();
    stats.strategy = 'bulk';
    stats.strategyReason =
      `${choice.reason}; ${choice.strategy} then switched to bulk mid-run ` + `(${(error as QcsError).code}: ${(error as Error).message.slice(0, 160)})`;
    await runToEnd(strategyFor('bulk', deps, undefined, true), deps);
  }
}

function strategyFor<R>(name: ResolvedStrategy, deps: RunDeps<R>, plan: KeysetPlan | undefined, switched = false): Strategy {
  const { ctx, keyset, settings } = deps;
  if (name === 'pages') return pagesStrategy(ctx, settings.concurrency);
  if (name === 'bulk') return bulkStrategy(ctx, switched);
  // Settings refuse the keyset for a resource without a keyset field, and auto never chooses it there.
  if (keyset === undefined)
    throw new ConfigError(`GET ${ctx.resource.path} has no keyset field; the images (keyset) strategy cannot read ${ctx.resource.noun}`);
  return keysetStrategy(keyset, { concurrency: settings.concurrency, prefetchPages: settings.prefetchPages, signal: deps.signal, plan });
}

async function runToEnd<R>(strategy: Strategy, deps: RunDeps<R>): Promise<void> {
  // The bulk API's records have no severity counts; the summary and the enrichment must know.
  if (strategy.name === 'bulk') deps.stats.severityCounts = 'absent';
  await deps.completeness.finish(strategy, await strategy.crawl());
}

/**
 * The filter was accepted for the count at the start, so a 400 later in the crawl is the server refusing a form the
 * strategy adds (a range, an exclusion, a sort, a page past the cap), not the user's filter: say so, and let auto
 * switch to the bulk cursor, whose cursor is the server's own.
 */
function blameThePagingForm(error: unknown, strategy: ResolvedStrategy, advice: SourceAdvice, resource: Pick<ListResource<unknown>, 'noun' | 'bulk'>): unknown {
  if (!(error instanceof FilterRejectedError)) return error;
  const instead = resource.bulk !== undefined ? advice.useStrategy('auto or bulk') : otherWay(advice, resource);
  return new SourceInconsistentError(
    `Qualys accepted the filter at the start but rejected a query the ${strategy} strategy sent later (${error.detail}); ` +
      `this server does not take that paging form. Run ${advice.diagnosis} to see which, and use ${instead}.`,
  );
}
