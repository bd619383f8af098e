import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Shared suites (`*.contract.ts`) run only through an implementation's test file.
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start processes and servers; keep the 2-core machine from thrashing.
    maxWorkers: 2,
  },
});
