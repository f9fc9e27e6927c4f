import { performance } from 'node:perf_hooks';
import { AbortedError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { onAbort } from './abort-link.js';
import { parseSeconds, serverRequestedWaitMs } from './wait.js';

/** Qualys' documented budgets, used until a response tells the real ones (X-RateLimit-Limit / -Window-Sec). */
const DEFAULT_BUDGETS: Record<string, { limit: number; windowMs: number }> = {
  list: { limit: 120, windowMs: 60_000 },
  images: { limit: 5000, windowMs: 60_000 },
  'containers/list': { limit: 120, windowMs: 60_000 },
  containers: { limit: 5000, windowMs: 60_000 },
  registry: { limit: 1000, windowMs: 60_000 },
  sensors: { limit: 1000, windowMs: 60_000 },
};
/** Paths outside /csapi have no documented budget: not paced until a response announces one. */
const UNLIMITED = { limit: Number.POSITIVE_INFINITY, windowMs: 60_000 };

/**
 * One call kept in reserve while another tool is seen using the same budget: its use in a sliding window
 * moves up and down by about one call between our observations, and the peak is what causes a 429.
 */
const SHARED_RESERVE = 1;

/**
 * Answers in a row whose Remaining shows fewer free calls than our own likely count allows, before a deficit too
 * small to be certain is taken for another client (see othersBehind). The run must also include an answer to a call
 * let out after the first of them came back, which calls overtaking each other on the way to the server cannot make.
 */
const PERSISTENT_DEFICIT_ANSWERS = 3;

/**
 * The arrival margin: how long past a window one of our calls is still taken to count when its answer came quickly.
 * The server counts a call when it arrives, after our send and before we read its answer, so a call surely stops
 * counting one window after its answer; for an answer that came within the margin, the governor holds the slot until
 * send + window + margin instead. That is a cushion for how the server keeps time (timestamps of a coarse resolution,
 * a window edge compared with >= rather than >, nodes of a cluster whose clocks differ a little); for a slower answer,
 * the time between the server's count and our reading of the answer is the cushion. It costs margin / (window +
 * margin) of the rate: 1.2% at a 2 s window, 1% at 60 s. RateGovernorOptions.marginMs replaces it with a fixed value.
 */
export function defaultArrivalMarginMs(windowMs: number): number {
  return Math.max(25, windowMs / 100);
}

/** A call the governor let through; hand it back to settle() once the call is over. */
export interface Slot {
  readonly bucket: string;
  /** Time spent waiting in acquire(). */
  readonly waitedMs: number;
  /** True when a server hint (Remaining 0, 429/409) kept the bucket closed during the wait. */
  readonly serverAsked: boolean;
}

/** A slot as the log keeps it (performance.now() clock). */
interface Sent extends Slot {
  sentAt: number;
  /** When the answer (or the failure) came; undefined while the call is in flight. */
  settledAt: number | undefined;
  /** Its place among the bucket's grants (1, 2, ...). */
  seq: number;
  /** Our other calls, sent before this one, that the server may still count when this one arrives (taken at send). */
  before: number;
}

export interface RateGovernorOptions {
  logger?: Logger;
  /** A monotonic clock in ms: wall-clock jumps (NTP) must not open or close a window. Default: performance.now(). */
  clock?: () => number;
  /** Cap on a block the server asks for, so a nonsensical hint cannot stall the run for ever. Default: 300,000 ms. */
  maxBlockMs?: number;
  /** The arrival margin in ms (see defaultArrivalMarginMs). Default: max(25 ms, 1% of the bucket's window). */
  marginMs?: number;
}

interface Waiter {
  enqueuedAt: number;
  serverAsked: boolean;
  resolve(slot: Slot): void;
  cancel: (() => void) | undefined;
}

interface Bucket {
  name: string;
  limit: number;
  windowMs: number;
  /** A response for this bucket has arrived, so limit and window are as good as they will get. */
  learned: boolean;
  /** The only call let out before anything is learned: the defaults may be far above the real limit. */
  probe: Slot | undefined;
  /** Our own calls that may still count in the server's window, in the order they were let through. */
  sends: Sent[];
  /** No call until then: the server said the budget is spent. */
  blockedUntil: number;
  /** Calls another client was seen using, each valid until the window after the observation has passed. */
  shared: Array<{ calls: number; until: number }>;
  /** Grants so far: a slot's seq, and how many calls were let out after it. */
  granted: number;
  /** Answers in a row with an apparent deficit: the smallest one, how many, and the grants when the first came. */
  streak: { deficit: number; answers: number; grantedAtStart: number; crossed: boolean } | undefined;
  waiters: Waiter[];
  timer: NodeJS.Timeout | undefined;
  lastWaitAt: number;
}

/**
 * Paces calls so that the rate limit is never hit, while using the whole budget. Qualys counts calls per endpoint
 * class in a sliding window that the whole subscription shares. Per bucket, the governor keeps a log of the send
 * times of its own calls and lets a call out when fewer than `limit` of them went out in the last window plus a
 * margin (see defaultArrivalMarginMs and leavesAt). Until the first answer for a bucket arrives, only one call goes
 * out, so the documented defaults cannot cause a burst against a lower real limit. Server hints tighten this: a
 * 429/409 closes the bucket for the time the server asks, and a Remaining lower than our own calls can explain means
 * another client uses the budget, so the usable limit drops by that much for a window, and a Remaining of 0 closes
 * the bucket as a 429 would. (A Remaining of 0 that our own log accounts for is already paced by the log.) The server
 * counts at arrival and we log at send, so which of our calls it counted for a given answer is known only within the
 * calls near the window's edge and the calls in flight: only a deficit beyond that, or one that persists (see
 * PERSISTENT_DEFICIT_ANSWERS), is taken for another client. Waiters are served first come, first served.
 */
export class RateGovernor {
  private readonly buckets = new Map<string, Bucket>();
  private readonly logger: Logger;
  private readonly maxBlockMs: number;
  private readonly marginOf: (windowMs: number) => number;

  private readonly clock: () => number;

  constructor(options: RateGovernorOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.maxBlockMs = options.maxBlockMs ?? 300_000;
    this.clock = options.clock ?? (() => performance.now());
    const fixed = options.marginMs;
    this.marginOf = fixed !== undefined && Number.isFinite(fixed) && fixed >= 0 ? () => fixed : defaultArrivalMarginMs;
  }

  /**
   * The budget a path counts against, as Qualys' rate-limit doc lists them per subscription: `/images/list` and
   * `/containers/list` (120 a minute each), `/images/**` and `/containers/**` (5,000 each), `/registry/**` and
   * `/sensors/**` (1,000 each), for any API version. The image buckets keep their first names, "list" and "images".
   */
  static bucketOf(path: string): string {
    const m = /^\/csapi\/v\d+(?:\.\d+)*\/([^/]+)(\/list\/?$)?/.exec(path);
    if (m === null) return 'other';
    const [, family = '', list] = m;
    if (family === 'images') return list ? 'list' : 'images';
    if (family === 'containers') return list ? 'containers/list' : 'containers';
    return family;
  }

  /** Resolves when one more call to this bucket fits the budget; rejects with AbortedError at once on abort. */
  acquire(bucket: string, signal?: AbortSignal): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const b = this.bucket(bucket);
    const now = this.now();
    if (b.waiters.length === 0 && this.readyAt(b, now) <= now) return Promise.resolve(this.grant(b, now, now, false));
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = { enqueuedAt: now, serverAsked: b.blockedUntil > now, resolve, cancel: undefined };
      if (signal) {
        waiter.cancel = onAbort(signal, () => {
          const i = b.waiters.indexOf(waiter);
          if (i >= 0) b.waiters.splice(i, 1);
          reject(new AbortedError());
          this.schedule(b);
        });
      }
      if (b.learned) this.notePacing(b, now);
      b.waiters.push(waiter);
      this.schedule(b);
    });
  }

  /** Moves the slot's time to now, when the call really leaves (a login may have come in between). */
  markSent(slot: Slot): void {
    const sent = slot as Sent;
    sent.sentAt = this.now();
    sent.before = this.mayCount(this.bucket(slot.bucket), sent, sent.sentAt);
  }

  /** Gives back a slot whose call was never sent (the login before it failed, say), so it uses no budget. */
  release(slot: Slot): void {
    const b = this.bucket(slot.bucket);
    b.sends = b.sends.filter((e) => e !== slot);
    if (b.probe === slot) b.probe = undefined;
    this.schedule(b);
  }

  /** Ends a call: learns from its answer, if there was one, and lets the next waiter through. */
  settle(slot: Slot, answer?: { status: number; headers: Record<string, string | undefined> }): void {
    const b = this.bucket(slot.bucket);
    (slot as Sent).settledAt = this.now();
    if (b.probe === slot) b.probe = undefined;
    if (answer) {
      b.learned = true;
      this.learn(b, slot as Sent, answer.status, answer.headers, this.now());
    }
    this.schedule(b);
  }

  private learn(b: Bucket, slot: Sent, status: number, headers: Record<string, string | undefined>, now: number): void {
    const limit = wholeNumber(headers['x-ratelimit-limit']);
    if (limit !== undefined && limit > 0) b.limit = limit;
    const windowMs = parseSeconds(headers['x-ratelimit-window-sec']);
    if (windowMs !== undefined && windowMs > 0) b.windowMs = windowMs;
    const asked = serverRequestedWaitMs(headers);
    if ((status === 429 || status === 409) && asked !== undefined) this.block(b, now + asked);
    const remaining = wholeNumber(headers['x-ratelimit-remaining']);
    if (remaining === undefined) return;
    const others = this.othersBehind(b, slot, status, remaining, now);
    if (others > 0) this.share(b, others, now);
    // A spent budget that our own calls account for needs no block: the log already holds the next call until our
    // oldest leaves the window, to the millisecond, where the server's wait is rounded up to whole seconds (or absent,
    // which would cost a whole window). When other clients are in the count, their calls' times are unknown: wait
    // as the server asks.
    if (remaining === 0 && (others > 0 || status === 429 || status === 409)) this.block(b, now + (asked ?? b.windowMs));
  }

  /**
   * Calls another client has surely made, as far as this answer shows. The server's count at the call's arrival is
   * limit − Remaining (this call included unless refused). Of ours, it may hold the calls sent before this one that
   * were not answered a window before it left (`before`, taken at send) and any let out after it that overtook it on
   * the way; it likely holds only the first kind. A deficit beyond the first two cannot be timing: it is another
   * client's, at once (a refusal always shows one: our log never lets out more calls than fit, counting each until it
   * surely left the server's window). One beyond the likely count alone is another client's only when it persists over
   * PERSISTENT_DEFICIT_ANSWERS answers in a row, among them one to a call let out after the first of them came back,
   * or while another client is already known to be there (it renews the room kept for it). Returns 0 when the answer
   * shows nothing certain.
   */
  private othersBehind(b: Bucket, slot: Sent, status: number, remaining: number, now: number): number {
    const refused = status === 429 || status === 409;
    const serverCount = b.limit - remaining;
    const likely = slot.before + (refused ? 0 : 1);
    const most = likely + (b.granted - slot.seq);
    if (serverCount - most > 0) {
      b.streak = undefined;
      return serverCount - most;
    }
    const apparent = serverCount - likely;
    if (apparent <= 0) {
      b.streak = undefined;
      return 0;
    }
    if (this.othersAt(b, now) > 0) return apparent;
    const streak = b.streak ?? { deficit: apparent, answers: 0, grantedAtStart: b.granted, crossed: false };
    streak.answers++;
    streak.deficit = Math.min(streak.deficit, apparent);
    if (slot.seq > streak.grantedAtStart) streak.crossed = true;
    b.streak = streak;
    if (streak.answers >= PERSISTENT_DEFICIT_ANSWERS && streak.crossed) return streak.deficit;
    return 0;
  }

  /** Our calls other than `slot` that the server may count at an arrival no earlier than `now`. */
  private mayCount(b: Bucket, slot: Sent, now: number): number {
    let n = 0;
    for (const e of b.sends) if (e !== slot && (e.settledAt === undefined || e.settledAt > now - b.windowMs)) n++;
    return n;
  }

  private block(b: Bucket, until: number): void {
    const capped = Math.min(until, this.now() + this.maxBlockMs);
    if (capped <= b.blockedUntil) return;
    b.blockedUntil = capped;
    for (const w of b.waiters) w.serverAsked = true;
  }

  private share(b: Bucket, calls: number, now: number): void {
    // Held a little longer than our own log holds a call, so a reduction learned from a call is still in force
    // at the moment that call's own slot frees.
    const until = now + this.span(b) + this.marginOf(b.windowMs);
    if (calls > this.othersAt(b, now)) {
      this.logger.debug(`another client is using ${calls} of the '${b.name}' rate budget (${b.limit} per ${b.windowMs / 1000} s); leaving it room`);
    }
    b.shared = b.shared.filter((e) => e.until > now && !(e.calls <= calls && e.until <= until));
    b.shared.push({ calls, until });
  }

  /** The most calls another client was seen using, among observations still in force at time t. */
  private othersAt(b: Bucket, t: number): number {
    let most = 0;
    for (const e of b.shared) if (e.until > t && e.calls > most) most = e.calls;
    return most;
  }

  /** Calls to keep free for other clients at time t. */
  private sharedAt(b: Bucket, t: number): number {
    const others = this.othersAt(b, t);
    return others > 0 ? others + SHARED_RESERVE : 0;
  }

  /** The earliest time one more call fits, given what is known now (later sends are not in the log yet). */
  private readyAt(b: Bucket, now: number): number {
    if (!b.learned) return b.probe ? Number.POSITIVE_INFINITY : Math.max(now, b.blockedUntil);
    this.pruneSends(b, now);
    b.shared = b.shared.filter((e) => e.until > now);
    let leaving: number[] | undefined;
    const fitsWith = (keepFree: number): number => {
      const usable = b.limit - keepFree;
      if (usable <= 0) return Number.POSITIVE_INFINITY;
      const n = b.sends.length;
      if (n < usable) return now;
      // With n calls in the window, the (n - usable + 1)th to leave it must be gone before one more fits.
      leaving ??= b.sends.map((e) => this.leavesAt(b, e)).sort((x, y) => x - y);
      return leaving[n - usable] as number;
    };
    // The room kept for other clients shrinks as their observations expire: try each of those moments too.
    let earliest = fitsWith(this.sharedAt(b, now));
    for (const e of b.shared) earliest = Math.min(earliest, Math.max(e.until, fitsWith(this.sharedAt(b, e.until))));
    return Math.max(earliest, b.blockedUntil);
  }

  /** Logs at debug level once per busy period, not per call: a paced run waits before most of its calls. */
  private notePacing(b: Bucket, now: number): void {
    if (now - b.lastWaitAt > this.span(b)) {
      const why =
        b.blockedUntil > now
          ? `Qualys said the budget is spent; holding calls for ${((b.blockedUntil - now) / 1000).toFixed(1)} s`
          : `${b.limit} calls per ${b.windowMs / 1000} s${this.sharedAt(b, now) > 0 ? ', shared with another client' : ''}`;
      this.logger.debug(`pacing calls to the '${b.name}' rate budget (${why})`);
    }
    b.lastWaitAt = now;
  }

  private grant(b: Bucket, now: number, enqueuedAt: number, serverAsked: boolean): Slot {
    b.granted++;
    const slot: Sent = { bucket: b.name, waitedMs: now - enqueuedAt, serverAsked, sentAt: now, settledAt: undefined, seq: b.granted, before: 0 };
    slot.before = this.mayCount(b, slot, now);
    b.sends.push(slot);
    if (!b.learned) b.probe = slot;
    return slot;
  }

  /** Lets through every waiter that fits now, in order, and sets a timer for the next one. */
  private schedule(b: Bucket): void {
    if (b.timer !== undefined) clearTimeout(b.timer);
    b.timer = undefined;
    while (b.waiters.length > 0) {
      const now = this.now();
      const at = this.readyAt(b, now);
      if (at > now) {
        // An infinite wait ends in settle(), when the probe's answer arrives.
        if (Number.isFinite(at)) b.timer = setTimeout(() => this.schedule(b), Math.max(1, Math.ceil(at - now)));
        return;
      }
      const waiter = b.waiters.shift() as Waiter;
      waiter.cancel?.();
      waiter.resolve(this.grant(b, now, waiter.enqueuedAt, waiter.serverAsked));
    }
  }

  private pruneSends(b: Bucket, now: number): void {
    if (b.sends.some((e) => this.leavesAt(b, e) <= now)) b.sends = b.sends.filter((e) => this.leavesAt(b, e) > now);
  }

  private span(b: Bucket): number {
    return b.windowMs + this.marginOf(b.windowMs);
  }

  /**
   * When one of our calls stops counting in the server's window. The server counted it on arrival, which is after
   * our send and before its answer, so one window after the answer is always safe; an answer within the margin of the
   * send is held to send + window + margin (see defaultArrivalMarginMs). A call still in flight has no bound yet;
   * settle() looks again when it ends.
   */
  private leavesAt(b: Bucket, e: Sent): number {
    if (e.settledAt === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(e.sentAt + this.span(b), e.settledAt + b.windowMs);
  }

  private now(): number {
    return this.clock();
  }

  private bucket(name: string): Bucket {
    let b = this.buckets.get(name);
    if (b === undefined) {
      const budget = DEFAULT_BUDGETS[name] ?? UNLIMITED;
      b = {
        name,
        ...budget,
        learned: false,
        probe: undefined,
        sends: [],
        blockedUntil: 0,
        shared: [],
        granted: 0,
        streak: undefined,
        waiters: [],
        timer: undefined,
        lastWaitAt: Number.NEGATIVE_INFINITY,
      };
      this.buckets.set(name, b);
    }
    return b;
  }
}

function wholeNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
