import { defineConfig } from 'vitest/config';

// One vitest process runs every package's tests; each package is a project so names show where a test lives.
// The JSON report feeds the "N passed, N failed" line that .ci/run prints.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
