import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The unit layer: pure code only (parsers, planners, spec builders, the native contract's
// field lists). No root, no kernel objects, no global setup: it runs anywhere, as any user,
// in a few seconds, and its files run in parallel. `npm run test:unit`; `npm run test:host`
// and `npm test` run it first. The host suite (../../vitest.config.ts) excludes test/unit/.
//
// Vite keeps a cache below node_modules/.vite: a user who cannot write there (a non-root
// run of a root-owned checkout) points MINICTR_UNIT_CACHE_DIR at a writable directory.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  ...(process.env.MINICTR_UNIT_CACHE_DIR ? { cacheDir: process.env.MINICTR_UNIT_CACHE_DIR } : {}),
  test: {
    include: ['test/unit/**/*.test.ts'],
    // files in parallel, on worker threads that each run several files: these tests share no
    // state (no kernel objects, no files but their own temp dirs), and not starting a fresh
    // module graph per file keeps the layer at a few seconds on a busy two-core machine
    fileParallelism: true,
    pool: 'threads',
    isolate: false,
    testTimeout: 10_000,
    reporters: ['default'],
  },
});
