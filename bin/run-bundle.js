// Start one of the CLI bundles (dist/bundle/NAME.cjs, built by esbuild: `npm run build`) with
// a V8 code cache. Node 20 has no module compile cache, so the bundle is run as a vm.Script
// with the cachedData an earlier run of the same command left in dist/bundle/cache/: V8 then
// skips parsing and compiling what that run compiled. A cache V8 rejects (another node, a new
// build) is written again; one that cannot be written is simply not used. CommonJS
// (bin/package.json): loaded by require from bin/minictr and bin/minictr-oci, no ESM loader.
'use strict';
const { constants: { O_NONBLOCK }, fstatSync, mkdirSync, readFileSync, renameSync, writeFileSync, writeSync } = require('node:fs');
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

/** minictr-oci's global flags that take a value as the next word (src/cli/oci/context.ts's
 * OCI_GLOBAL_FLAGS; test/unit/run-bundle.test.ts keeps the two in step) */
const OCI_VALUE_FLAGS = ['--root', '--log', '--log-format', '--rootless', '--criu'];

/** minictr's command lines that start from a bundle of their own (src/cli/main-run.ts,
 * main-ps.ts, version-main.ts), by first word; main.cjs runs any other, and any of these the
 * small bundle declines */
const MINICTR_FAST_BUNDLES = { run: 'main-run', ps: 'main-ps', '--version': 'version-main', '-V': 'version-main' };

/** The bundles bin/minictr tries for these words (process.argv.slice(2)), in order. */
function minictrBundles(args) {
  const fast = Object.hasOwn(MINICTR_FAST_BUNDLES, args[0] ?? '') ? MINICTR_FAST_BUNDLES[args[0]] : undefined;
  return fast ? [fast, 'main'] : ['main'];
}

/**
 * The command's verb, which names its code cache: the first word that is neither a flag nor
 * the value of one of valueFlags (`minictr-oci --log-format json state X` is `state`, not
 * `json`); 'none' when there is none or it does not look like a verb (a cache file name).
 */
function cacheVerb(args, valueFlags = []) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) {
      if (valueFlags.includes(a)) i++;
      continue;
    }
    return /^[a-z][a-z-]{0,30}$/.test(a) ? a : 'none';
  }
  return 'none';
}

/**
 * Run the first of the bundles whose main(argv) takes the command line: one returns false
 * for a command line it leaves to the next (oci-fast declines all but state, kill and
 * delete, for oci-main); the last takes any. valueFlags: the global flags whose value is
 * the next word (cacheVerb).
 */
async function runBundle(names, { valueFlags = [] } = {}) {
  if (PROFILE) mark('node-bootstrapped', performance.nodeTiming.bootstrapComplete);
  exitWithoutTeardown();
  mark('entry-loaded');
  const verb = cacheVerb(process.argv.slice(2), valueFlags);
  for (const name of names) {
    const bundle = loadBundle(name, verb);
    mark('bundle-loaded');
    if ((await bundle.main(process.argv)) !== false) return;
  }
}

/** node's flags that make it write something at its exit */
const WRITES_AT_EXIT = /--(cpu-prof|heap-prof|prof\b|trace-events|report-|inspect|debug)/;

/** Where src/native/index.ts leaves the addon once it loaded it (with process.dlopen, so
 * it is in no require.cache) */
const ADDON_KEY = Symbol.for('minictr.native');

/**
 * process.exit(code) emits 'exit' and then calls process.reallyExit(code), node's exit:
 * it joins node's platform and libuv threads and runs its static destructors, ~1.5-2 ms of
 * a `run` after its last line (BENCHMARKS.md). Once every 'exit' listener has run (the code
 * cache below is written in one), the addon's exitNow ends the process at once instead, when
 * it is safe to: a command that loaded the addon anyway (its dlopen would cost about what
 * this saves), no request in flight (an async write that node's exit would let its thread
 * pool finish; stdout and stderr are synchronous on Linux), no terminal among fds 0-2 (node
 * restores its mode). fds 0-2 get back the O_NONBLOCK they had at start, as node's exit
 * does: it is read from /proc/self/fdinfo just before node makes a stream on the fd, and put
 * back at exit only on the same file (inode). Not either when node is asked to write something at its exit
 * (coverage, a CPU or heap profile, trace events, a report, an inspector session). Otherwise
 * node exits as always.
 */
