import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'elasticsearch-testserver', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 30000, hookTimeout: 30000 },
});
