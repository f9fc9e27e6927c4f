import { IMAGES_RESULT_CAP, type CrawlContext } from './crawl-context.js';
import { countNow } from './count-now.js';
import { planKeysetWindows, type KeysetPlan } from './keyset-windows.js';
import type { KeysetContext } from './keyset.js';
import { selfTestKeyset, type SelfTestResult } from './self-test.js';
import type { SourceSettings } from './settings.js';
import type { ResolvedStrategy, SourceStats } from './types.js';

export interface StrategyChoice {
  strategy: ResolvedStrategy;
  reason: string;
  /** The keyset's window plan, made while the self-test ran, when the keyset was chosen. */
  plan?: KeysetPlan;
}

/**
 * The strategy a run starts with: the configured one, or under auto the page numbers when the count at the start
 * is within their reach, and past it a keyset if a short self-test proves this server applies the forms it needs,
 * otherwise the bulk cursor.
 */
export async function chooseStrategy(
  settings: Pick<SourceSettings, 'strategy' | 'pageNumberLimit' | 'resultCap' | 'concurrency'>,
  ctx: CrawlContext & Pick<KeysetContext, 'field'>,
  total: number,
  stats: Pick<SourceStats, 'selfTest'>,
): Promise<StrategyChoice> {
  if (settings.strategy !== 'auto') return { strategy: settings.strategy, reason: 'set in the config' };
  const limit = settings.pageNumberLimit;
  if (total <= limit) return decideAuto(total, limit, undefined, settings.resultCap);
  // The keyset's window plan is made while the self-test runs, to save round trips; it is used only if the
  // test passes (a server that fails the test may well answer the planning probes wrongly too).
  const planning = planKeysetWindows(ctx, settings.concurrency).then(
    (plan) => ({ plan }),
    (error: unknown) => ({ error }),
  );
  let test = await selfTestKeyset(ctx, ctx.field, total);
  // Images rescanned during the test move counts; a real dialect fails the same way twice.
  if (!test.ok && !test.verdicts.some((v) => v.detail.startsWith('refused'))) test = await selfTestKeyset(ctx, ctx.field, await countNow(ctx));
  stats.selfTest = test.verdicts;
  const decision = decideAuto(total, limit, test, settings.resultCap);
  const planned = await planning;
  if (decision.strategy !== 'images') return decision;
  if ('error' in planned) throw planned.error;
  return { ...decision, plan: planned.plan };
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
