/**
 * State you can trust (issue 13): names that would reach outside the store, broken records,
 * bridge names of look-alike networks, and the shape of every error a user can cause. Each
 * case runs in its own MINICTR_ROOT/MINICTR_RUN (a broken record must not disturb other
 * tests) and compares the store and the kernel's objects before and after.
 */
import { execa, execaSync } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minictr, uniq, type CliResult } from './helpers/cli.js';
import { diffSnapshots, snapshotKernelObjects } from './helpers/leaks.js';
import { until } from './helpers/until.js';

let base: string;
let env: Record<string, string>;
const cli = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> => minictr(args, { env: { ...env, ...extra } });
const root = (): string => env.MINICTR_ROOT!;
const OVS = execaSync('sh', ['-c', 'command -v ovs-vsctl'], { reject: false }).exitCode === 0;

/** every path below the state roots, with its size: "nothing changed" is this, equal */
function storeSnapshot(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (p.includes('/locks/')) continue; // lock files come and go with every command
      // a finished --rm run's dir, renamed to tmp/rm-* and removed in the background after its
      // exit status was delivered (runtime/store.ts): not state, and gone at any moment
      if (/\/tmp\/rm-[^/]*/.test(p.slice(root().length))) continue;
      out.push(e.isDirectory() ? `${p}/` : `${p} ${statSync(p).size}`);
      if (e.isDirectory()) walk(p);
    }
  };
  for (const d of [env.MINICTR_ROOT!, env.MINICTR_RUN!]) if (existsSync(d)) walk(d);
  return out.sort();
}

