// Wall time of a 25,000-image export when every API call takes time (simulated latency), for each strategy,
// against a plain one-page-at-a-time loop over the same simulator (which enforces Qualys' documented limits).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, runCase, startSimulatorProcess, table } from './lib.mjs';

const images = Number(process.env.BENCH_LATENCY_IMAGES ?? 25000);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'qcs-bench-'));
const QUALYS_LIMITS = { list: { limit: 120, windowSec: 60 }, images: { limit: 5000, windowSec: 60 } };
try {
  const sim = await startSimulatorProcess({ images, seed: 1, latencyMs, rateLimit: QUALYS_LIMITS });
  try {
    const args = (name, ...rest) => [sim.url, sim.username, sim.password, join(dir, `${name}.jsonl`), ...rest];
    const plain = await runCase('plain-loop.mjs', args('plain'));
    const cases = [
      ['qcs-export auto, concurrency 4', await runCase('export-jsonl.mjs', args('auto', 4, 2, 'auto', 1000))],
      ['qcs-export auto, concurrency 8', await runCase('export-jsonl.mjs', args('auto8', 8, 2, 'auto', 1000))],
      ['qcs-export images (keyset), concurrency 4', await runCase('export-jsonl.mjs', args('images', 4, 2, 'images', 1000))],
      ['qcs-export images (keyset), concurrency 1', await runCase('export-jsonl.mjs', args('images1', 1, 2, 'images', 1000))],
      ['qcs-export bulk (limit 250)', await runCase('export-jsonl.mjs', args('bulk', 1, 2, 'bulk', 250))],
    ];
    table([
      ['case', 'records', 'wall', 'requests', '429s', 'wall vs plain'],
      ['plain loop: fetch page, write it, fetch next', fmt.n(plain.records), fmt.s(plain.seconds), '-', '-', '1.00×'],
      ...cases.map(([name, r]) => [
        `${name}${r.strategy ? ` → ${r.strategy}` : ''}`,
        fmt.n(r.records),
        fmt.s(r.seconds),
        r.requests,
        r.status429,
        fmt.x(r.seconds / plain.seconds),
      ]),
    ]);
    console.log(`\n${fmt.n(images)} images, ${latencyMs} ms simulated latency per API call, page size 1000 (bulk 250), Qualys' documented rate limits.`);
  } finally {
    await sim.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
