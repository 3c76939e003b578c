import { configDefaults, defineConfig } from 'vitest/config';

// The suite drives the real kernel as root. Files run one after another: several of them use
// fixed kernel names (red, green, ovs1) that two files at once would fight over, and the
// machine has two cores anyway. The unit layer (test/unit/, pure code, no root) has its own
// config and runs before this suite (npm run test:host, test/run.sh), not again inside it.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/unit/**'],
    fileParallelism: false,
    pool: 'forks',
    // one worker process runs every file (files still run one after another, each file's own
    // module state fresh): a new process per file cost about a second of start-up and imports
    // each, 46 times, and many times that in the VM suite's emulated CPU. No test changes the
    // environment or the working directory it would hand on.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    teardownTimeout: 120_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default'],
  },
});
