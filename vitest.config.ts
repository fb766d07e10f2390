import { defineConfig } from 'vitest/config';

// Generous per-test limits: some tests run 1,000 decode steps. Nothing here asserts timing.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
