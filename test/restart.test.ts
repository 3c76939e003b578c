/**
 * Restart policies (run -d --restart) and health checks (--health-cmd): carried out after the
 * container's process ends under minictr-monitor. Facts: runs counted by a line each run
 * appends to a bind-mounted host file, processes and cgroups read from /proc and /sys.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findStaticBusybox } from '../src/image/busybox.js';
import { minictr, uniq } from './helpers/cli.js';
import { pushImage, startRegistry } from './helpers/registry.js';
import { hostCgroupDirs } from './helpers/cgroup.js';
import { leftovers, newSince } from './helpers/container.js';
import { sleep, until } from './helpers/until.js';

const host = mkdtempSync(join(tmpdir(), 'minictr-restart-'));
afterAll(() => rmSync(host, { recursive: true, force: true }));

// The health check tests run side by side (they mostly wait out 1 s intervals, each with
// containers of its own), so what the tests made is removed at the end, not after each test
// (which would take away another test's containers while it runs).
const made: string[] = [];
afterAll(async () => {
  if (made.length) await minictr(['rm', '-f', ...made.splice(0)]);
});


/** A fresh host file bind-mounted at /h/runs: each run of the container appends a line. */
function runsFile(): { dir: string; count: () => number } {
  const dir = mkdtempSync(join(host, 'h-'));
  appendFileSync(join(dir, 'runs'), '');
  return { dir, count: () => readFileSync(join(dir, 'runs'), 'utf8').split('\n').filter(Boolean).length };
}

async function runD(args: string[]): Promise<{ name: string; id: string }> {
  const name = uniq('rs-');
  // no network: these tests are about processes, and need no bridge
  const r = await minictr(['run', '-d', '--name', name, '--network', 'none', ...args]);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  made.push(name);
  return { name, id: r.stdout.trim() };
}

async function inspect(name: string): Promise<any> {
  const r = await minictr(['inspect', name]);
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout)[0];
}

async function psStatus(name: string): Promise<string | undefined> {
  const r = await minictr(['ps', '-a', '--format', 'json']);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((j) => j.Names === name)?.Status;
}

/** What appeared since `before` and is this test's: this state root's container dirs and
 * names, and kernel objects naming one of `keys` (other engineers' objects come and go).
 * Among tests running side by side, `ownOnly` leaves out the container dirs and names of the
 * others: a container's dir is named by its id, its name entry by its name. */
async function newOf(before: Awaited<ReturnType<typeof leftovers>>, keys: string[], ownOnly = false): Promise<string[]> {
  return newSince(before, await leftovers()).filter((l) => (!ownOnly && l.startsWith('container ')) || keys.some((k) => l.includes(k)));
}

