import { defineConfig } from 'vitest/config';

// One vitest process runs every package's tests; each package is a project so names show where a test lives.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
