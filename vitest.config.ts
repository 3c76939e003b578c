import { defineConfig } from 'vitest/config';

// The suite drives the real kernel as root. Files run one after another: several of them use
// fixed kernel names (red, green, ovs1) that two files at once would fight over, and the
// machine has two cores anyway.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 300_000,
    teardownTimeout: 120_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default'],
  },
});
