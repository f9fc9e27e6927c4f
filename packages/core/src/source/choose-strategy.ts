import { SourceIncompleteError } from '../errors.js';
import { DEFAULT_ADVICE, type SourceAdvice } from './advice.js';
import type { CrawlContext } from './crawl-context.js';
import { countNow } from './count-now.js';
import { planKeysetWindows, type KeysetPlan } from './keyset-windows.js';
import type { KeysetContext } from './keyset.js';
import { IMAGES, IMAGES_RESULT_CAP, type ListResource, listName } from './resource.js';
import { selfTestKeyset, type SelfTestResult } from './self-test.js';
import type { SourceSettings } from './settings.js';
import type { ResolvedStrategy, SourceStats } from './types.js';

export interface StrategyChoice {
  strategy: ResolvedStrategy;
  reason: string;
  /** The keyset's window plan, made while the self-test ran, when the keyset was chosen. */
  plan?: KeysetPlan;
}

/** What auto needs to know of a resource: its nouns and list, and which ways past the cap it has. */
export type AutoResource = Pick<ListResource<unknown>, 'noun' | 'path' | 'keysetField' | 'bulk'>;

/**
 * The strategy a run starts with: the configured one, or under auto the page numbers when the count at the start
 * is within their reach, and past it a keyset if the resource has one and a short self-test proves this server
 * applies the forms it needs, otherwise the bulk cursor (decideAuto fails when the resource has none).
 * `keyset` is the crawl context with the keyset's field, absent when the resource has no keyset field.
 */
export async function chooseStrategy<R>(
  settings: Pick<SourceSettings, 'strategy' | 'pageNumberLimit' | 'resultCap' | 'concurrency' | 'advice'>,
  ctx: CrawlContext<R>,
  keyset: KeysetContext<R> | undefined,
  total: number,
  stats: Pick<SourceStats, 'selfTest'>,
): Promise<StrategyChoice> {
  if (settings.strategy !== 'auto') return { strategy: settings.strategy, reason: 'set in the config' };
  const limit = settings.pageNumberLimit;
  const decide = (test: SelfTestResult | undefined) => decideAuto(total, limit, test, settings.resultCap, ctx.resource, settings.advice);
  if (total <= limit || keyset === undefined) return decide(undefined);
  // The keyset's window plan is made while the self-test runs, to save round trips; it is used only if the
  // test passes (a server that fails the test may well answer the planning probes wrongly too).
  const planning = planKeysetWindows(keyset, settings.concurrency).then(
    (plan) => ({ plan }),
    (error: unknown) => ({ error }),
  );
  let test = await selfTestKeyset(keyset, keyset.field, total);
  // Records rescanned during the test move counts; a real dialect fails the same way twice.
  if (!test.ok && !test.verdicts.some((v) => v.detail.startsWith('refused'))) test = await selfTestKeyset(keyset, keyset.field, await countNow(keyset));
  stats.selfTest = test.verdicts;
  // The planning probes settle before the decision, which may fail the run, so none is left in flight.
  const planned = await planning;
  const decision = decide(test);
  if (decision.strategy !== 'images') return decision;
  if ('error' in planned) throw planned.error;
  return { ...decision, plan: planned.plan };
}

/**
 * What auto does with a count and, past the page-number limit, the keyset self-test: the documented page numbers
 * when they reach every record, a proven keyset past them, and otherwise the resource's bulk cursor. A resource with
 * no bulk cursor never falls back to one: where only the bulk cursor could read every record, this throws
 * QCS_SOURCE_INCOMPLETE before anything is read, rather than deliver part of the export.
 */
export function decideAuto(
  total: number | undefined,
  limit: number,
  test: SelfTestResult | undefined,
  resultCap: number = IMAGES_RESULT_CAP,
  resource: AutoResource = IMAGES,
  advice: SourceAdvice = DEFAULT_ADVICE,
): { strategy: ResolvedStrategy; reason: string } {
  const { noun } = resource;
  const list = listName(resource);
  const cap = resultCap.toLocaleString('en-US');
  if (total !== undefined && total <= limit) {
    return { strategy: 'pages', reason: `${total} ${noun} match, within reach of page numbers (documented; cap ${cap})` };
  }
  if (total !== undefined && test?.ok) {
    return { strategy: 'images', reason: `${total} ${noun}, past the cap; the keyset self-test passed on this server (${test.calls} calls)` };
  }
  const failed = (test?.verdicts ?? []).filter((v) => !v.ok).map((v) => `${v.form}: ${v.detail}`);
  const noKeyset = resource.keysetField === undefined;
  if (resource.bulk === undefined) throw noWayPastTheCap(total, limit, cap, resource, noKeyset ? undefined : failed, advice);
  if (total === undefined) return { strategy: 'bulk', reason: `the server sends no count with ${list}, so page numbers cannot be checked` };
  if (noKeyset) return { strategy: 'bulk', reason: `${total} ${noun}, past the cap; ${list} cannot be paged by key, so the documented bulk cursor is used` };
  return {
    strategy: 'bulk',
    reason: `${total} ${noun}, past the cap; the keyset self-test failed (${failed.join('; ')}), so the documented bulk cursor is used`,
  };
}

/** Auto's failure when only a bulk cursor could read every record and the resource has none. */
function noWayPastTheCap(
  total: number | undefined,
  limit: number,
  cap: string,
  resource: AutoResource,
  failedForms: string[] | undefined,
  advice: SourceAdvice,
): SourceIncompleteError {
  const { noun, path } = resource;
  if (total === undefined) {
    return new SourceIncompleteError(
      0,
      0,
      `Qualys sent no "count" with GET ${path}, and ${noun} have no bulk cursor to read without one, so no export of this filter ` +
        `can be checked for completeness; nothing was written. Run ${advice.diagnosis} and report its output.`,
    );
  }
  const why = failedForms === undefined ? `${noun} cannot be paged by key` : `the keyset self-test failed (${failedForms.join('; ')})`;
  return new SourceIncompleteError(
    total,
    0,
    `${total} ${noun} match the filter, more than the ${limit} auto reads by page number (cap ${cap}); ${why}, ` +
      `and GET ${path} has no bulk cursor to page past the cap, so no strategy can deliver them all; nothing was written. ` +
      `Narrow the filter to at most ${limit} ${noun}, or run ${advice.diagnosis} and report its output.`,
  );
}
