// An independent rate-limited front for the benches, written from the description of Qualys' limit (not from the
// simulator's own limiter): a loopback proxy in front of a simulator started with rateLimit: false. Per bucket it
// keeps the ARRIVAL times of the calls it accepted and allows a call when fewer than `limit` arrived in the last
// `windowSec` (a plain sliding window). Every answer of a bucket carries X-RateLimit-Limit, -Window-Sec and
// -Remaining (counted including the current call); a call over the limit gets a 429 with X-RateLimit-ToWait-Sec in
// whole seconds, rounded up as Qualys does, and is not counted. Latency can be added before the count (the request
// travels, then is counted) and after it (the answer travels), each with optional random jitter.
import { Agent, createServer, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** 'list' for the bulk endpoint, 'images' for the rest of /csapi/v1.3/images, none for anything else (/auth). */
export function frontBucketOf(path) {
  if (path === '/csapi/v1.3/images/list' || path === '/csapi/v1.3/images/list/') return 'list';
  return path.startsWith('/csapi/v1.3/images') ? 'images' : undefined;
}

const sleep = (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * options: { upstream: 'http://127.0.0.1:port', buckets: { list: { limit, windowSec }, images: { limit, windowSec } },
 *            latencyBeforeMs = 0, latencyAfterMs = 0, jitterMs = 0 }
 * GET /__front/stats answers { buckets: { name: { limit, windowMs, accepted: [arrival ms], details: [arrival ms of
 * /images/<sha> calls], rejected } }, trace: [[arrival ms, url]] (the first `traceCalls` calls) } on the
 * front's own monotonic clock, and is not counted.
 */
export async function startRateFront(options) {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const buckets = {};
  for (const [name, b] of Object.entries(options.buckets)) {
    buckets[name] = { limit: b.limit, windowMs: b.windowSec * 1000, live: [], accepted: [], details: [], rejected: 0 };
  }
  // The first calls' arrival times and paths (query included), to see what an export's start-up does.
  const trace = [];
  const travel = (base) => sleep(base + (options.jitterMs ? Math.random() * options.jitterMs : 0));

  /** Counts one arrival; returns the status to force (429) or undefined, and the headers to add. */
  function count(name, now, path) {
    const b = buckets[name];
    // A call counts while less than a window has passed since its arrival.
    while (b.live.length > 0 && b.live[0] <= now - b.windowMs) b.live.shift();
    const common = { 'x-ratelimit-limit': String(b.limit), 'x-ratelimit-window-sec': String(b.windowMs / 1000) };
    if (b.live.length >= b.limit) {
      b.rejected++;
      const toWaitMs = b.live[0] + b.windowMs - now;
      return { status: 429, headers: { ...common, 'x-ratelimit-remaining': '0', 'x-ratelimit-towait-sec': String(Math.max(1, Math.ceil(toWaitMs / 1000))) } };
    }
    b.live.push(now);
    b.accepted.push(now);
    // The enrichment's calls (one image's details), so a bench can take its busy period from them alone.
    if (/^\/csapi\/v1\.3\/images\/[0-9a-f]{64}$/.test(path)) b.details.push(now);
    return { status: undefined, headers: { ...common, 'x-ratelimit-remaining': String(b.limit - b.live.length) } };
  }

  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/__front/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ buckets, trace }));
      return;
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    await travel(options.latencyBeforeMs ?? 0);
    const name = frontBucketOf(path);
    if (trace.length < (options.traceCalls ?? 0)) trace.push([performance.now(), req.url]);
    const verdict = name ? count(name, performance.now(), path) : { status: undefined, headers: {} };
    if (verdict.status === 429) {
      await travel(options.latencyAfterMs ?? 0);
      res.writeHead(429, { 'content-type': 'application/json', ...verdict.headers });
      res.end(JSON.stringify({ errorCode: '429 TOO_MANY_REQUESTS', message: 'API rate limit exceeded' }));
      return;
    }
    const headers = { ...req.headers, host: upstream.host };
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, async (answer) => {
      const parts = [];
      for await (const c of answer) parts.push(c);
      await travel(options.latencyAfterMs ?? 0);
      const out = { ...answer.headers };
      for (const h of Object.keys(out)) if (h.startsWith('x-ratelimit-')) delete out[h];
      delete out['transfer-encoding'];
      const payload = Buffer.concat(parts);
      res.writeHead(answer.statusCode ?? 502, { ...out, ...verdict.headers, 'content-length': String(payload.length) });
      res.end(payload);
    });
    up.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
    up.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
      agent.destroy();
    },
  };
}

/**
 * How much of the allowed rate the accepted arrivals of one bucket used. Busy period: from the first accepted arrival
 * to the last (or those of the series given as `busy`; every accepted call of the bucket counts either way). Use: the
 * server's window occupancy (accepted calls in the window ending at t, over the limit) averaged over every t from one
 * window after the busy period's start to its end, i.e. calls made / calls allowed once the first window's free burst
 * is past. A client that kept the server's window full the whole time scores 1; with 0 429s it cannot score more.
 * Undefined when the busy period is not longer than one window.
 */
export function rateUse(bucket, busy = bucket.accepted) {
  const { accepted, limit, windowMs } = bucket;
  if (busy.length < 2) return undefined;
  const first = busy[0];
  const last = busy[busy.length - 1];
  const from = first + windowMs;
  if (last <= from) return undefined;
  // The count in (t − W, t] is a step function: +1 at each arrival, −1 one window later. Integrate it over [from, last].
  const events = [];
  for (const a of accepted) {
    events.push([a, 1]);
    events.push([a + windowMs, -1]);
  }
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let countNow = 0;
  let area = 0;
  let prev = from;
  for (const [t, d] of events) {
    if (t > from) {
      const until = Math.min(t, last);
      if (until > prev) area += countNow * (until - prev);
      prev = Math.max(prev, until);
    }
    if (t > last) break;
    countNow += d;
  }
  const calls = accepted.filter((a) => a >= first && a <= last).length;
  return { use: area / (limit * (last - from)), calls, busySec: (last - first) / 1000 };
}
