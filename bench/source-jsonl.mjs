// Throughput and peak RSS, simulator → JSON Lines, at two sizes, next to the bare JSON.parse + JSON.stringify floor.
// The simulator runs in its own process; each case in a fresh one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, runCase, startSimulatorProcess, table } from './lib.mjs';

const sizes = (process.env.BENCH_SIZES ?? '20000,200000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'qcs-bench-'));
const rows = [['images', 'case', 'records/s', 'wall', 'peak RSS', 'vs bare']];
try {
  for (const images of sizes) {
    const sim = await startSimulatorProcess({ images, seed: 1 });
    try {
      const ours = await runCase('export-jsonl.mjs', [sim.url, sim.username, sim.password, join(dir, 'ours.jsonl'), 4, 2]);
      const bare = await runCase('bare-json.mjs', [images, 1, join(dir, 'bare.jsonl')]);
      rows.push([
        fmt.n(images),
        'qcs-export (HTTP, normalize, JSONL sink)',
        fmt.n(ours.perSecond),
        fmt.s(ours.seconds),
        fmt.mb(ours.maxRssMB),
        fmt.x(ours.seconds / bare.seconds),
      ]);
      // The proof that memory is bounded: the same export with V8's old space capped at 64 MB. It completes only
      // if the live data never grows with the number of images; the default RSS above is mostly V8 heap slack.
      const capped = await runCase('export-jsonl.mjs', [sim.url, sim.username, sim.password, join(dir, 'capped.jsonl'), 4, 2], ['--max-old-space-size=64']);
      rows.push([
        fmt.n(images),
        'qcs-export, heap capped at 64 MB',
        fmt.n(capped.perSecond),
        fmt.s(capped.seconds),
        fmt.mb(capped.maxRssMB),
        fmt.x(capped.seconds / bare.seconds),
      ]);
      rows.push([
        fmt.n(images),
        'bare JSON.parse + JSON.stringify (in memory)',
        fmt.n(bare.perSecond),
        fmt.s(bare.seconds),
        `${fmt.mb(bare.maxRssMB)} (holds all)`,
        '1.00×',
      ]);
    } finally {
      await sim.stop();
    }
  }
  table(rows);
  console.log('\n"vs bare" = wall time relative to the bare floor on the same data. Peak RSS of qcs-export is its own process (simulator excluded).');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
