// Start one of the CLI bundles (dist/bundle/NAME.cjs, built by esbuild: `npm run build`) with
// a V8 code cache. Node 20 has no module compile cache, so the bundle is run as a vm.Script
// with the cachedData an earlier run of the same command left in dist/bundle/cache/: V8 then
// skips parsing and compiling what that run compiled. A cache V8 rejects (another node, a new
// build) is written again; one that cannot be written is simply not used. CommonJS
// (bin/package.json): loaded by require from bin/minictr and bin/minictr-oci, no ESM loader.
'use strict';
const { mkdirSync, readFileSync, renameSync, writeFileSync, writeSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

/** a run longer than this leaves the cache to a later one (see below) */
const CACHE_WRITE_MAX_SECONDS = 1;

const BUNDLE_DIR = join(__dirname, '..', 'dist', 'bundle');

// MINICTR_PROFILE=1: phase marks on stderr (src/util/profile.ts; bench/profile-run.sh). Off,
// `performance` is not touched: the global's first use loads perf_hooks (11 modules, ~1 ms).
const PROFILE = process.env.MINICTR_PROFILE === '1';
const mark = PROFILE
  ? (phase, ms = performance.now()) => writeSync(2, `minictr-profile ${ms.toFixed(2)} ${phase}\n`)
  : () => undefined;

function runBundle(name) {
  if (PROFILE) mark('node-bootstrapped', performance.nodeTiming.bootstrapComplete);
  mark('entry-loaded');
  const file = join(BUNDLE_DIR, `${name}.cjs`);
  // one cache per command: each holds the functions its own path compiled
  const verb = process.argv.slice(2).find((a) => /^[a-z][a-z-]{0,30}$/.test(a)) ?? 'none';
  const cacheFile = join(BUNDLE_DIR, 'cache', `${name}-${verb}.v8`);
  const source = readFileSync(file, 'utf8');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* first run of this command */
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      // Only a short run writes the cache. In a long one (a build whose RUNs ran, an attached
      // container) V8 flushes the bytecode of functions not run for a while, the bundle's top
      // level first: a cache made then lacks it, and every later start compiles the 1.2 MB
      // top level again (a warm `minictr build` took ~30 ms more CPU, ~1.7x the time, with the
      // cache its cold first run had left). A later short run writes it.
      if (process.uptime() > CACHE_WRITE_MAX_SECONDS) return;
      try {
        mkdirSync(dirname(cacheFile), { recursive: true });
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        /* a read-only checkout: run without a cache */
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, BUNDLE_DIR);
  mark('bundle-loaded');
  module.exports.main(process.argv);
}

module.exports = { runBundle };
