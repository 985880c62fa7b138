import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    // Browser tests start Chromium and CLI processes; two at a time fit a 2-core machine.
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    projects: [
      // Pure logic in Node: no build, no browser (npm run test:unit). Starting a process and
      // loading the modules again for each file cost more than the tests themselves (playwright-core,
      // the AWS SDK, DuckDB), so a worker is a thread and runs its files on one module graph: a
      // test leaves no module state or global changed (vi.unstubAllGlobals, vi.restoreAllMocks),
      // and the files pass in one worker in any order (--sequence.shuffle).
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads', isolate: false } },
      // The real browser, the CLI and servers on loopback, against the app built once first.
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], globalSetup: ['test/helpers/global-setup.ts'] } },
    ],
  },
});
