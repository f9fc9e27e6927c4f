import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, QualysClient, RateGovernor, type Logger } from '../src/index.js';
import { useLoopbackCleanup } from './loopback-cleanup.js';

const PATH = '/csapi/v1.3/images';

interface Arrival {
  at: number;
  who: string;
  status: number;
}

const { servers, clients } = useLoopbackCleanup();

/**
 * A loopback API that enforces a sliding window of `limit` accepted calls per `windowMs`, like Qualys, shared by
 * every caller. Every answer carries the four X-RateLimit headers; a call over the limit gets 429 and is not
 * counted. It logs each arrival with the caller's name (header x-who) on its own clock.
 */
async function slidingWindowServer(limit: number, windowMs: number): Promise<{ url: string; log: Arrival[] }> {
  const accepted: number[] = [];
  const log: Arrival[] = [];
  const server = createServer((req, res) => {
    const now = performance.now();
    while (accepted.length > 0 && (accepted[0] as number) <= now - windowMs) accepted.shift();
    const over = accepted.length >= limit;
    if (!over) accepted.push(now);
    const remaining = limit - accepted.length;
    const toWaitMs = remaining > 0 ? 0 : Math.max(0, (accepted[0] as number) + windowMs - now);
    const status = over ? 429 : 200;
    log.push({ at: now, who: String(req.headers['x-who'] ?? 'ours'), status });
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-window-sec': String(windowMs / 1000),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-towait-sec': (toWaitMs / 1000).toFixed(3),
    });
    res.end(JSON.stringify(over ? { message: 'rate limit exceeded' } : { data: [] }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

function client(url: string, logger?: Logger): QualysClient {
  const c = new QualysClient({
    baseUrl: url,
    auth: { kind: 'token', token: 't.o.k' },
    env: {},
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...(logger ? { logger } : {}),
  });
  clients.push(c);
  return c;
}

/** `calls` GETs through `concurrency` workers, as the image source does. */
async function run(c: QualysClient, calls: number, concurrency: number, signal?: AbortSignal): Promise<number> {
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next++;
        const r = await c.get(PATH, {}, { signal });
        if (r.status === 200) ok++;
      }
    }),
  );
  return ok;
}

