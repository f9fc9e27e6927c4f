// Runs every benchmark in its own child process (so each peak RSS is its own) and prints one table.
// Benchmarks print figures and ratios; they never fail on timing.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const suites =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : ['source-jsonl.mjs', 'latency.mjs', 'rate-budget.mjs', 'tabular.mjs', 'elasticsearch.mjs', 'findings.mjs', 'containers.mjs', 'memory-fit.mjs'];
let failed = false;
for (const suite of suites) {
  console.log(`\n== ${suite}`);
  const r = spawnSync(process.execPath, [join(here, suite)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed = true;
    console.log(`(${suite} exited with ${r.status})`);
  }
}
process.exitCode = failed ? 1 : 0;
