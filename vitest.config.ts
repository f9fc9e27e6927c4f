import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One vitest process runs every package's tests; each package is a project so names show where a test lives.
// The JSON report feeds the "N passed, N failed" line that .ci/run prints.
// Workers: one more than the cores, and at least three. Vitest's own default left a 2-core machine running one file at
// a time (8 min of wall time for 9.4 min of CPU); most files wait on loopback servers and child processes as much as
// they compute, so on 2 cores 2 workers took 298 s, 3 took 256 s and 4 took 292 s. Timeouts stay hang guards, so a
// busier machine only makes the run longer (pnpm test:stress runs it beside two CPU-bound processes).
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    maxWorkers: Math.max(3, availableParallelism() + 1),
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