describe('RateGovernor pacing against a sliding-window limit', () => {
  for (const concurrency of [1, 4, 16]) {
    it(`concurrency ${concurrency}: 60 calls at 10 per 0.5 s cause no 429 and are paced, not refused`, async () => {
      const server = await slidingWindowServer(10, 500);
      const c = client(server.url);
      expect(await run(c, 60, concurrency)).toBe(60);
      expect(server.log.filter((a) => a.status === 429)).toHaveLength(0);
      expect(server.log).toHaveLength(60);
      expect(c.stats.status429).toBe(0);
      expect(c.stats.throttleWaits).toBeGreaterThan(0);
      expect(c.stats.requestsByBucket).toEqual({ images: 60 });
    });
  }

  it('leaves room for another client that uses the same budget (learned from Remaining), so ours gets no 429', async () => {
    const server = await slidingWindowServer(10, 500);
    // The other tool: one call every 200 ms (2 or 3 in any window), started before ours and running throughout.
    let foreignRunning = true;
    const foreign = (async () => {
      while (foreignRunning) {
        const res = await request(`${server.url}${PATH}`, { headers: { 'x-who': 'foreign' } });
        await res.body.text();
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await new Promise((r) => setTimeout(r, 600));
    const debug: string[] = [];
    const logger: Logger = { debug: (m) => debug.push(m), info: () => undefined, warn: () => undefined, error: () => undefined };
    const c = client(server.url, logger);
    try {
      expect(await run(c, 40, 4)).toBe(40);
    } finally {
      foreignRunning = false;
      await foreign;
    }
    const ours = server.log.filter((a) => a.who === 'ours');
    expect(ours).toHaveLength(40);
    expect(ours.filter((a) => a.status === 429)).toHaveLength(0);
    expect(c.stats.status429).toBe(0);
    // The other tool really did use the budget while ours ran.
    const oursFirst = Math.min(...ours.map((a) => a.at));
    const oursLast = Math.max(...ours.map((a) => a.at));
    expect(server.log.filter((a) => a.who === 'foreign' && a.status === 200 && a.at > oursFirst && a.at < oursLast).length).toBeGreaterThan(3);
    expect(debug.some((m) => m.includes('another client is using'))).toBe(true);
  });

  it('an abort while waiting for the budget rejects with AbortedError, and leaves no listener on the signal', async () => {
    // One call per minute: the second call waits in the governor until the abort.
    const server = await slidingWindowServer(1, 60_000);
    const c = client(server.url);
    const controller = new AbortController();
    await c.get(PATH, {}, { signal: controller.signal });
    const waiting = c.get(PATH, {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    expect(server.log).toHaveLength(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('RateGovernor', () => {
  it('maps endpoints to their budgets', () => {
    expect(RateGovernor.bucketOf('/csapi/v1.3/images/list')).toBe('list');
    // Qualys counts each list endpoint and each family apart (rate-limit doc): containers never spend the image budgets.
    expect(RateGovernor.bucketOf('/csapi/v1.3/containers/list')).toBe('containers/list');
    expect(RateGovernor.bucketOf('/csapi/v1.3/containers')).toBe('containers');
    expect(RateGovernor.bucketOf('/csapi/v1.3/containers/abc/vuln')).toBe('containers');
    expect(RateGovernor.bucketOf('/csapi/v1.2/images/list')).toBe('list');
    expect(RateGovernor.bucketOf('/csapi/v1.3/images/abc/software')).toBe('images');
    expect(RateGovernor.bucketOf('/csapi/v1.3/registry/abc')).toBe('registry');
    expect(RateGovernor.bucketOf('/csapi/v1.3/images')).toBe('images');
    expect(RateGovernor.bucketOf('/csapi/v1.3/images/sha256:abc/vuln')).toBe('images');
    expect(RateGovernor.bucketOf('/auth')).toBe('other');
  });

  it('serves waiters first come, first served, and an aborted waiter drops out at once', async () => {
    const g = new RateGovernor();
    // One call per 50 ms window (plus the 25 ms margin): each waiter below needs the previous one to leave it.
    const oneAtATime = { status: 200, headers: { 'x-ratelimit-limit': '1', 'x-ratelimit-window-sec': '0.05', 'x-ratelimit-remaining': '1' } };
    g.settle(await g.acquire('list'), oneAtATime);
    const order: string[] = [];
    const controller = new AbortController();
    const a = g.acquire('list').then((s) => {
      order.push('a');
      return s;
    });
    const b = g.acquire('list', controller.signal).then(
      () => order.push('b'),
      (e: unknown) => {
        order.push('b aborted');
        throw e;
      },
    );
    const c = g.acquire('list').then((s) => {
      order.push('c');
      return s;
    });
    controller.abort();
    await expect(b).rejects.toBeInstanceOf(AbortedError);
    expect(order).toEqual(['b aborted']);
    g.settle(await a, oneAtATime);
    expect(order).toEqual(['b aborted', 'a']);
    g.settle(await c, oneAtATime);
    expect(order).toEqual(['b aborted', 'a', 'c']);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('RateGovernor uses the whole budget (a fake clock, so timing cannot make it flaky)', () => {
  afterEach(() => vi.useRealTimers());

  it('lets exactly `limit` calls through per window plus its margin, from the moment the limit is learned', async () => {
    vi.useFakeTimers({ now: 0 });
    const governor = new RateGovernor({ clock: () => Date.now() });
    const headers = { 'x-ratelimit-limit': '10', 'x-ratelimit-window-sec': '2', 'x-ratelimit-remaining': '9' };
    // The first call goes alone and teaches the governor the limit; answers come back at once.
    governor.settle(await governor.acquire('images'), { status: 200, headers });
    const granted: number[] = [];
    const calls = Array.from({ length: 29 }, () =>
      governor.acquire('images').then((slot) => {
        granted.push(Date.now());
        // no Remaining header: only the governor's own log paces these calls
        governor.settle(slot, { status: 200, headers: { 'x-ratelimit-limit': '10', 'x-ratelimit-window-sec': '2' } });
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    // 9 more fit the first window beside the probe
    expect(granted.filter((t) => t === 0)).toHaveLength(9);
    // then 10 every 2 s plus the 25 ms margin (1% of the window, at least 25 ms): the full budget, no more
    await vi.advanceTimersByTimeAsync(2_020);
    expect(granted).toHaveLength(9);
    await vi.advanceTimersByTimeAsync(10);
    expect(granted).toHaveLength(19);
    await vi.advanceTimersByTimeAsync(2_030);
    expect(granted).toHaveLength(29);
    await Promise.all(calls);
  });

  describe('a spent budget (a 200 with Remaining: 0)', () => {
    const learned = { 'x-ratelimit-limit': '4', 'x-ratelimit-window-sec': '10' };
    /** Probe, then three more calls at t = 0, all answered at once; the last answer says `remaining` is left. */
    async function fillWindow(governor: RateGovernor, remaining: string, toWaitSec: string): Promise<void> {
      governor.settle(await governor.acquire('images'), { status: 200, headers: { ...learned, 'x-ratelimit-remaining': '3' } });
      for (const left of ['2', '1', remaining]) {
        const slot = await governor.acquire('images');
        governor.settle(slot, { status: 200, headers: { ...learned, 'x-ratelimit-remaining': left, 'x-ratelimit-towait-sec': toWaitSec } });
      }
    }

    it('when our own calls spent it, the next call goes as soon as our oldest leaves the window, not after the rounded-up wait', async () => {
      vi.useFakeTimers({ now: 0 });
      const governor = new RateGovernor({ clock: () => Date.now() });
      // Qualys rounds ToWait up to whole seconds; our log knows the oldest call leaves at 10 s plus the 100 ms margin.
      await fillWindow(governor, '0', '11');
      let grantedAt: number | undefined;
      const next = governor.acquire('images').then(() => (grantedAt = Date.now()));
      await vi.advanceTimersByTimeAsync(10_099);
      expect(grantedAt).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(grantedAt).toBe(10_100);
      await next;
    });

    it('when another client is part of the count, the bucket stays closed for the wait the server asks', async () => {
      vi.useFakeTimers({ now: 0 });
      const governor = new RateGovernor({ clock: () => Date.now() });
      // Our log holds 4 calls, but the server says 0 left after our third: another client made one.
      governor.settle(await governor.acquire('images'), { status: 200, headers: { ...learned, 'x-ratelimit-remaining': '3' } });
      for (const left of ['2', '0']) {
        const slot = await governor.acquire('images');
        governor.settle(slot, { status: 200, headers: { ...learned, 'x-ratelimit-remaining': left, 'x-ratelimit-towait-sec': '30' } });
      }
      let grantedAt: number | undefined;
      const next = governor.acquire('images').then(() => (grantedAt = Date.now()));
      await vi.advanceTimersByTimeAsync(29_999);
      expect(grantedAt).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(grantedAt).toBe(30_000);
      await next;
    });
  });
});
