// Vulnerability findings (issue 11). Two questions:
// 1. Rate: how much of the /images/** budget the enrichment calls use while they have work, with 100 ms of latency
//    per call, and whether they cause 429s (a sliding window of 150 calls per 6 s, scaled down from 5,000 a minute).
//    A call may be counted at any moment until its answer comes, so no client can safely reuse its slot before
//    answer + window: the "latency ceiling" column is that bound, window / (window + latency). At Qualys' 60 s
//    window, 100 ms of latency costs 0.2%; the scaled-down window makes it ten times larger here.
// 2. Throughput and memory: findings per second through the JSON Lines and CSV sinks, next to the same rows made and
//    counted without a sink, and peak RSS at two export sizes (it must not grow with the number of findings).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, runCase, startServerProcess, startSimulatorProcess, table } from './lib.mjs';

const small = Number(process.env.BENCH_FINDINGS_SMALL ?? 2000);
const large = Number(process.env.BENCH_FINDINGS_LARGE ?? 20000);
const dir = await mkdtemp(join(tmpdir(), 'qcs-bench-findings-'));
try {
  const rate = [['case', 'detail calls', 'calls/s while busy', 'allowed/s', 'use', 'latency ceiling', '429s']];
  const limit = 150;
  const windowSec = 6;
  const latencyMs = 100;
  for (const concurrency of [8, 32]) {
    const sim = await startSimulatorProcess({
      images: 1500,
      seed: 5,
      latencyMs,
      rateLimit: { list: { limit: 120, windowSec: 60 }, images: { limit, windowSec } },
      rateLimitMode: 'sliding',
    });
    try {
      const r = await runCase('export-findings.mjs', [sim.url, sim.username, sim.password, 'none', concurrency, dir]);
      rate.push([
        `concurrency ${concurrency}, ${latencyMs} ms latency`,
        fmt.n(r.calls),
        r.callsPerSecond.toFixed(2),
        (limit / windowSec).toFixed(2),
        `${((r.callsPerSecond / (limit / windowSec)) * 100).toFixed(1)}%`,
        `${((windowSec * 1000 * 100) / (windowSec * 1000 + latencyMs)).toFixed(1)}%`,
        r.status429,
      ]);
    } finally {
      await sim.stop();
    }
  }
  table(rate);

  console.log('');
  const rows = [['images', 'sink', 'findings', 'wall', 'findings/s', 'peak RSS', 'vs no sink']];
  for (const images of [small, large]) {
    // A budget well above what the sinks can use, so these rows measure the sinks and memory, not the rate limit
    // (the first table measures that); at Qualys' 5,000 a minute, 20,000 images take four minutes whatever the sink.
    const sim = await startSimulatorProcess({ images, seed: 5, rateLimit: { list: { limit: 120, windowSec: 60 }, images: { limit: 100_000, windowSec: 60 } } });
    try {
      let bare;
      // Every sink at the small size; the large one (a million findings) for the file sinks that stream.
      const sinks = images === small ? ['none', 'jsonl', 'csv', 'excel', 'elasticsearch'] : ['none', 'jsonl', 'csv'];
      for (const sink of sinks) {
        const es = sink === 'elasticsearch' ? await startServerProcess('es-server.mjs', {}) : undefined;
        const r = await runCase('export-findings.mjs', [sim.url, sim.username, sim.password, sink, 16, dir, es?.url ?? '']).finally(() => es?.stop());
        if (sink === 'none') bare = r;
        rows.push([
          fmt.n(images),
          sink === 'none' ? 'none (rows only)' : sink,
          fmt.n(r.records),
          fmt.s(r.seconds),
          fmt.n(r.perSecond),
          fmt.mb(r.maxRssMB),
          sink === 'none' ? '' : fmt.x(r.seconds / bare.seconds),
        ]);
      }
      if (images === large) {
        // The same export with V8's old space capped: if memory grew with the findings, this would run out of heap.
        const capped = await runCase('export-findings.mjs', [sim.url, sim.username, sim.password, 'jsonl', 16, dir], ['--max-old-space-size=96']);
        rows.push([
          fmt.n(images),
          'jsonl, --max-old-space-size=96',
          fmt.n(capped.records),
          fmt.s(capped.seconds),
          fmt.n(capped.perSecond),
          fmt.mb(capped.maxRssMB),
          '',
        ]);
      }
    } finally {
      await sim.stop();
    }
  }
  table(rows);
} finally {
  await rm(dir, { recursive: true, force: true });
}