/** a user's error: non-zero, one line (a second only for a "See ... --help" hint), no stack */
function expectOneLine(r: CliResult, status: number, message: RegExp): void {
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(r.exitCode, r.stderr).toBe(status);
  expect(lines[0]).toMatch(message);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(lines[1]?.startsWith('See ') ? 2 : 1);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
  const store = storeSnapshot();
  const kernel = await snapshotKernelObjects();
  const result = await fn();
  expect(storeSnapshot()).toEqual(store);
  expect(diffSnapshots(kernel, await snapshotKernelObjects())).toEqual([]);
  return result;
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'minictr-trust-'));
  env = { MINICTR_ROOT: join(base, 'root'), MINICTR_RUN: join(base, 'run') };
});
afterAll(async () => {
  const ids = (await cli(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await cli(['rm', '-f', ...ids]);
  for (const n of (await cli(['network', 'ls'])).stdout.split('\n').slice(1)) {
    const name = n.split(/\s+/)[0];
    if (name) await cli(['network', 'rm', '-f', name]);
  }
  rmSync(base, { recursive: true, force: true });
});

describe('names never reach a path', () => {
  it('rm, inspect, exec, logs of ".", ".." and paths: no such container, nothing touched', async () => {
    await cli(['run', '--rm', 'busybox', 'true']); // a store with an image and .names/
    // its detached cleaner gives the address back and removes the retired dir after the exit:
    // the snapshot below is taken once it is done
    const ls = (d: string): string[] => (existsSync(d) ? readdirSync(d) : []);
    await until('the --rm run\'s cleaner is done', () => ls(join(root(), 'networks', 'bridge', 'ips')).length === 0 && ls(join(root(), 'tmp')).every((d) => !d.startsWith('rm-')));
    // a decoy where "../.." would lead from containers/.names
    writeFileSync(join(root(), 'decoy'), 'keep me');
    // the 30 calls run side by side (each must fail alike and touch nothing, whatever the order)
    await unchanged(async () => {
      const calls = ['.', '..', '../decoy', 'a/b', ''].flatMap((ref) =>
        [['rm', '-f'], ['inspect'], ['exec'], ['logs'], ['stop'], ['kill']].map((cmd) => (cmd[0] === 'exec' ? [...cmd, ref, 'true'] : [...cmd, ref])));
      for (const r of await Promise.all(calls.map((args) => cli(args)))) expectOneLine(r, 1, /^minictr: (no such container: |invalid)/);
    });
    expect(readFileSync(join(root(), 'decoy'), 'utf8')).toBe('keep me');
  });

  it('network rm and inspect of ../../x never read or delete outside the store', async () => {
    mkdirSync(join(base, 'outside'), { recursive: true });
    writeFileSync(join(base, 'outside', 'x.json'), '{"name":"x","driver":"linux","bridge":"eth0","subnet":"10.1.0.0/24","gateway":"10.1.0.1"}');
    mkdirSync(join(base, 'outside', 'x'), { recursive: true });
    await unchanged(async () => {
      for (const ref of ['../../outside/x', '../outside/x', '..', 'a/b']) {
        expectOneLine(await cli(['network', 'rm', '-f', ref]), 1, /^minictr: no such network: /);
        expectOneLine(await cli(['network', 'inspect', ref]), 1, /^minictr: no such network: /);
      }
      expectOneLine(await cli(['network', 'create', '../x']), 2, /^minictr: invalid network name "\.\.\/x"/);
    });
    expect(existsSync(join(base, 'outside', 'x.json')) && existsSync(join(base, 'outside', 'x'))).toBe(true);
  });
});

describe('look-alike network names get their own bridge', () => {
  it('a.b and ab, and two long names with one start, are four switches', async () => {
    const r = uniq('', 4);
    const nets = [`a.b${r}`, `ab${r}`, `longnetname${r}1`, `longnetname${r}2`];
    const masters: string[] = [];
    for (const n of nets) {
      expect((await cli(['network', 'create', n])).exitCode).toBe(0);
      const c = await cli(['run', '-d', '--name', `c-${n}`, '--network', n, 'busybox', 'sleep', '60']);
      expect(c.stderr).toBe('');
      const id = (JSON.parse((await cli(['inspect', `c-${n}`])).stdout) as { Id: string }[])[0]!.Id;
      // the kernel's answer: the bridge the container's host-side veth is enslaved to
      const veth = `veth${String(id).slice(0, 11)}`;
      masters.push((await execa('readlink', ['-f', `/sys/class/net/${veth}/master`])).stdout.split('/').pop()!);
    }
    expect(new Set(masters).size).toBe(4);
    for (const m of masters) expect(readdirSync(`/sys/class/net/${m}/brif`)).toHaveLength(1);
    await cli(['rm', '-f', ...nets.map((n) => `c-${n}`)]);
    for (const n of nets) expect((await cli(['network', 'rm', n])).exitCode).toBe(0);
    for (const m of masters) expect(existsSync(`/sys/class/net/${m}`)).toBe(false);
  });
});

describe('broken records are reported and kept', () => {
  it('a running container with a truncated config.json: ps lists it, prune keeps it and its process, rm -f removes it', async () => {
    const name = uniq('live-');
    expect((await cli(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'echo data > /kept; exec sleep 300'])).exitCode).toBe(0);
    const inspect = JSON.parse((await cli(['inspect', name])).stdout)[0] as { Id: string; State: { Pid: number } };
    const dir = join(root(), 'containers', inspect.Id);
    const pid = inspect.State.Pid;
    for (let i = 0; i < 50 && !existsSync(join(dir, 'upper', 'kept')); i++) await new Promise((res) => setTimeout(res, 50));
    truncateSync(join(dir, 'config.json'), 20);

    const ps = await cli(['ps']);
    expect(ps.exitCode).toBe(0);
    expect(ps.stdout).toContain(`${inspect.Id.slice(0, 12)}   ?`);
    expect(ps.stdout).toContain('Broken record');
    expect(ps.stderr).toMatch(new RegExp(`^minictr: broken container record ${dir}/config.json: .*kept; see 'minictr system check'\\)$`));

    const prune = await cli(['system', 'prune']);
    expect(prune.exitCode).toBe(0);
    expect(prune.stderr).toContain(`kept ${dir}/config.json`);
    expect(readFileSync(join(dir, 'upper', 'kept'), 'utf8')).toBe('data\n');
    expect(existsSync(join(dir, 'state.json'))).toBe(true);
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(existsSync(join(root(), 'containers', '.names', name))).toBe(true);

    const check = await cli(['system', 'check']);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain(`broken container record ${dir}/config.json`);
    expect(check.stdout).toContain(`minictr rm -f ${inspect.Id.slice(0, 12)}`);

    expectOneLine(await cli(['rm', name]), 1, /^minictr: container record .* is broken .*'minictr rm -f /);
    expectOneLine(await cli(['inspect', name]), 1, /is broken/);
    expect(() => process.kill(pid, 0)).not.toThrow();

    const rm = await cli(['rm', '-f', name]);
    expect(rm.stderr).toBe('');
    expect(rm.exitCode).toBe(0);
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((res) => setTimeout(res, 20));
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(root(), 'containers', '.names', name))).toBe(false);
    expect((await cli(['system', 'check'])).stdout).toBe('no broken records');
  });

  it.skipIf(!OVS)('rm -f of a broken record on two OVS networks removes both of its switch ports (eth0 and eth1) and their flows (skipped without Open vSwitch)', async () => {
    const [n1, n2, name] = [uniq('bo1-'), uniq('bo2-'), uniq('bovs-')];
    for (const n of [n1, n2]) expect((await cli(['network', 'create', '--driver', 'ovs', n])).exitCode).toBe(0);
    const bridges = (JSON.parse((await cli(['network', 'inspect', n1, n2])).stdout) as { bridge: string }[]).map((n) => n.bridge);
    const ports = async (br: string): Promise<string[]> => (await execa('ovs-vsctl', ['--timeout=5', 'list-ports', br])).stdout.split('\n').filter(Boolean);
    // the flows minictr gave the container (its id is their cookie), as ovs-ofctl lists them
    const flows = async (br: string, id: string): Promise<number> => (await execa('ovs-ofctl', ['dump-flows', br, `cookie=0x${id.slice(0, 16)}/-1`])).stdout.split('\n').filter((l) => l.includes('cookie=')).length;
    try {
      expect((await cli(['run', '-d', '--name', name, '--network', n1, 'busybox', 'sleep', '300'])).exitCode).toBe(0);
      expect((await cli(['network', 'connect', n2, name])).exitCode).toBe(0);
      const id = (JSON.parse((await cli(['inspect', name])).stdout)[0] as { Id: string }).Id;
      // as OVS sees them: the container's port on each switch, and flows that name it
      const before = await Promise.all(bridges.map(ports));
      expect(before.map((p) => p.length)).toEqual([1, 1]);
      expect(before[1]![0]).toMatch(/-1$/);
      for (const br of bridges) expect(await flows(br, id)).toBeGreaterThan(0);
      truncateSync(join(root(), 'containers', id, 'config.json'), 20);
      const rm = await cli(['rm', '-f', name]);
      expect(rm.exitCode, rm.stderr).toBe(0);
      expect(await Promise.all(bridges.map(ports))).toEqual([[], []]);
      for (const br of bridges) expect(await flows(br, id)).toBe(0);
      expect(existsSync(join(root(), 'containers', id))).toBe(false);
    } finally {
      await cli(['rm', '-f', name]);
      for (const n of [n1, n2]) await cli(['network', 'rm', '-f', n]);
    }
  });

  it('an --rm container with a garbled state.json, and a name entry that is a directory, are kept', async () => {
    const name = uniq('rm-');
    expect((await cli(['run', '--name', name, '-d', '--rm', 'busybox', 'sleep', '300'])).exitCode).toBe(0);
    const id = JSON.parse((await cli(['inspect', name])).stdout)[0].Id as string;
    const dir = join(root(), 'containers', id);
    writeFileSync(join(dir, 'state.json'), '{"status":"sleeping"}');
    mkdirSync(join(root(), 'containers', '.names', 'adir'));
    const before = storeSnapshot();
    const prune = await cli(['system', 'prune']);
    expect(prune.exitCode).toBe(0);
    expect(prune.stderr).toContain(`kept ${dir}/state.json: unknown status "sleeping"`);
    expect(prune.stderr).toContain('.names/adir');
    expect(storeSnapshot()).toEqual(before);
    const check = await cli(['system', 'check']);
    expect(check.stdout).toContain(`broken container record ${dir}/state.json`);
    expect(check.stdout).toContain('broken container name record');
    expectOneLine(await cli(['run', '--name', 'adir', 'busybox', 'true']), 125, /^minictr: container name "adir" is already in use$/);
    rmSync(join(root(), 'containers', '.names', 'adir'), { recursive: true });
    expect((await cli(['rm', '-f', id])).exitCode).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it('a broken network record: ls lists it, run names it, rm -f removes it', async () => {
    const net = uniq('bn');
    expect((await cli(['network', 'create', net])).exitCode).toBe(0);
    const file = join(root(), 'networks', `${net}.json`);
    writeFileSync(file, '{"name":');
    const ls = await cli(['network', 'ls']);
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`^${net}\\s+broken`, 'm'));
    expect(ls.stderr).toContain(`broken network record ${file}`);
    await unchanged(async () => {
      expectOneLine(await cli(['run', '--rm', '--network', net, 'busybox', 'true']), 125, new RegExp(`network record ${file} is broken`));
      expectOneLine(await cli(['network', 'rm', net]), 1, /is broken .*network rm -f/);
    });
    expect((await cli(['network', 'rm', '-f', net])).exitCode).toBe(0);
    expect(existsSync(file)).toBe(false);
  });
});

