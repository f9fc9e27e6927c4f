import { FilterRejectedError, type QcsError, SourceIncompleteError, SourceInconsistentError } from '../errors.js';
import type { SourceAdvice } from './advice.js';
import type { StrategyChoice } from './choose-strategy.js';
import type { Completeness } from './completeness.js';
import type { KeysetContext } from './keyset.js';
import type { KeysetPlan } from './keyset-windows.js';
import type { SourceSettings } from './settings.js';
import type { Strategy } from './strategy.js';
import { bulkStrategy } from './strategy-bulk.js';
import { keysetStrategy } from './strategy-keyset.js';
import { pagesStrategy } from './strategy-pages.js';
import type { ResolvedStrategy, SourceStats } from './types.js';

export interface RunDeps {
  settings: Pick<SourceSettings, 'strategy' | 'concurrency' | 'prefetchPages' | 'advice' | 'logger'>;
  /** The crawl context, with the keyset's field (the one context every strategy is made from). */
  ctx: KeysetContext;
  signal: AbortSignal;
  completeness: Completeness;
  stats: Pick<SourceStats, 'strategy' | 'strategyReason' | 'severityCounts'>;
}

/**
 * Runs the chosen strategy until the export is complete. This is the one place a run changes strategy: under auto,
 * a strategy that meets a server it cannot trust (QCS_SOURCE_INCOMPLETE or QCS_SOURCE_INCONSISTENT) hands over to
 * the bulk cursor, Qualys' documented way; the ledger keeps what was delivered, so the switch cannot deliver an
 * image twice. A strategy set in the config, or bulk itself, fails instead.
 */
export async function runStrategy(choice: StrategyChoice, deps: RunDeps): Promise<void> {
  const { settings, ctx, completeness, stats } = deps;
  try {
    await runToEnd(strategyFor(choice.strategy, deps, choice.plan), deps);
  } catch (caught) {
    const error = blameThePagingForm(caught, choice.strategy, settings.advice);
    const recoverable = error instanceof SourceIncompleteError || error instanceof SourceInconsistentError;
    if (settings.strategy !== 'auto' || choice.strategy === 'bulk' || !recoverable) throw error;
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

function strategyFor(name: ResolvedStrategy, deps: RunDeps, plan: KeysetPlan | undefined, switched = false): Strategy {
  const { ctx, settings } = deps;
  if (name === 'pages') return pagesStrategy(ctx, settings.concurrency);
  if (name === 'images') return keysetStrategy(ctx, { concurrency: settings.concurrency, prefetchPages: settings.prefetchPages, signal: deps.signal, plan });
  return bulkStrategy(ctx, switched);
}

async function runToEnd(strategy: Strategy, deps: RunDeps): Promise<void> {
  // The bulk API's records have no severity counts; the summary and the enrichment must know.
  if (strategy.name === 'bulk') deps.stats.severityCounts = 'absent';
  await deps.completeness.finish(strategy, await strategy.crawl());
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
