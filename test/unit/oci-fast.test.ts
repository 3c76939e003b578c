/**
 * minictr-oci's short verbs (state, kill, delete) run from their own bundle without
 * commander (src/cli/oci-fast.ts, bin/minictr-oci tries it first). Engines rely on every
 * command line meaning the same as runc's: so each one the fast parser takes must parse as
 * commander parses it (oci-main.ts), every other one must be left to commander, and the two
 * bundles, built as `npm run build` builds them, must print the same, log the same and exit
 * the same for the same argv.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleOptions } from '../../scripts/bundle.mjs';
import { buildOciProgram } from '../../src/cli/oci-main.js';
import { checkGlobals, type RawGlobals } from '../../src/cli/oci/context.js';
import { parseFastArgv, type FastCall } from '../../src/cli/oci/fast-argv.js';

const scratch = mkdtempSync(join(tmpdir(), 'minictr-unit-oci-fast-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What commander makes of args: the verb's call as FastCall, without running it (its
 * preAction, checkGlobals, does run: a refused global flag is an error). */
async function commanderParse(args: string[]): Promise<FastCall | { error: string }> {
  const program = buildOciProgram().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  let call: FastCall | undefined;
  const globals = (): RawGlobals => program.opts<RawGlobals>();
  const verb = (name: string): Command => program.commands.find((c) => c.name() === name)!;
  verb('state').action((id: string) => void (call = { globals: globals(), verb: 'state', id }));
  verb('kill').action((id: string, signal: string, o: { all: boolean }) => void (call = { globals: globals(), verb: 'kill', id, signal, all: o.all }));
  verb('delete').action((id: string, o: { force: boolean }) => void (call = { globals: globals(), verb: 'delete', id, force: o.force }));
  try {
    await program.parseAsync(['node', 'minictr-oci', ...args]);
  } catch (err) {
    return { error: (err as Error).message };
  }
  return call ?? { error: 'no verb ran' };
}

/** drop undefined fields: commander leaves unset options out, the fast parser too */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('the short verbs\' parser (fast-argv.ts) against commander\'s', () => {
  const taken = [
    ['state', 'c1'],
    ['--root', '/r', 'state', 'c1'],
    ['--root=/r', '--log', '/l.json', '--log-format', 'json', 'state', 'c1'],
    ['--log-format=json', '--debug', 'kill', 'c1'],
    ['kill', 'c1', 'KILL'],
    ['kill', '--all', 'c1', '9'],
    ['kill', 'c1', 'SIGCONT', '-a'],
    ['delete', 'c1'],
    ['delete', '-f', 'c1'],
    ['--root', '/r', 'delete', 'c1', '--force'],
    ['--systemd-cgroup', 'state', 'c1'],
    ['--rootless', 'false', '--criu', '/x', 'state', 'c1'],
    ['--root', '/a', '--root', '/b', 'state', 'c1'],
  ];
  it.each(taken)('takes %j as commander does', async (...args) => {
    const fast = parseFastArgv(args);
    expect(fast).toBeDefined();
    const expected = await commanderParse(args);
    if ('error' in expected) expect(() => checkGlobals(fast!.globals)).toThrow(expected.error);
    else expect(plain(fast)).toEqual(plain(expected));
  });

  const declined = [
    [],
    ['state'],
    ['state', 'a', 'b'],
    ['kill', 'a', 'b', 'c'],
    ['kill', '-9', 'c1'],
    ['delete', '-af', 'c1'],
    ['state', '--help'],
    ['-h'],
    ['--version'],
    ['list'],
    ['create', '--bundle', '/b', 'c1'],
    ['--bogus', 'state', 'c1'],
    ['--root', 'state', 'c1'],
    ['--root'],
    ['--debug=1', 'state', 'c1'],
    ['state', '--', 'c1'],
    ['state', 'c1', '--root', '/r'],
  ];
  it.each(declined)('leaves %j to commander', (...args) => {
    expect(parseFastArgv(args)).toBeUndefined();
  });
});

describe('the two bundles, for the same command line', () => {
  /** each bundle built in memory as scripts/bundle.mjs builds it */
  async function bundle(entry: string): Promise<string> {
    const r = await build({ ...bundleOptions, entryPoints: [`src/cli/${entry}.ts`], write: false, logLevel: 'silent' });
    const file = join(scratch, `${entry}.cjs`);
    writeFileSync(file, r.outputFiles[0]!.text);
    return file;
  }

  function run(file: string, args: string[], log: string) {
    const probe = `require(${JSON.stringify(file)}).main(process.argv).then((taken) => { if (taken === false) process.exit(99); });`;
    const env = { ...process.env, MINICTR_OCI_ROOT: join(scratch, 'root'), MINICTR_OCI_TRACE: '' };
    rmSync(log, { force: true });
    const p = spawnSync(process.execPath, ['-e', probe, '--', 'minictr-oci', ...args.map((a) => a.replace('LOG', log))], { env, encoding: 'utf8' });
    let logged = '';
    try {
      logged = readFileSync(log, 'utf8').replace(/time="[^"]*"|"time":"[^"]*"/g, 'TIME');
    } catch {
      /* no log */
    }
    return { status: p.status, stdout: p.stdout, stderr: p.stderr, logged };
  }

  it('print the same error line, log the same and exit with the same status', async () => {
    const [fast, full] = await Promise.all([bundle('oci-fast'), bundle('oci-main')]);
    const log = join(scratch, 'log');
    const lines = [
      ['--log', 'LOG', 'state', 'nosuch'],
      ['--log', 'LOG', '--log-format', 'json', 'kill', 'nosuch', 'KILL'],
      ['--log', 'LOG', 'delete', '--force', 'nosuch'],
      ['--log', 'LOG', 'state', '../escape'],
      ['--log', 'LOG', '--systemd-cgroup', 'state', 'c1'],
      ['--log', 'LOG', '--rootless', 'true', 'delete', 'c1'],
      ['--log', 'LOG', '--log-format', 'xml', 'state', 'c1'],
    ];
    for (const args of lines) {
      const a = run(fast, args, log);
      const b = run(full, args, log);
      expect(a.status, `${args.join(' ')}: ${a.stderr}`).not.toBe(99);
      expect(a.status).not.toBe(0);
      expect(a.stderr).toMatch(/^minictr-oci: .+\n$/);
      expect(a.logged).toMatch(/error/);
      expect(a, args.join(' ')).toEqual(b);
    }
    // and one it leaves to commander says so (status 99 from the probe)
    expect(run(fast, ['state'], log).status).toBe(99);
  }, 60_000);
});
