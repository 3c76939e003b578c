/**
 * What the CLI bundle's start loads (scripts/bundle.mjs; BENCHMARKS.md, "The CLI's own
 * start-up"): commander requires node:child_process at its top for executable subcommands,
 * which minictr has none of; with net, dgram and stream that was ~3-5 ms of every command's
 * start. The bundle is built in memory as `npm run build` builds it and run by a plain node.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleOptions } from '../../scripts/bundle.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'minictr-unit-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `minictr ARGS` from a fresh bundle of entry (src/cli/NAME.ts): what it printed, what its
 * main returned (false: it declined the command line), and the built-in modules it loaded */
async function start(args: string[], entry = 'main', extraEnv: Record<string, string> = {}): Promise<{ out: string; err: string; status: number | null; modules: string[]; returned: string }> {
  const r = await build({ ...bundleOptions, entryPoints: [`src/cli/${entry}.ts`], write: false, logLevel: 'silent' });
  const file = join(scratch, `${entry}.cjs`);
  writeFileSync(file, r.outputFiles[0]!.text);
  const probe = [
    `process.on('exit', () => process._rawDebug('MODULES ' + JSON.stringify(process.moduleLoadList)));`,
    `Promise.resolve(require(${JSON.stringify(file)}).main(['node', 'minictr', ...${JSON.stringify(args)}])).then((v) => process._rawDebug('RETURNED ' + v));`,
  ].join('\n');
  const env = { ...process.env, MINICTR_ROOT: join(scratch, 'root'), MINICTR_RUN: join(scratch, 'run'), ...extraEnv };
  const p = spawnSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' });
  const line = p.stderr.split('\n').find((l) => l.startsWith('MODULES '));
  expect(line, p.stderr).toBeDefined();
  const returned = p.stderr.split('\n').find((l) => l.startsWith('RETURNED '))?.slice('RETURNED '.length) ?? '(exited)';
  return { out: p.stdout, err: p.stderr, status: p.status, modules: JSON.parse(line!.slice('MODULES '.length)) as string[], returned };
}

/** the built-ins a command's start has no use for (scripts/bundle.mjs LAZY_BUILTINS) */
const UNUSED_AT_START = ['child_process', 'crypto', 'zlib', 'net', 'readline', 'fs/promises', 'stream'].map((m) => `NativeModule ${m}`);

describe('the CLI bundle at start', () => {
  it('minictr --version prints the version and loads no node:child_process', async () => {
    const { out, modules } = await start(['--version']);
    expect(out).toBe('0.1.0\n');
    expect(modules).toContain('NativeModule fs');
    expect(modules).not.toContain('NativeModule child_process');
  }, 30_000);

  it('commander still gets the real module when it spawns (a lazy proxy, not a stub)', async () => {
    // an executable subcommand: commander spawns it through its node:child_process
    const entry = [
      "import { Command } from 'commander';",
      "new Command('t').command('x', 'an executable subcommand', { executableFile: '/bin/sh' }).parse(['node', 't', 'x', '-c', 'exit 7']);",
    ].join('\n');
    const r = await build({ ...bundleOptions, stdin: { contents: entry, resolveDir: process.cwd(), loader: 'ts' }, write: false, logLevel: 'silent' });
    expect(r.outputFiles[0]!.text).toContain('minictr-lazy:node:child_process');
    const file = join(scratch, 'spawns.cjs');
    writeFileSync(file, r.outputFiles[0]!.text);
    expect(spawnSync(process.execPath, [file], { encoding: 'utf8' }).status).toBe(7);
  }, 30_000);

  it('minictr ps (its own bundle) lists no containers and loads none of the built-ins our modules import for other paths', async () => {
    const { out, modules, returned } = await start(['ps'], 'main-ps');
    expect(out).toMatch(/^CONTAINER ID +IMAGE/);
    expect(returned).toBe('(exited)');
    expect(modules.filter((m) => UNUSED_AT_START.includes(m))).toEqual([]);
  }, 30_000);
});

describe('the one-command bundles decline what they do not hold (bin/minictr then runs main.cjs)', () => {
  it('--version from version-main prints what commander prints for it', async () => {
    const [fast, full] = await Promise.all([start(['--version'], 'version-main'), start(['--version'])]);
    expect(fast.out).toBe(full.out);
    expect(fast.modules).not.toContain('NativeModule child_process');
    expect((await start(['-V'], 'version-main')).out).toBe(full.out);
  }, 30_000);

  it('each returns false, having printed nothing, for a command line of another command', async () => {
    for (const [entry, args] of [['main-run', ['ps']], ['main-ps', ['run', 'busybox']], ['main-run', ['--help']], ['version-main', ['--version', 'ps']], ['version-main', ['ps']]] as const) {
      const r = await start([...args], entry);
      expect({ entry, args, out: r.out, returned: r.returned }).toEqual({ entry, args, out: '', returned: 'false' });
    }
  }, 60_000);
});

/** The bundle's functions that ran (V8's precise coverage, NODE_V8_COVERAGE), by name, in
 * `minictr ARGS` from entry's bundle: esbuild names a CommonJS module's wrapper after its
 * path, so commander's top level is the function "node_modules/commander/index.js". */
