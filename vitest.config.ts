import { defineConfig } from 'vitest/config';
import { INTEGRATION_TESTS } from './test/projects.js';

const ALL_TESTS = 'test/**/*.test.ts';
const ALWAYS_EXCLUDED = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  test: {
    // Shared suites (`*.contract.ts`) run only through an implementation's test file.
    exclude: ALWAYS_EXCLUDED,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start processes and servers; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    // `vitest run` runs both; `--project unit` or `--project integration` one.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [ALL_TESTS],
          exclude: [...ALWAYS_EXCLUDED, ...INTEGRATION_TESTS],
        },
      },
      {
        extends: true,
        test: { name: 'integration', include: [...INTEGRATION_TESTS] },
      },
    ],
  },
});
