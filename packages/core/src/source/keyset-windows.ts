import { AbortedError } from '../errors.js';
import { crawlKeysetRange, describeRange, type KeyRange, type KeysetContext, type KeysetPosition, type KeysetProgress } from './keyset.js';
import { prefetch } from './prefetch.js';
import { rawEpochMs, readPage } from './raw-page.js';
import type { ListResource } from './resource.js';

type ProbeContext = Pick<KeysetContext, 'client' | 'filter' | 'field' | 'pageSize' | 'request' | 'logger'> & {
  resource: Pick<ListResource<unknown>, 'path'>;
};

export interface KeysetWindow extends KeyRange {
  /** The server's count for this window when its crawl began (its first page's), until it is split. */
  planned: number | undefined;
  /** Records this window delivered so far (not counting repeats), for the message when a run falls short. */
  delivered: number;
}

export interface KeysetPlan {
  windows: KeysetWindow[];
  /** The server's count for the whole filter when the plan was made. */
  total: number | undefined;
  /** The newest key the server held at the start: records delivered with a later key changed during the run. */
  maxKey: number | undefined;
}

/** The count and the first key of one query, from a one-record page. */
async function probeKeyset(
  ctx: ProbeContext,
  filter: string | undefined,
  direction: 'asc' | 'desc',
): Promise<{ count: number | undefined; key: number | undefined }> {
  const { path } = ctx.resource;
  const response = await ctx.client.get(path, { filter, sort: `${ctx.field}:${direction}`, pageNumber: 1, pageSize: 1 }, ctx.request);
  const page = readPage(response, `GET ${path}`);
  const first = page.data[0];
  return { count: page.count, key: first ? rawEpochMs(first, ctx.field) : undefined };
}

/**
 * Cuts the key range into one window per producer, of equal spans of the key. The split only affects speed, never
 * which records are delivered: the first window is open below and the last open above, so together they cover every
 * possible key. The windows' sizes are not counted ahead: each window's first page brings its count, and producers
 * that finish early split the windows with the most left (crawlWindows). Counting pieces ahead cost one call each,
 * as many as the data calls themselves on a small export with large pages.
 */
export async function planKeysetWindows(ctx: ProbeContext, concurrency: number): Promise<KeysetPlan> {
  // The oldest and the newest key, in one round trip.
  const [first, last] = await Promise.all([probeKeyset(ctx, ctx.filter, 'asc'), probeKeyset(ctx, ctx.filter, 'desc')]);
  const total = first.count;
  const max = total === 0 ? undefined : last.key;
  const min = first.key;
  const whole: KeysetWindow = { from: null, until: null, planned: total, delivered: 0 };
  if (concurrency <= 1 || total === undefined || total <= 2 * ctx.pageSize || min === undefined || max === undefined || max <= min) {
    return { windows: total === 0 ? [] : [whole], total, maxKey: max };
  }
  const ways = Math.min(concurrency, Math.ceil(total / ctx.pageSize));
  const span = max + 1 - min;
  const cuts = [...new Set(Array.from({ length: ways - 1 }, (_, k) => min + Math.floor((span * (k + 1)) / ways)))].filter((c) => c > min && c <= max);
  const bounds = [null, ...cuts, null];
  const windows: KeysetWindow[] = bounds.slice(0, -1).map((from, i) => ({ from, until: bounds[i + 1] ?? null, planned: undefined, delivered: 0 }));
  return { windows, total, maxKey: max };
}

/** How many times the running windows may be split, per producer: bounds the calls a skewed key spread can waste. */
const SPLITS_PER_PRODUCER = 8;

/** A window being crawled, as the splitter sees it. */
interface RunningWindow<R> {
  window: KeysetWindow;
  progress: KeysetProgress | undefined;
  /** Set once its crawl has returned: a finished window is never split. */
  finished: boolean;
  pages: AsyncIterator<R[]>;
  pull: Promise<{ running: RunningWindow<R>; next: IteratorResult<R[]> }>;
}

/**
 * Crawls the windows with up to `concurrency` producers at once and yields each page as soon as it is in, from
 * whichever window sent it: a window that is slow or larger than planned never holds the others up. When a
 * producer is free and no planned window is left, the running window with the most records still to read is split
 * in two, and the upper part gets the free producer, so every producer stays busy to the end of the crawl. Each
 * window holds at most `prefetchPages` pages: memory is bounded by concurrency, prefetch and page size, not by the
 * size of the export. `maxKey` (the newest key at planning) bounds the split of the open top window.
 * `onLastEnd` receives the position after the top window's final record.
 */