async function ranFunctions(args: string[], entry: string): Promise<{ ran: Set<string>; err: string; status: number | null }> {
  const dir = mkdtempSync(join(scratch, 'coverage-'));
  const r = await start(args, entry, { NODE_V8_COVERAGE: dir });
  const ran = new Set<string>();
  for (const file of readdirSync(dir)) {
    const { result } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[] };
    for (const script of result.filter((s) => s.url.endsWith(`/${entry}.cjs`))) {
      for (const f of script.functions) if (f.ranges[0]!.count > 0) ran.add(f.functionName);
    }
  }
  return { ran, err: r.err, status: r.status };
}

describe("minictr run's common command line runs no commander code (main-run.ts, run-flags.ts)", () => {
  const COMMANDER = 'node_modules/commander/index.js';

  it('a run parsed by run-flags.ts: the run module ran, commander\'s did not', async () => {
    // refused by the run's own checks, before anything is made: no root needed
    const { ran, err, status } = await ranFunctions(['run', '-d', '--replicas', '0', 'busybox'], 'main-run');
    expect(err).toContain('minictr: invalid --replicas 0: expected a positive integer');
    expect(status).toBe(125);
    expect(ran.has('runContainer')).toBe(true);
    expect(ran.has(COMMANDER)).toBe(false);
  }, 30_000);

  it('a command line it declines goes to commander, which says what it always said', async () => {
    const { ran, err, status } = await ranFunctions(['run', '--bogus', 'busybox'], 'main-run');
    expect(err).toContain("minictr: unknown option '--bogus'\nSee 'minictr run --help'.\n");
    expect(status).toBe(125);
    expect(ran.has(COMMANDER)).toBe(true);
  }, 30_000);
});

/** A checkout of its own: bin/run-bundle.js beside a fresh dist/bundle/ENTRY.cjs, and where
 * the code cache of its command VERB goes. */
async function runCheckout(entry = 'main-run', verb = 'run'): Promise<{ root: string; cache: string }> {
  const root = mkdtempSync(join(scratch, 'checkout-'));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dist', 'bundle'), { recursive: true });
  copyFileSync('bin/run-bundle.js', join(root, 'bin', 'run-bundle.js'));
  writeFileSync(join(root, 'bin', 'minictr'), `require('./run-bundle.js').runBundle(['${entry}']);\n`);
  const r = await build({ ...bundleOptions, entryPoints: [`src/cli/${entry}.ts`], write: false, logLevel: 'silent' });
  writeFileSync(join(root, 'dist', 'bundle', `${entry}.cjs`), r.outputFiles[0]!.text);
  return { root, cache: join(root, 'dist', 'bundle', 'cache', `${entry}-${verb}.v8`) };
}

describe("main-run's code cache is made by a run its own parser took (bin/run-bundle.js)", () => {
  it('not by one that needed commander: its code would be in every later run\'s cache', async () => {
    const { root, cache } = await runCheckout();
    const env = { ...process.env, MINICTR_ROOT: join(scratch, 'root'), MINICTR_RUN: join(scratch, 'run') };
    const minictr = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'minictr'), ...args], { env, encoding: 'utf8' });

    expect(minictr('run', '--bogus', 'busybox').stderr).toContain("unknown option '--bogus'");
    expect(existsSync(cache)).toBe(false);
    expect(minictr('run', '-d', '--replicas', '0', 'busybox').stderr).toContain('invalid --replicas 0');
    // written only by a run shorter than 1 s (run-bundle.js CACHE_WRITE_MAX_SECONDS)
    expect(existsSync(cache)).toBe(true);
  }, 30_000);

  it('not by one that built the busybox image: every later run would load that code', async () => {
    const { root, cache } = await runCheckout();
    // a store of its own, without the image; the run fails after resolving it (no command)
    const env = { ...process.env, MINICTR_ROOT: join(root, 'state'), MINICTR_RUN: join(root, 'run') };
    const minictr = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'minictr'), ...args], { env, encoding: 'utf8' });

    expect(minictr('run', '--entrypoint', '', 'busybox').stderr).toContain('no command given');
    expect(readdirSync(join(root, 'state', 'images')).length).toBeGreaterThan(0);
    expect(existsSync(cache)).toBe(false);
    expect(minictr('run', '--entrypoint', '', 'busybox').stderr).toContain('no command given');
    expect(existsSync(cache)).toBe(true);
  }, 30_000);

  it('nor, in main.cjs, `tag busybox` that built the image first', async () => {
    const { root, cache } = await runCheckout('main', 'tag');
    const env = { ...process.env, MINICTR_ROOT: join(root, 'state'), MINICTR_RUN: join(root, 'run') };
    const minictr = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'minictr'), ...args], { env, encoding: 'utf8' });

    expect(minictr('tag', 'busybox', 'cc-one').status).toBe(0);
    expect(readdirSync(join(root, 'state', 'images')).length).toBeGreaterThan(0);
    expect(existsSync(cache)).toBe(false);
    expect(minictr('tag', 'busybox', 'cc-two').status).toBe(0);
    expect(existsSync(cache)).toBe(true);
  }, 60_000);
});
