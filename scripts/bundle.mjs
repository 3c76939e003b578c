// The CLI bundles, dist/bundle/main.cjs, main-run.cjs, main-ps.cjs and version-main.cjs (the
// commands that start often, each alone), oci-main.cjs and oci-fast.cjs (minictr-oci's state,
// kill and delete without commander) (`npm run build`, and the prepare script on `npm ci`):
// esbuild puts each entry in src/cli/ with everything it imports into one CommonJS file,
// which bin/run-bundle.js runs with a V8 code cache. Modules that a command imports lazily
// (`await import(...)`) stay lazy: their top level runs when called.
// test/unit/bundle-ascii.test.ts builds with the same options.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** Built-in modules loaded when first used instead of at the top of the module that imports
 * them, by importer. commander requires node:child_process for executable subcommands (none
 * here): loading it (with net, stream, dgram) was ~3-5 ms of every command's start, `minictr
 * --version` included. Our own modules import built-ins at their top, and Node 20 compiles
 * each built-in from source on first load: `ps` loaded 41 (child_process, net, streams,
 * readline, fs/promises), `run` 70 (crypto and zlib too), most for paths the command does not
 * take (BENCHMARKS.md, "The CLI's own start-up"). Named imports only (src/ has no default or
 * namespace import of these): esbuild reads the name from the module at each use. */
const OUR_MODULES = /[\\/]src[\\/]/;
const LAZY_BUILTINS = {
  'node:child_process': /[\\/]node_modules[\\/]commander[\\/]|[\\/]src[\\/]/,
  ...Object.fromEntries(
    ['node:crypto', 'node:fs/promises', 'node:net', 'node:os', 'node:readline', 'node:stream', 'node:stream/promises', 'node:stream/web', 'node:timers/promises', 'node:zlib']
      .map((id) => [id, OUR_MODULES]),
  ),
};

/** What an import of a lazy built-in becomes: an external module of this prefix, which the
 * bundle's require (LAZY_REQUIRE) answers with a proxy. External, not a bundled module: esbuild
 * gives an ES module's import of a bundled CommonJS one a namespace object (__toESM) that copies
 * every key, one getter each, in every importing module: for the 27 imports on run's path that
 * was ~3-6 ms, more than loading the built-ins saved. An external one is a plain require. */
const LAZY_PREFIX = 'minictr-lazy:';

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    for (const [id, importers] of Object.entries(LAZY_BUILTINS)) {
      const filter = new RegExp(`^${id}$`);
      b.onResolve({ filter }, (args) => (importers.test(args.importer) ? { path: `${LAZY_PREFIX}${id}`, external: true } : undefined));
    }
  },
};

/** The bundle's first lines: its require (the one it is run with, bin/run-bundle.js's or
 * node's) answers a lazy built-in with a proxy whose properties are read from the real module
 * on first use; `var` keeps the value of the parameter it shadows until it is assigned. Each
 * id is asked of node once: every module of the bundle requires its own node:fs and node:path
 * at its init (~90 calls in main-run.cjs), and each call through node's Module._load builds a
 * cache key and reads process.env for watch mode (~1.3 M instructions of a run's start,
 * BENCHMARKS.md "the run bundle's load"). */
const LAZY_REQUIRE = `var require = ((load) => {
  const lazy = (id) => { let m; const real = () => (m ??= load(id));
    return new Proxy({}, { get: (_, k) => real()[k], has: (_, k) => k in real(), ownKeys: () => Reflect.ownKeys(real()), getOwnPropertyDescriptor: (_, k) => { const d = Reflect.getOwnPropertyDescriptor(real(), k); return d && { ...d, configurable: true }; } }); };
  const loaded = new Map();
  return Object.assign((id) => loaded.get(id) ?? loaded.set(id, id.startsWith(${JSON.stringify(LAZY_PREFIX)}) ? lazy(id.slice(${LAZY_PREFIX.length})) : load(id)).get(id), load);
})(require);`;

/** Each CLI bundle's entry: main (every command), the commands that start often from bundles
 * of their own (main-run, main-ps, version-main: ~0.3-0.6 MB and 50 KB against main's 1.4
 * MB; bin/run-bundle.js picks them), minictr-oci's two. */
export const BUNDLE_ENTRIES = ['src/cli/main.ts', 'src/cli/main-run.ts', 'src/cli/main-ps.ts', 'src/cli/version-main.ts', 'src/cli/oci-main.ts', 'src/cli/oci-fast.ts'];

export const bundleOptions = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // lazy imports become calls into the same file: no chunk files to find at run time
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__bundle_url' },
  // no comments or indentation: each start reads the whole source into a string for V8 (main-run.cjs
  // 0.62 -> 0.45 MB, ~1.2 M instructions of a run's start); names are kept, so a stack trace
  // (MINICTR_DEBUG=1) still names its functions, with columns for lines
  minifyWhitespace: true,
  banner: { js: `${LAZY_REQUIRE}\nconst __bundle_url = require('node:url').pathToFileURL(__filename).href;` },
  plugins: [lazyBuiltins],
  // loaded from node_modules by the one command that uses them (compose's schema validator,
  // the view's web framework), so they are not on every command's start-up path
  external: ['ajv', 'hono', '@hono/node-server'],
  logLevel: 'warning',
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build({
    ...bundleOptions,
    entryPoints: BUNDLE_ENTRIES,
    outdir: 'dist/bundle',
    outExtension: { '.js': '.cjs' },
  });
}
