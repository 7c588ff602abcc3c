import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';

// Every temp file of a run (synthesized stacks at ~150 MB each, packed tarballs, scratch projects) goes
// into one dir that the run removes on exit, pass or fail: a CI machine's disk survives any number of runs.
// Processes the tests start inherit it (TMPDIR) with TAILGUARD_TEST_TMPDIR, and so skip this.
if (!process.env.TAILGUARD_TEST_TMPDIR) {
  const runTmp = mkdtempSync(join(tmpdir(), 'tailguard-test-run-'));
  process.env.TAILGUARD_TEST_TMPDIR = runTmp;
  process.env.TMPDIR = runTmp;
  process.on('exit', () => rmSync(runTmp, { recursive: true, force: true }));
}

export default defineConfig({
  test: {
    // Vitest's default on 2 cores is one file at a time across every project: the integration files,
    // which mostly wait on the emulator, then queued behind the CPU-bound unit and template files.
    // Two let them run beside each other (integration files still one at a time, see below).
    maxWorkers: 2,
    // A few lines at the very end (failed tests, integration files by time): what a CI log's tail shows.
    reporters: ['default', './test/helpers/run-summary.ts'],
    // Stopping worker processes and the emulator after the integration suite takes a few seconds.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'src/**/*.test.ts',
            'workers/**/*.test.ts',
            'demo/**/*.test.ts',
            'functions/**/*.test.ts',
            'local/**/*.test.ts',
            'cli/**/*.test.ts',
            'bench/**/*.test.ts',
            'test/{helpers,docs}/**/*.test.ts',
          ],
          exclude: [...configDefaults.exclude, '**/*.browser.test.ts'],
          // Fuzz tests run thousands of cases: seconds alone, far more on 2 cores the suite shares.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          // Pages in a real headless Chromium (the system's, see test/helpers/chromium.ts): seconds to start.
          name: 'browser',
          include: ['cli/**/*.browser.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['infra/**/*.test.ts'],
          // Synthesis bundles every Lambda with esbuild: seconds alone, far more on 2 busy cores
          // while the integration project deploys beside it (over 120 s seen with other work on them).
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          // One deployed stack and one worker pool serve every file; files run one at a time so
          // counts taken before and after a test see only that test's jobs.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
