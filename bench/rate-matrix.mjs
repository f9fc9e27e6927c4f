// Runs exports against the independent rate-limited front (rate-front.mjs) and reads the use of the allowed rate
// from the front's own arrival log. Shared by rate-budget.mjs (image listing) and findings.mjs (enrichment).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCase, startServerProcess, startSimulatorProcess } from './lib.mjs';
import { rateUse } from './rate-front.mjs';

/**
 * One export of `kind` ('images' | 'bulk': the image list through the keyset or the bulk cursor; 'findings': the
 * list plus one details call per image) against a fresh front: { limit, windowSec, latencyMs, at: 'before' |
 * 'after', concurrency, images, pageSize }. The latency is added on the server's side, before or after the call is
 * counted; the client's own round trip on loopback comes on top.
 */
export async function measure(c) {
  const bucketName = c.kind === 'bulk' ? 'list' : 'images';
  const buckets = { list: { limit: c.limit, windowSec: c.windowSec }, images: { limit: c.limit, windowSec: c.windowSec } };
  const sim = await startSimulatorProcess({ images: c.images, seed: 3, rateLimit: false, ...(c.resultCap ? { maxResultWindow: c.resultCap } : {}) });
  const front = await startServerProcess('rate-front.mjs', {
    upstream: sim.url,
    buckets,
    latencyBeforeMs: c.at === 'before' ? c.latencyMs : 0,
    latencyAfterMs: c.at === 'after' ? c.latencyMs : 0,
    jitterMs: c.jitterMs ?? 0,
  });
  const dir = await mkdtemp(join(tmpdir(), 'qcs-bench-rate-'));
  try {
    const r =
      c.kind === 'findings'
        ? await runCase('export-findings.mjs', [front.url, sim.username, sim.password, 'none', c.concurrency, dir])
        : await runCase('export-rate.mjs', [front.url, sim.username, sim.password, c.kind, c.concurrency, c.pageSize, c.limit, c.windowSec, c.resultCap ?? '']);
    const stats = await (await fetch(`${front.url}/__front/stats`)).json();
    const b = stats.buckets[bucketName];
    const u = rateUse(b, c.kind === 'findings' ? b.details : b.accepted);
    const windowMs = c.windowSec * 1000;
    // A slot can be reused only once its call's answer is in (its arrival time is unknown before that), and the next
    // call counts only when it arrives: a slot of the server's window stands empty for a whole round trip per reuse,
    // wherever the latency lies. With too few workers, their round trips bound the rate instead.
    const reuse = windowMs / (windowMs + c.latencyMs);
    const workers = c.latencyMs > 0 ? (c.concurrency * windowMs) / (c.limit * c.latencyMs) : Number.POSITIVE_INFINITY;
    return {
      calls: u?.calls ?? b.accepted.length,
      busySec: u?.busySec,
      use: u?.use,
      ceiling: Math.min(reuse, workers),
      rejected: b.rejected,
      status429: r.status429,
      othersInferred: r.othersInferred,
      seconds: r.seconds,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await front.stop();
    await sim.stop();
  }
}

/** Cases from BENCH_RATE_* (comma lists), so a run can be cut down: windows, latencies, latency placement, concurrency. */
export function matrix(defaults) {
  const list = (name, fallback) => (process.env[name] ?? fallback).split(',').filter(Boolean);
  const out = [];
  for (const windowSec of list('BENCH_RATE_WINDOWS', defaults.windows).map(Number)) {
    for (const lat of list('BENCH_RATE_LATENCIES', defaults.latencies)) {
      // "100" or "100a": 100 ms after the count; "100b": before it.
      const latencyMs = Number.parseInt(lat, 10);
      const at = lat.endsWith('b') ? 'before' : 'after';
      for (const concurrency of list('BENCH_RATE_CONCURRENCY', defaults.concurrency).map(Number)) out.push({ windowSec, latencyMs, at, concurrency });
    }
  }
  return out;
}

export const pct = (x) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`);

export const HEADER = ['case', 'window', 'latency', 'concurrency', 'calls', 'busy', 'use', 'ceiling', 'use ÷ ceiling', '429s', '"another client"'];

export function row(label, c, m) {
  return [
    label,
    `${c.limit} / ${c.windowSec} s`,
    c.latencyMs === 0 ? '0' : `${c.latencyMs} ms ${c.at} count`,
    c.concurrency,
    m.calls,
    m.busySec === undefined ? 'n/a' : `${m.busySec.toFixed(1)} s`,
    pct(m.use),
    pct(m.ceiling),
    m.use === undefined ? 'n/a' : pct(m.use / m.ceiling),
    m.rejected,
    m.othersInferred,
  ];
}
