import { AbortedError } from '../errors.js';
import { andFilters } from './qql.js';
import { crawlKeysetRange, type KeyRange, type KeysetContext, type KeysetPosition } from './keyset.js';
import { Limiter } from './limiter.js';
import { prefetch } from './prefetch.js';
import { rawEpochMs, readPage } from './raw-page.js';
import type { ListResource } from './resource.js';

type ProbeContext = Pick<KeysetContext, 'client' | 'filter' | 'field' | 'pageSize' | 'request' | 'logger'> & {
  resource: Pick<ListResource<unknown>, 'path'>;
};

export interface KeysetWindow extends KeyRange {
  /** The server's count for this window when it was planned. */
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
 * Splits the key range into windows of similar size so several can be crawled at once. The split only affects
 * speed, never which records are delivered: the first window is open below and the last open above, so together
 * they cover every possible key.
 */
export async function planKeysetWindows(ctx: ProbeContext, concurrency: number): Promise<KeysetPlan> {
  // The oldest and the newest key, in one round trip.
  const [first, last] = await Promise.all([probeKeyset(ctx, ctx.filter, 'asc'), probeKeyset(ctx, ctx.filter, 'desc')]);
  const whole: KeysetWindow = { from: null, until: null, planned: first.count, delivered: 0 };
  const total = first.count;
  const max = total === 0 ? undefined : last.key;
  const single = { windows: total === 0 ? [] : [whole], total, maxKey: max };
  const min = first.key;
  if (concurrency <= 1 || total === undefined || total <= 2 * ctx.pageSize || min === undefined || max === undefined || max <= min) return single;

  const target = Math.max(ctx.pageSize, Math.ceil(total / (concurrency * 2)));
  const probes = new Limiter(PLAN_PROBES_IN_FLIGHT);
  const countOf = (from: number, until: number) =>
    probes.run(async () => (await probeKeyset(ctx, andFilters(ctx.filter, `${ctx.field}>=${from}`, `${ctx.field}<${until}`), 'asc')).count);
  type Piece = { from: number; until: number; count: number };
  // The whole range is cut in FIRST_CUT pieces at once (one round trip of probes in parallel), and a piece still
  // over the target in four, so planning takes few round trips even when an outlier stretches the range over
  // years. The plan only decides speed: records rescanned while it is made move between ranges, and the run's final
  // reconciliation, not the plan, decides whether every record was delivered.
  const split = async (w: Piece, ways: number): Promise<Piece[]> => {
    const span = w.until - w.from;
    if (w.count <= target || span <= 1) return [w];
    const cuts = [...new Set(Array.from({ length: ways - 1 }, (_, k) => w.from + Math.max(1, Math.floor((span * (k + 1)) / ways))))].filter((c) => c < w.until);
    const bounds = [w.from, ...cuts, w.until];
    const counts = await Promise.all(bounds.slice(0, -1).map((from, i) => countOf(from, bounds[i + 1] as number)));
    const parts = bounds.slice(0, -1).map((from, i) => ({ from, until: bounds[i + 1] as number, count: counts[i] ?? 0 }));
    return (await Promise.all(parts.map((p) => split(p, 4)))).flat();
  };
  const pieces = await split({ from: min, until: max + 1, count: total }, FIRST_CUT);

  // Splitting leaves empty or tiny slivers; fold neighbours together up to the target so each window is worth a request.
  const merged: Piece[] = [];
  for (const piece of pieces) {
    const prev = merged[merged.length - 1];
    if (prev && prev.count + piece.count <= target) {
      prev.until = piece.until;
      prev.count += piece.count;
    } else merged.push({ ...piece });
  }
  const windows: KeysetWindow[] = merged.map((w, i) => ({
    from: i === 0 ? null : w.from,
    until: i === merged.length - 1 ? null : w.until,
    planned: w.count,
    delivered: 0,
  }));
  return { windows, total, maxKey: max };
}

/** Count probes in flight at once while planning: quick for the user; the rate governor still paces them. */
const PLAN_PROBES_IN_FLIGHT = 16;
/** Pieces the whole key range is first cut into. */
const FIRST_CUT = 16;

/**
 * Crawls the windows with up to `concurrency` producers at once and yields their pages in window order. A window
 * starts as soon as a producer slot is free, but never more than 2 × concurrency windows ahead of the one being
 * read, and each holds at most `prefetchPages` pages: memory is bounded by concurrency, prefetch and page size,
 * not by the size of the export. `onLastEnd` receives the position after the last window's final record.
 */
export async function* crawlWindowsInOrder<R>(
  ctx: Omit<KeysetContext<R>, 'emit'>,
  windows: KeysetWindow[],
  concurrency: number,
  prefetchPages: number,
  signal: AbortSignal | undefined,
  onLastEnd: (position: KeysetPosition) => void,
): AsyncGenerator<R[]> {
  const started: Array<AsyncIterator<R[]>> = [];
  const producers = new Limiter(concurrency);
  let reading = 0;
  const fill = () => {
    // Windows are started in order and the limiter is first come, first served, so the window being read always
    // holds a slot or is next in line: a later window waiting on a full buffer cannot starve it.
    while (!signal?.aborted && started.length < windows.length && started.length < reading + 2 * Math.max(1, concurrency)) {
      const index = started.length;
      const window = windows[index] as KeysetWindow;
      const pages = prefetch<R[]>(
        (emit, windowSignal) =>
          producers.run(async () => {
            if (windowSignal.aborted) throw new AbortedError();
            const counted = async (batch: R[]) => {
              window.delivered += batch.length;
              await emit(batch);
            };
            const end = await crawlKeysetRange({ ...ctx, request: { signal: windowSignal }, emit: counted }, window);
            if (index === windows.length - 1) onLastEnd(end);
          }),
        prefetchPages,
        signal,
      );
      started.push(pages[Symbol.asyncIterator]());
    }
  };
  try {
    for (reading = 0; reading < windows.length; reading++) {
      fill();
      const pages = started[reading] as AsyncIterator<R[]>;
      for (;;) {
        const next = await pages.next();
        if (next.done) break;
        yield next.value;
      }
    }
  } finally {
    // No window may start once the reader has gone, or its producer would run with nobody to stop it.
    producers.close();
    await Promise.all(started.map((it) => it.return?.()));
  }
}
