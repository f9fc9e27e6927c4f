// Wall time of a 25,000-image export when every API call takes time (simulated latency), qcs-export vs a plain
// one-page-at-a-time loop over the same simulator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, runCase, startSimulatorProcess, table } from './lib.mjs';

const images = Number(process.env.BENCH_LATENCY_IMAGES ?? 25000);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 150);
const dir = mkdtempSync(join(tmpdir(), 'qcs-bench-'));
try {
  const sim = await startSimulatorProcess({ images, seed: 1, latencyMs });
  try {
    const plain = await runCase('plain-loop.mjs', [sim.url, sim.username, sim.password, join(dir, 'plain.jsonl')]);
    const sequential = await runCase('export-jsonl.mjs', [sim.url, sim.username, sim.password, join(dir, 'seq.jsonl'), 1, 2]);
    const parallel = await runCase('export-jsonl.mjs', [sim.url, sim.username, sim.password, join(dir, 'par.jsonl'), 4, 2]);
    table([
      ['case', 'records', 'wall', 'requests', 'speed-up vs plain'],
      ['plain loop: fetch page, write it, fetch next', fmt.n(plain.records), fmt.s(plain.seconds), '-', '1.00×'],
      ['qcs-export, concurrency 1 (prefetch 2)', fmt.n(sequential.records), fmt.s(sequential.seconds), sequential.requests, fmt.x(plain.seconds / sequential.seconds)],
      ['qcs-export, concurrency 4 (prefetch 2)', fmt.n(parallel.records), fmt.s(parallel.seconds), parallel.requests, fmt.x(plain.seconds / parallel.seconds)],
    ]);
    console.log(`\n${fmt.n(images)} images, ${latencyMs} ms simulated latency per API call, page size 1000.`);
  } finally {
    await sim.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