function exitWithoutTeardown() {
  if (process.env.NODE_V8_COVERAGE || WRITES_AT_EXIT.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)) return;
  const atStart = watchStdioStreams();
  const reallyExit = process.reallyExit;
  process.reallyExit = function exitNow(code) {
    const addon = globalThis[ADDON_KEY];
    if (typeof addon?.exitNow === 'function' && typeof process._getActiveRequests === 'function' && process._getActiveRequests().length === 0) {
      // 2: no stream was made on the fd, node did not touch it; -1: not known
      const nonblocking = atStart.map((s, fd) => (s === undefined ? 2 : s && sameInode(fd, s.ino) ? s.nonblocking : -1));
      // returns only when it declines
      addon.exitNow(code, PROFILE ? `minictr-profile ${performance.now().toFixed(2)} exit-now\n` : '', nonblocking);
    }
    return reallyExit.call(process, code);
  };
}

/** fds 0-2 as they were before node made a stream on each (process.stdin, stdout, stderr:
 * made on first use, which changes the fd's O_NONBLOCK), read then: undefined for an fd
 * whose stream was never made (reading all three at start was ~1 ms of every command) */
function watchStdioStreams() {
  const atStart = [undefined, undefined, undefined];
  ['stdin', 'stdout', 'stderr'].forEach((name, fd) => {
    const d = Object.getOwnPropertyDescriptor(process, name);
    if (!d?.get || !d.configurable) {
      atStart[fd] = null; // not known
      return;
    }
    Object.defineProperty(process, name, {
      ...d,
      get() {
        if (atStart[fd] === undefined) atStart[fd] = stdioAtStart(fd) ?? null;
        return d.get.call(this);
      },
    });
  });
  return atStart;
}

/** fd's O_NONBLOCK (1 or 0) and inode now, from /proc; undefined if unreadable or closed */
function stdioAtStart(fd) {
  try {
    const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1');
    const flags = /^flags:\s*([0-7]+)$/m.exec(info);
    const ino = /^ino:\s*(\d+)$/m.exec(info);
    return flags && ino ? { nonblocking: (parseInt(flags[1], 8) & O_NONBLOCK) ? 1 : 0, ino: Number(ino[1]) } : undefined;
  } catch {
    return undefined;
  }
}

function sameInode(fd, ino) {
  try {
    return fstatSync(fd).ino === ino;
  } catch {
    return false;
  }
}

/** dist/bundle/NAME.cjs's exports, its top level run from the code cache of this command */
function loadBundle(name, verb) {
  const file = join(BUNDLE_DIR, `${name}.cjs`);
  // one cache per command: each holds the functions its own path compiled
  const cacheFile = join(BUNDLE_DIR, 'cache', `${name}-${verb}.v8`);
  // latin1: the bundle is ASCII (test/unit/bundle-ascii.test.ts), and decoding 1.4 MB as
  // UTF-8 took ~1 ms more than copying it
  const source = readFileSync(file, 'latin1');
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
      // nor a run the bundle calls unusual (src/util/code-cache.ts: main-run's command lines
      // that needed commander, an image built or pulled on first use): that code would be in
      // the cache of every later run of the command
      if (module.exports.writesCodeCache?.() === false) return;
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
  // this file's own require: the bundles require node's built-in modules and the few
  // externals in node_modules (scripts/bundle.mjs), found from bin/ as from dist/bundle/;
  // createRequire(file) loaded node:module and with it the ESM loader, source maps and dns
  // utils, five built-ins that Node 20 compiles from source on every start (~10 M
  // instructions of each command's ~35 M above `node empty.js`, BENCHMARKS.md)
  script.runInThisContext()(module.exports, require, module, file, BUNDLE_DIR);
  return module.exports;
}

module.exports = { runBundle, minictrBundles, cacheVerb, exitWithoutTeardown, OCI_VALUE_FLAGS };
