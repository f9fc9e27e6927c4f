import type { ImageRecord } from '../record.js';
import { andFilters } from './qql.js';
import { crawlCreatedWindow, IMAGES_PATH, type CreatedWindow, type KeysetContext } from './created-keyset.js';
import { mapLimited, prefetch } from './prefetch.js';
import { rawEpochMs, readPage } from './raw-page.js';

type PlanContext = Omit<KeysetContext, 'emit'>;

export interface WindowPlan {
  windows: CreatedWindow[];
  /** The server's count of matching images when the plan was made. */
  expectedTotal: number | undefined;
}

/**
 * Splits the `created` range into windows of similar size so several can be crawled at once. Each window is
 * still crawled keyset-style, so the split only affects speed, never which images are delivered: the first
 * window is open below and the last open above, and together they cover every possible `created` value.
 */
export async function planCreatedWindows(ctx: PlanContext, concurrency: number): Promise<WindowPlan> {
  const first = await probe(ctx, ctx.filter, 'created:asc');
  const total = first.count;
  const whole: CreatedWindow = { from: null, until: null };
  if (total === undefined || total === 0 || concurrency <= 1 || total <= 2 * ctx.pageSize) {
    return { windows: total === 0 ? [] : [whole], expectedTotal: total };
  }
  const min = first.firstCreated;
  const max = (await probe(ctx, ctx.filter, 'created:desc')).firstCreated;
  if (min === undefined || max === undefined || max <= min) return { windows: [whole], expectedTotal: total };

  const target = Math.max(ctx.pageSize, Math.ceil(total / (concurrency * 2)));
  const split = async (window: { from: number; until: number; count: number }): Promise<Array<{ from: number; until: number; count: number }>> => {
    if (window.count <= target || window.until - window.from <= 1) return [window];
    const mid = window.from + Math.floor((window.until - window.from) / 2);
    const left = (await probe(ctx, andFilters(ctx.filter, `created>=${window.from}`, `created<${mid}`), 'created:asc')).count ?? 0;
    const halves = [
      { from: window.from, until: mid, count: left },
      { from: mid, until: window.until, count: Math.max(0, window.count - left) },
    ];
    return (await mapLimited(halves, 2, split)).flat();
  };
  const pieces = await split({ from: min, until: max + 1, count: total });

  // Bisection leaves empty or tiny slivers; fold neighbours together up to the target so each window is worth a request.
  const merged: Array<{ from: number; until: number; count: number }> = [];
  for (const piece of pieces) {
    const prev = merged[merged.length - 1];
    if (prev && prev.count + piece.count <= target) {
      prev.until = piece.until;
      prev.count += piece.count;
    } else merged.push({ ...piece });
  }
  const windows: CreatedWindow[] = merged.map((w, i) => ({
    from: i === 0 ? null : w.from,
    until: i === merged.length - 1 ? null : w.until,
  }));
  return { windows, expectedTotal: total };
}

async function probe(ctx: PlanContext, filter: string | undefined, sort: string): Promise<{ count: number | undefined; firstCreated: number | undefined }> {
  const response = await ctx.client.get(IMAGES_PATH, { filter, sort, pageNumber: 1, pageSize: 1 }, ctx.request);
  const page = readPage(response, `GET ${IMAGES_PATH}`);
  const first = page.data[0];
  return { count: page.count ?? (page.data.length === 0 ? 0 : undefined), firstCreated: first ? rawEpochMs(first, 'created') : undefined };
}

/**
 * Crawls the windows with up to `concurrency` in flight and yields their pages in window order, so the output is
 * in `created` order as if crawled one by one. Each window holds at most `prefetchPages` pages ahead.
 */
export async function* crawlWindowsInOrder(
  ctx: PlanContext,
  windows: readonly CreatedWindow[],
  concurrency: number,
  prefetchPages: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<ImageRecord[]> {
  const started: Array<AsyncIterator<ImageRecord[]>> = [];
  const start = (i: number) => {
    const window = windows[i] as CreatedWindow;
    const pages = prefetch<ImageRecord[]>(
      (emit, windowSignal) => crawlCreatedWindow({ ...ctx, request: { signal: windowSignal }, emit }, window),
      prefetchPages,
      signal,
    );
    started[i] = pages[Symbol.asyncIterator]();
  };
  try {
    for (let i = 0; i < windows.length; i++) {
      for (let j = started.length; j < Math.min(windows.length, i + Math.max(1, concurrency)); j++) start(j);
      const pages = started[i] as AsyncIterator<ImageRecord[]>;
      for (;;) {
        const next = await pages.next();
        if (next.done) break;
        yield next.value;
      }
    }
  } finally {
    await Promise.all(started.map((it) => it.return?.()));
  }
}