/** Host processes whose command line names the container (its init, monitor, restarter). */
function processesOf(id: string): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(id)) out.push(`${p}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

// (one after another: side by side with each other, the always test's container was not
// brought back within 30 s, though it is within 2 s alone; not yet understood, see the
// commit message)
describe('--restart', () => {
  it('on-failure:2 runs a failing command exactly 3 times, then leaves it exited with its code', async () => {
    const runs = runsFile();
    const { name } = await runD(['--restart', 'on-failure:2', '-v', `${runs.dir}:/h`, 'busybox', 'sh', '-c', 'echo run >> /h/runs; exit 3']);
    await until('3 runs', () => runs.count() >= 3);
    const info = await until('the policy is done', async () => {
      const i = await inspect(name);
      return i.State.Status === 'exited' && i.RestartCount === 2 ? i : undefined;
    });
    expect(info.State.ExitCode).toBe(3);
    expect(info.State.Restarting).toBe(false);
    expect(info.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
    // the third exit's `minictr restart-policy` (a node start, slow on a loaded machine)
    // decides not to restart and ends: waited for, not assumed done within the sleep below
    await until('the policy\'s last process ended', () => processesOf(info.Id).length === 0, 15_000);
    await sleep(1500); // longer than the next back-offs (100, 200, 400 ms): no 4th run comes
    expect(runs.count()).toBe(3);
    expect(await psStatus(name)).toMatch(/^Exited \(3\) /);
    expect(processesOf(info.Id)).toEqual([]);
  });

  it('always brings back a command that exited 0 (a new process); stop, and kill, end it for good', async () => {
    const runs = runsFile();
    // the first run lasts 1 s, every later one 60 s: a run brought back stays up while the
    // test looks at it (a loaded machine outlasted a second 1 s run between inspect and ps)
    const { name, id } = await runD(['--restart', 'always', '-v', `${runs.dir}:/h`, 'busybox', 'sh', '-c', 'echo run >> /h/runs; [ $(wc -l < /h/runs) -gt 1 ] && exec sleep 60; sleep 1']);
    const first = (await inspect(name)).State.Pid as number;
    const again = await until('a second process', async () => {
      const i = await inspect(name);
      return i.State.Running && i.State.Pid !== first ? i : undefined;
    });
    expect(existsSync(`/proc/${first}`)).toBe(false);
    // the new process is the container's init (that run lasts 60 s: it is still there)
    expect(readFileSync(`/proc/${again.State.Pid}/cmdline`, 'utf8')).toContain('minictr-init');
    expect(again.RestartCount).toBeGreaterThanOrEqual(1);
    expect(runs.count()).toBeGreaterThanOrEqual(2);
    expect(await psStatus(name)).toMatch(/^Up /);

    const stop = await minictr(['stop', '-t', '1', name]);
    expect(stop.exitCode).toBe(0);
    const n = runs.count();
    // the stopped run's `minictr restart-policy` sees the stop and ends (waited for: a node
    // start can outlast a fixed sleep on a loaded machine)
    await until('the policy\'s process ended', () => processesOf(id).length === 0, 15_000);
    await sleep(2500); // longer than the next back-off (at most 800 ms here) and a start
    expect(runs.count()).toBe(n);
    expect((await inspect(name)).State.Status).toBe('exited');
    expect(processesOf(id)).toEqual([]);

    // a start by hand counts from 0 again; kill is never undone either
    expect((await minictr(['start', name])).exitCode).toBe(0);
    const started = await inspect(name);
    expect(started.RestartCount).toBe(0);
    expect((await minictr(['kill', name])).exitCode).toBe(0);
    const k = runs.count();
    await sleep(1500);
    expect(runs.count()).toBe(k);
    expect(existsSync(`/proc/${started.State.Pid}`)).toBe(false);
    expect((await inspect(name)).State).toMatchObject({ Status: 'exited', ExitCode: 137 });
  });

  it('rm -f while a restart waits out its back-off wins: no process, cgroup, monitor or dir left', async () => {
    const runs = runsFile();
    const before = await leftovers();
    const { name, id } = await runD(['--restart', 'always', '-v', `${runs.dir}:/h`, 'busybox', 'sh', '-c', 'echo run >> /h/runs; exit 1']);
    // the back-off doubles (100, 200, 400, 800 ms ...): ps catches it restarting
    await until('restarted once, and ps shows it Restarting (1) again', async () => runs.count() >= 2 && /^Restarting \(1\) /.test((await psStatus(name)) ?? ''), 15_000);
    const rm = await minictr(['rm', '-f', name]);
    expect(rm.exitCode).toBe(0);
    made.splice(made.indexOf(name), 1);
    await until('no process of the container', () => processesOf(id).length === 0, 3000);
    const n = runs.count();
    await sleep(1500);
    expect(runs.count()).toBe(n);
    expect(processesOf(id)).toEqual([]);
    expect(hostCgroupDirs(id)).toEqual([]);
    expect(await newOf(before, [id, id.slice(0, 11), name], true)).toEqual([]);
  });
});

describe('--restart without -d (as Docker)', () => {
  it('run prints the first run\'s output and returns its status; the monitor carries out the policy after it; with -t it is one line', async () => {
    const runs = runsFile();
    const name = uniq('rs-');
    made.push(name);
    const r = await minictr(['run', '--name', name, '--network', 'none', '--restart', 'on-failure:1', '-v', `${runs.dir}:/h`, 'busybox', 'sh', '-c', 'echo run >> /h/runs; echo out; echo err >&2; exit 3']);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([3, 'out', 'err']);
    await until('the policy\'s run', () => runs.count() >= 2);
    const info = await until('the policy is done', async () => {
      const i = await inspect(name);
      return i.State.Status === 'exited' && i.RestartCount === 1 ? i : undefined;
    });
    expect([info.State.ExitCode, runs.count()]).toEqual([3, 2]);
    const tty = await minictr(['run', '-t', '--network', 'none', '--restart', 'always', 'busybox', 'true']);
    expect([tty.exitCode, tty.stderr.split('\n')[0]]).toEqual([125, 'minictr: --restart without -d cannot be used with -i or -t: the monitor that carries it out keeps no terminal (run it with -d, then minictr exec -it)']);
  });
});

describe.concurrent('--health-cmd', () => {
  it('starting, then unhealthy, then healthy once the checked file exists in the container', async () => {
    const { name, id } = await runD(['--health-cmd', 'test -f /tmp/ok', '--health-interval', '1s', '--health-retries', '2', 'busybox', 'sleep', '60']);
    expect(await psStatus(name)).toMatch(/^Up .* \(health: starting\)$/);
    const sick = await until('unhealthy', async () => {
      const i = await inspect(name);
      return i.State.Health.Status === 'unhealthy' ? i : undefined;
    });
    // two failures in a row (retries 2), each the check's own exit status in the container
    expect(sick.State.Health.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(sick.State.Health.Log.slice(-2).map((l: any) => l.ExitCode)).toEqual([1, 1]);
    expect(sick.Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 1e9, Retries: 2 });
    expect(await psStatus(name)).toMatch(/^Up .* \(unhealthy\)$/);
    expect(sick.State.Running).toBe(true); // an unhealthy container is reported, not restarted
    expect((await minictr(['exec', name, 'touch', '/tmp/ok'])).exitCode).toBe(0);
    const well = await until('healthy', async () => {
      const i = await inspect(name);
      return i.State.Health.Status === 'healthy' ? i : undefined;
    });
    expect(well.State.Health.FailingStreak).toBe(0);
    expect(well.State.Health.Log.at(-1).ExitCode).toBe(0);
    expect(well.State.Health.Log.length).toBeLessThanOrEqual(5);
    expect(well.State.Pid).toBe(sick.State.Pid);
    expect(await psStatus(name)).toMatch(/^Up .* \(healthy\)$/);
    await minictr(['rm', '-f', name]);
    made.splice(made.indexOf(name), 1);
    // the monitor kills a probe still running when the container ends
    await until('no process of the container', () => processesOf(id).length === 0, 3000);
  });
});

describe.concurrent("the image's HEALTHCHECK", () => {
  it('is run as the image says; --no-healthcheck turns it off', async () => {
    const reg = await startRegistry();
    try {
      const repo = `test/${uniq('hc')}`;
      const busybox = readFileSync(await findStaticBusybox());
      await pushImage(reg.host, repo, {
        tag: 'v1',
        layers: [{
          compression: 'gzip',
          entries: [
            { name: 'bin/', type: 'directory' },
            { name: 'bin/busybox', data: busybox, mode: 0o755 },
            ...['sh', 'sleep', 'test', 'echo'].map((a) => ({ name: `bin/${a}`, type: 'symlink' as const, linkname: 'busybox' })),
            { name: 'etc/', type: 'directory' },
            { name: 'etc/ready', content: 'yes\n' },
          ],
        }],
        config: { Cmd: ['sleep', '60'], Healthcheck: { Test: ['CMD-SHELL', 'test -f /etc/ready && echo ready'], Interval: 500_000_000, Retries: 1 } },
      });
      const ref = `${reg.host}/${repo}:v1`;
      expect((await minictr(['pull', '-q', ref])).exitCode).toBe(0);
      const on = await runD([ref]);
      const well = await until('healthy', async () => {
        const i = await inspect(on.name);
        return i.State.Health?.Status === 'healthy' ? i : undefined;
      });
      expect(well.Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'test -f /etc/ready && echo ready'], Interval: 500_000_000, Retries: 1 });
      expect(well.State.Health.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'ready\n' });
      const off = await runD(['--no-healthcheck', ref]);
      await sleep(1200); // two of the image's intervals
      const i = await inspect(off.name);
      expect(i.State.Running).toBe(true);
      expect(i.State.Health).toBeUndefined();
      expect(i.Config.Healthcheck).toBeUndefined();
      expect(await psStatus(off.name)).toMatch(/^Up [^(]*$/);
      for (const c of [on.name, off.name]) made.splice(made.indexOf(c), 1);
      await minictr(['rm', '-f', on.name, off.name]);
      expect((await minictr(['rmi', ref])).exitCode).toBe(0);
    } finally {
      await reg.stop();
    }
  });
});

describe('bad values', () => {
  it.each([
    [['--restart', 'sometimes'], 'minictr: invalid --restart "sometimes": expected no, on-failure[:N], always or unless-stopped'],
    [['--restart', 'always', '--rm'], 'minictr: conflicting options: --restart and --rm'],
    [['--health-cmd', 'true', '--health-interval', '-1s'], 'minictr: invalid --health-interval "-1s": cannot be negative'],
    [['--health-cmd', 'true', '--health-timeout', 'soon'], 'minictr: invalid --health-timeout "soon": expected a duration such as 30s, 500ms or 1m30s'],
    [['--no-healthcheck', '--health-cmd', 'true'], 'minictr: --no-healthcheck conflicts with the --health-* options'],
  ])('%j: one line, exit 125, nothing created', async (flags, line) => {
    const before = await leftovers();
    const name = uniq('rs-');
    const r = await minictr(['run', '-d', '--name', name, '--network', 'none', ...flags, 'busybox', 'true']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr.split('\n')[0]).toBe(line);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2); // the line, and "See 'minictr run --help'."
    expect(await newOf(before, [name])).toEqual([]);
  });
});