export async function* crawlWindows<R>(
  ctx: Omit<KeysetContext<R>, 'emit'>,
  plan: Pick<KeysetPlan, 'windows' | 'maxKey'>,
  concurrency: number,
  prefetchPages: number,
  signal: AbortSignal | undefined,
  onLastEnd: (position: KeysetPosition) => void,
): AsyncGenerator<R[]> {
  const waiting = [...plan.windows];
  const running = new Set<RunningWindow<R>>();
  const producers = Math.max(1, concurrency);
  let splitsLeft = SPLITS_PER_PRODUCER * producers;

  const pullOf = (r: RunningWindow<R>) => {
    const pull = r.pages.next().then((next) => ({ running: r, next }));
    // Raced, not awaited one by one: a window that fails after the reader stopped (aborted with the others) must
    // not become an unhandled rejection. The race still sees every failure while the reader is there.
    pull.catch(() => undefined);
    return pull;
  };
  const start = (window: KeysetWindow) => {
    const r = { window, progress: undefined, finished: false } as RunningWindow<R>;
    r.pages = prefetch<R[]>(
      async (emit, windowSignal) => {
        const counted = async (batch: R[]) => {
          window.delivered += batch.length;
          await emit(batch);
        };
        let firstPage = true;
        const end = await crawlKeysetRange({ ...ctx, request: { signal: windowSignal }, emit: counted }, window, undefined, (p) => {
          if (firstPage && window.planned === undefined) window.planned = p.count;
          firstPage = false;
          r.progress = p;
        });
        r.finished = true;
        if (window.until === null) onLastEnd(end);
      },
      prefetchPages,
      signal,
    )[Symbol.asyncIterator]();
    r.pull = pullOf(r);
    running.add(r);
  };
  const splitOne = (): KeysetWindow | undefined => {
    if (splitsLeft <= 0) return undefined;
    let best: { r: RunningWindow<R>; at: number; remaining: number } | undefined;
    for (const r of running) {
      const at = r.finished ? undefined : splitPoint(r.window, r.progress, plan.maxKey, ctx.pageSize);
      const remaining = r.progress?.remaining ?? 0;
      if (at !== undefined && (!best || remaining > best.remaining)) best = { r, at, remaining };
    }
    if (!best) return undefined;
    splitsLeft--;
    const parent = best.r.window;
    const upper: KeysetWindow = { from: best.at, until: parent.until, planned: undefined, delivered: 0 };
    // The parent's count covered both parts; neither part's share of it is known.
    parent.planned = undefined;
    parent.until = best.at;
    // Its count was for the range before the split: it is split again only once a page brings a new one.
    best.r.progress = undefined;
    plan.windows.splice(plan.windows.indexOf(parent) + 1, 0, upper);
    ctx.logger.debug(`a producer is free: ${describeRange(ctx.field, upper)} is split off a window with ${best.remaining} ${ctx.resource.noun} left`);
    return upper;
  };
  const fill = () => {
    while (!signal?.aborted && running.size < producers) {
      const window = waiting.shift() ?? splitOne();
      if (!window) return;
      start(window);
    }
  };
  try {
    for (fill(); running.size > 0; fill()) {
      const { running: r, next } = await Promise.race([...running].map((each) => each.pull));
      if (next.done) {
        running.delete(r);
        continue;
      }
      // A page already in when the run was interrupted is not handed on.
      if (signal?.aborted) throw new AbortedError();
      // To the back of the line: when several windows have pages waiting, each gets its turn.
      running.delete(r);
      running.add(r);
      yield next.value;
      // Pulled only once the consumer wants more, so no window holds a page beyond its prefetch.
      r.pull = pullOf(r);
    }
  } finally {
    // No window may go on once the reader has gone, or its producer would run with nobody to stop it.
    waiting.length = 0;
    await Promise.all([...running].map((r) => r.pages.return?.()));
  }
}

/**
 * Where to split a running window so its two parts hold about the same number of records, or undefined when it is
 * not worth a request: fewer than two pages left, no count from the server, or no key room above the last one read.
 * The keys' density on the last page estimates where the middle of the rest lies; a wrong guess only costs balance,
 * since the two parts together still cover the window's range exactly.
 */
export function splitPoint(window: KeyRange, progress: KeysetProgress | undefined, maxKey: number | undefined, pageSize: number): number | undefined {
  if (!progress || progress.remaining === undefined || progress.remaining < 2 * pageSize) return undefined;
  const end = window.until ?? (maxKey === undefined ? undefined : maxKey + 1);
  const low = progress.reached + 1;
  if (end === undefined || end - low < 2) return undefined;
  const spread = progress.reached - progress.pageFrom;
  const msPerRecord = progress.pageLength > 1 && spread > 0 ? spread / (progress.pageLength - 1) : undefined;
  const middle = low + (end - low) / 2;
  const byDensity = msPerRecord === undefined ? undefined : low + (progress.remaining / 2) * msPerRecord;
  // Keys that lie sparser further on than on the last page put the guess past the end: the middle is better then.
  const guess = byDensity !== undefined && byDensity < end - 1 ? byDensity : middle;
  return Math.min(end - 1, Math.max(low, Math.floor(guess)));
}
