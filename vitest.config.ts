import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One vitest process runs every package's tests; each package is a project so names show where a test lives.
// The JSON report feeds the "N passed, N failed" line that .ci/run prints.
// Workers: one per core, and at least two. Vitest's own default left a 2-core machine running one file at a time
// (measured: 8 min of wall time for 9.4 min of CPU); most files wait on loopback servers and child processes as much
// as they compute, so a second worker roughly halves the run. Timeouts stay hang guards, so a busier machine only
// makes the run longer (pnpm test:stress runs it beside two CPU-bound processes).
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    maxWorkers: Math.max(2, availableParallelism()),
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
