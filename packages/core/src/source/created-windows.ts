import type { ImageRecord } from '../record.js';
import { andFilters } from './qql.js';
import { crawlCreatedWindow, IMAGES_PATH, type CreatedWindow, type KeysetContext } from './created-keyset.js';
import { prefetch } from './prefetch.js';
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
  const whole: CreatedWindow = { from: null, until: null };
  // One window needs no plan: its first page reports the total, so no probe is spent.
  if (concurrency <= 1) return { windows: [whole], expectedTotal: undefined };
  const first = await probe(ctx, ctx.filter, 'created:asc');
  const total = first.count;
  if (total === undefined || total === 0 || total <= 2 * ctx.pageSize) {
    return { windows: total === 0 ? [] : [whole], expectedTotal: total };
  }
  const min = first.firstCreated;
  const max = (await probe(ctx, ctx.filter, 'created:desc')).firstCreated;
  if (min === undefined || max === undefined || max <= min) return { windows: [whole], expectedTotal: total };

  const target = Math.max(ctx.pageSize, Math.ceil(total / (concurrency * 2)));
  const probes = limiter(PLAN_PROBES_IN_FLIGHT);
  type Piece = { from: number; until: number; count: number };
  // Each oversized range is cut in four at once (three probes in parallel), so planning takes few round trips
  // even when an outlier (created 0 from reproducible builds) stretches the range over decades.
  const split = async (w: Piece): Promise<Piece[]> => {
    const span = w.until - w.from;
    if (w.count <= target || span <= 1) return [w];
    const cuts = [...new Set([1, 2, 3].map((k) => w.from + Math.max(1, Math.floor((span * k) / 4))))].filter((c) => c < w.until);
    const bounds = [w.from, ...cuts, w.until];
    const counts = await Promise.all(
      bounds.slice(0, -2).map((from, i) => probes(async () => (await probe(ctx, andFilters(ctx.filter, `created>=${from}`, `created<${bounds[i + 1]}`), 'created:asc')).count ?? 0)),
    );
    const known = counts.reduce((a, b) => a + b, 0);
    const parts = bounds.slice(0, -1).map((from, i) => ({ from, until: bounds[i + 1] as number, count: i < counts.length ? (counts[i] as number) : Math.max(0, w.count - known) }));
    return (await Promise.all(parts.map(split))).flat();
  };
  const pieces = await split({ from: min, until: max + 1, count: total });

  // Splitting leaves empty or tiny slivers; fold neighbours together up to the target so each window is worth a request.
  const merged: Piece[] = [];
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

/** Count probes in flight at once while planning: quick for the user, gentle on the subscription's rate budget. */
const PLAN_PROBES_IN_FLIGHT = 6;

function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    while (active >= max) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

async function probe(ctx: PlanContext, filter: string | undefined, sort: string): Promise<{ count: number | undefined; firstCreated: number | undefined }> {
  const response = await ctx.client.get(IMAGES_PATH, { filter, sort, pageNumber: 1, pageSize: 1 }, ctx.request);
  const page = readPage(response, `GET ${IMAGES_PATH}`);
  const first = page.data[0];
  return { count: page.count ?? (page.data.length === 0 ? 0 : undefined), firstCreated: first ? rawEpochMs(first, 'created') : undefined };
}

/**
 * Crawls the windows with up to `concurrency` producers at once and yields their pages in window order, so the
 * output is in `created` order as if crawled one by one. A window starts as soon as a producer slot is free, but
 * never more than 2 × concurrency windows ahead of the one being read, and each holds at most `prefetchPages`
 * pages: memory is bounded by concurrency, prefetch and page size, not by the size of the export.
 */
export async function* crawlWindowsInOrder(
  ctx: PlanContext,
  windows: readonly CreatedWindow[],
  concurrency: number,
  prefetchPages: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<ImageRecord[]> {
  const started: Array<AsyncIterator<ImageRecord[]>> = [];
  let producing = 0;
  let reading = 0;
  let closed = false;
  const fill = () => {
    while (!closed && started.length < windows.length && producing < Math.max(1, concurrency) && started.length < reading + 2 * Math.max(1, concurrency)) {
      const window = windows[started.length] as CreatedWindow;
      producing++;
      const pages = prefetch<ImageRecord[]>(
        async (emit, windowSignal) => {
          try {
            await crawlCreatedWindow({ ...ctx, request: { signal: windowSignal }, emit }, window);
          } finally {
            producing--;
            fill();
          }
        },
        prefetchPages,
        signal,
      );
      started.push(pages[Symbol.asyncIterator]());
    }
  };
  try {
    for (reading = 0; reading < windows.length; reading++) {
      fill();
      const pages = started[reading] as AsyncIterator<ImageRecord[]>;
      for (;;) {
        const next = await pages.next();
        if (next.done) break;
        yield next.value;
      }
    }
  } finally {
    // No window may start once the reader has gone, or its producer would run with nobody to stop it.
    closed = true;
    await Promise.all(started.map((it) => it.return?.()));
  }
}
