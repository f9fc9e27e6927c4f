// Vulnerability findings (issue 11). Two questions:
// 1. Rate: how much of the /images/** budget the enrichment calls use while they have work, and whether they cause
//    429s, against the independent rate-limited front (rate-front.mjs; 40 calls per 2 s, as in issue 18), read from
//    the front's arrival log. A call may be counted at any moment until its answer comes, so no client can safely
//    reuse its slot before answer + window, and the next call counts when it arrives: the "ceiling" column is that
//    bound, window / (window + latency), or what the workers' round trips allow. At Qualys' 60 s window, 100 ms of latency costs 0.2%.
// 2. Throughput and memory: findings per second through the JSON Lines and CSV sinks, next to the same rows made and
//    counted without a sink, and peak RSS at two export sizes (it must not grow with the number of findings).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, runCase, startServerProcess, startSimulatorProcess, table } from './lib.mjs';
import { HEADER, matrix, measure, row } from './rate-matrix.mjs';

const small = Number(process.env.BENCH_FINDINGS_SMALL ?? 2000);
const large = Number(process.env.BENCH_FINDINGS_LARGE ?? 20000);
const dir = await mkdtemp(join(tmpdir(), 'qcs-bench-findings-'));
try {
  // BENCH_RATE_WINDOWS (2), BENCH_RATE_LATENCIES (0,100a,100b), BENCH_RATE_CONCURRENCY (1,8,32) choose the cases;
  // BENCH_FINDINGS_RATE=0 skips this table.
  const rate = [HEADER];
  if (process.env.BENCH_FINDINGS_RATE !== '0') {
    for (const c of matrix({ windows: '2', latencies: '0,100a,100b', concurrency: '1,8,32' })) {
      // 40 calls per 2 s as in the issue; 300 per 60 s with enough images for about 2.5 windows of details calls.
      const size = c.windowSec >= 60 ? { limit: 300, images: 800 } : { limit: 40, images: 500 };
      const m = await measure({ ...c, ...size, kind: 'findings' });
      rate.push(row('details calls (/images/<sha>)', { ...c, ...size }, m));
      console.error(rate.at(-1).join('  '));
    }
  }
  table(rate);

  console.log('');
  const rows = [['images', 'sink', 'findings', 'wall', 'findings/s', 'peak RSS', 'vs no sink']];
  // BENCH_FINDINGS_THROUGHPUT=0 skips this table.
  for (const images of process.env.BENCH_FINDINGS_THROUGHPUT === '0' ? [] : [small, large]) {
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
