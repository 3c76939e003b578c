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

/** `minictr ARGS` from a fresh bundle: what it printed and the built-in modules it loaded */
async function start(args: string[]): Promise<{ out: string; modules: string[] }> {
  const r = await build({ ...bundleOptions, entryPoints: ['src/cli/main.ts'], write: false, logLevel: 'silent' });
  const file = join(scratch, 'main.cjs');
  writeFileSync(file, r.outputFiles[0]!.text);
  const probe = [
    `process.on('exit', () => process._rawDebug('MODULES ' + JSON.stringify(process.moduleLoadList)));`,
    `require(${JSON.stringify(file)}).main(['node', 'minictr', ...${JSON.stringify(args)}]);`,
  ].join('\n');
  const env = { ...process.env, MINICTR_ROOT: join(scratch, 'root'), MINICTR_RUN: join(scratch, 'run') };
  const p = spawnSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' });
  const line = p.stderr.split('\n').find((l) => l.startsWith('MODULES '));
  expect(line, p.stderr).toBeDefined();
  return { out: p.stdout, modules: JSON.parse(line!.slice('MODULES '.length)) as string[] };
}

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
    expect(r.outputFiles[0]!.text).toContain('lazy-builtin:node:child_process');
    const file = join(scratch, 'spawns.cjs');
    writeFileSync(file, r.outputFiles[0]!.text);
    expect(spawnSync(process.execPath, [file], { encoding: 'utf8' }).status).toBe(7);
  }, 30_000);
});
