import { crawlKeysetRange, describeRange, type KeysetContext, type KeysetPosition } from './keyset.js';
import { crawlWindows, planKeysetWindows, type KeysetPlan, type KeysetWindow } from './keyset-windows.js';
import type { PassEnd, Strategy } from './strategy.js';

export interface KeysetStrategyOptions {
  concurrency: number;
  prefetchPages: number;
  signal: AbortSignal;
  /** A plan made ahead (auto makes it while the self-test runs); otherwise the crawl makes its own. */
  plan?: KeysetPlan;
}

/**
 * A keyset on the resource's keyset field (`updated` for /images; undocumented forms, checked on every page): the
 * key range is planned into windows crawled in parallel, and the tail behind the last window is where rescanned and
 * new records land.
 */
export function keysetStrategy<R>(ctx: KeysetContext<R>, options: KeysetStrategyOptions): Strategy {
  let plan = options.plan;
  let tail: KeysetPosition | undefined;
  return {
    name: 'images',
    async crawl(): Promise<PassEnd> {
      plan ??= await planKeysetWindows(ctx, options.concurrency);
      if (plan.maxKey !== undefined) ctx.ledger.setChangedAfter(plan.maxKey);
      const windows = crawlWindows(ctx, plan, options.concurrency, options.prefetchPages, options.signal, (end) => {
        tail = end;
      });
      for await (const batch of windows) await ctx.emit(batch);
      return { kind: 'open' };
    },
    async readTail(): Promise<void> {
      tail = await crawlKeysetRange(ctx, { from: null, until: null }, tail ?? { low: null, excluded: [] });
    },
    async readAll(): Promise<void> {
      await crawlKeysetRange(ctx, { from: null, until: null });
    },
    describeReads: () => {
      const windows = plan?.windows ?? [];
      return `after the ${windows.length} ${ctx.field} windows, the tail behind them and a repair pass (${describeWindows(ctx.field, windows)})`;
    },
  };
}

function describeWindows(field: KeysetContext['field'], windows: readonly KeysetWindow[]): string {
  return windows.map((w) => `${describeRange(field, w)}: ${w.planned ?? '?'} counted at the start, ${w.delivered} delivered`).join('; ');
}