describe('every error a user can cause is one line', () => {
  it('unknown flags and dash arguments: the error and a hint; docker run exits 125', async () => {
    await unchanged(async () => {
      expectOneLine(await cli(['run', '--no-such-flag', 'busybox']), 125, /^minictr: unknown option '--no-such-flag'$/);
      expect((await cli(['run', '--no-such-flag', 'busybox'])).stderr).toContain("See 'minictr run --help'.");
      expectOneLine(await cli(['import', 'f', '-x']), 2, /^minictr: unknown option '-x'$/);
      expectOneLine(await cli(['net', 'ns', 'add', '-x']), 2, /^minictr: unknown option '-x'$/);
      expectOneLine(await cli(['no-such-command']), 2, /^minictr: unknown command 'no-such-command'/);
      expectOneLine(await cli(['run', '--name', '../x', 'busybox']), 125, /^minictr: invalid container name "\.\.\/x"/);
    });
  });

  it('a state root that is a file', async () => {
    writeFileSync(join(base, 'afile'), '');
    const refused = await Promise.all([['ps'], ['images'], ['network', 'ls'], ['system', 'prune']].map((cmd) => cli(cmd, { MINICTR_ROOT: join(base, 'afile') })));
    for (const r of refused) expectOneLine(r, 2, /^minictr: MINICTR_ROOT .*afile is not a directory$/);
    expectOneLine(await cli(['ps'], { MINICTR_RUN: join(base, 'afile') }), 2, /^minictr: MINICTR_RUN .*afile is not a directory$/);
  });

  it('a store dir that is a file is one line naming it', async () => {
    const r2 = join(base, 'root2');
    mkdirSync(r2, { recursive: true });
    writeFileSync(join(r2, 'containers'), '');
    writeFileSync(join(r2, 'networks'), '');
    expectOneLine(await cli(['ps', '-a'], { MINICTR_ROOT: r2 }), 1, /containers cannot be listed \(ENOTDIR\)/);
    expectOneLine(await cli(['network', 'ls'], { MINICTR_ROOT: r2 }), 1, /networks cannot be listed \(ENOTDIR\)/);
  });
});
