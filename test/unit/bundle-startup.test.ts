/**
 * What the CLI bundle's start loads (scripts/bundle.mjs; BENCHMARKS.md, "The CLI's own
 * start-up"): commander requires node:child_process at its top for executable subcommands,
 * which minictr has none of; with net, dgram and stream that was ~3-5 ms of every command's
 * start. The bundle is built in memory as `npm run build` builds it and run by a plain node.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleOptions } from '../../scripts/bundle.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'minictr-unit-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `minictr ARGS` from a fresh bundle of entry (src/cli/NAME.ts): what it printed, what its
 * main returned (false: it declined the command line), and the built-in modules it loaded */
async function start(args: string[], entry = 'main'): Promise<{ out: string; modules: string[]; returned: string }> {
  const r = await build({ ...bundleOptions, entryPoints: [`src/cli/${entry}.ts`], write: false, logLevel: 'silent' });
  const file = join(scratch, `${entry}.cjs`);
  writeFileSync(file, r.outputFiles[0]!.text);
  const probe = [
    `process.on('exit', () => process._rawDebug('MODULES ' + JSON.stringify(process.moduleLoadList)));`,
    `Promise.resolve(require(${JSON.stringify(file)}).main(['node', 'minictr', ...${JSON.stringify(args)}])).then((v) => process._rawDebug('RETURNED ' + v));`,
  ].join('\n');
  const env = { ...process.env, MINICTR_ROOT: join(scratch, 'root'), MINICTR_RUN: join(scratch, 'run') };
  const p = spawnSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' });
  const line = p.stderr.split('\n').find((l) => l.startsWith('MODULES '));
  expect(line, p.stderr).toBeDefined();
  const returned = p.stderr.split('\n').find((l) => l.startsWith('RETURNED '))?.slice('RETURNED '.length) ?? '(exited)';
  return { out: p.stdout, modules: JSON.parse(line!.slice('MODULES '.length)) as string[], returned };
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
