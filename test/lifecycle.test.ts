/**
 * Detached containers and their commands: run -d, ps, logs, exec, stop, kill, start,
 * restart, wait, rm, inspect, top, --replicas, and what survives an interrupted minictr.
 * Facts are read from the kernel (/proc, the container's own view), not from our state.
 */
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { leftovers, newSince } from './helpers/container.js';
import { sleep, until } from './helpers/until.js';

// Most describes below run their tests side by side, each with containers of its own (which
// sleep 300 s, not 30: none ends on its own before a slowed-down test looks at it). So the
// containers are removed at the end (and before the host-wide checks at the bottom), not
// after each test, which would take away another test's containers while it runs.
const made: string[] = [];
const removeMade = async (): Promise<void> => {
  if (made.length) await minictr(['rm', '-f', ...made.splice(0)]);
};
afterAll(removeMade);

async function runD(args: string[], name = uniq('lc-')): Promise<{ name: string; id: string }> {
  const r = await minictr(['run', '-d', '--name', name, ...args]);
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

/** A process's parent, as the kernel has it (/proc/PID/stat, field 4). */
const parentOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A container's log file as the monitor framed it: "STREAM TEXT" per record (1 out, 2 err). */
function logRecords(file: string): string[] {
  const b = readFileSync(file);
  const out: string[] = [];
  for (let at = 0; at + 13 <= b.length;) {
    const len = b.readUInt32LE(at + 9);
    out.push(`${b[at]} ${b.subarray(at + 13, at + 13 + len).toString()}`);
    at += 13 + len;
  }
  return out;
}


// (alone, first: it times run -d, which the concurrent tests below would slow down)
describe('run -d', () => {
  it('prints the id, returns at once, and the container keeps running under a small monitor', async () => {
    const t0 = Date.now();
    const { name, id } = await runD(['busybox', 'sleep', '300']);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const info = await inspect(name);
    const pid = info.State.Pid as number;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('sleep\u0000300');
    // its parent is minictr-monitor, a small static program, not node
    const ppid = parentOf(pid);
    expect(readFileSync(`/proc/${ppid}/comm`, 'utf8').trim()).toBe('minictr-monitor');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${ppid}/status`, 'utf8'))![1]);
    expect(rssKiB).toBeLessThanOrEqual(1024);
  });

  it('its monitor keeps the time of each log record without ever touching its vDSO', async () => {
    // The vDSO's page tables would be a third of the monitor's (the monitor reads the clock with
    // the raw syscall): the kernel's smaps shows whether any vDSO page was ever faulted in.
    const before = Date.now();
    const { name } = await runD(['busybox', 'sh', '-c', 'echo tick; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo tock; exec sleep 300']);
    await until('tick in the logs', async () => (await minictr(['logs', name])).stdout.includes('tick'));
    await minictr(['exec', name, 'touch', '/tmp/go']);
    await until('tock in the logs', async () => (await minictr(['logs', name])).stdout.includes('tock'));
    const after = Date.now();
    const pid = (await inspect(name)).State.Pid as number;
    const monitor = parentOf(pid);
    expect(readFileSync(`/proc/${monitor}/comm`, 'utf8').trim()).toBe('minictr-monitor');
    const smaps = readFileSync(`/proc/${monitor}/smaps`, 'utf8');
    const vdso = /\[vdso\]\n(?:.*\n)*?Rss:\s+(\d+) kB/.exec(smaps);
    if (vdso) expect(Number(vdso[1])).toBe(0); // (a kernel without a vDSO has nothing to touch)
    // the times come from that syscall: each record's is the wall clock of its writing
    const stamped = (await minictr(['logs', '-t', name])).stdout.trim().split('\n');
    expect(stamped.map((l) => l.split(' ')[1])).toEqual(['tick', 'tock']);
    for (const l of stamped) {
      const t = Date.parse(l.split(' ')[0]!);
      expect(t).toBeGreaterThanOrEqual(before - 1000);
      expect(t).toBeLessThanOrEqual(after + 1000);
    }
  });

  it('ps lists it (and -a the stopped ones), -q and --format json', async () => {
    const up = await runD(['busybox', 'sleep', '300']);
    const done = await runD(['busybox', 'true']);
    await minictr(['wait', done.name]);
    const ps = await minictr(['ps']);
    expect(ps.stdout).toMatch(new RegExp(`${up.id.slice(0, 12)} .*Up .*${up.name}`));
    expect(ps.stdout).not.toContain(done.name);
    const all = await minictr(['ps', '-a']);
    expect(all.stdout).toMatch(new RegExp(`Exited \\(0\\).*${done.name}`));
    expect((await minictr(['ps', '-q'])).stdout.split('\n')).toContain(up.id.slice(0, 12));
    const json = (await minictr(['ps', '-a', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json.find((j) => j.Names === done.name)?.State).toBe('exited');
  });
});

describe.concurrent('logs', () => {
  it('keeps stdout and stderr apart; --tail; -f follows until exit', async () => {
    // "last" comes when the test says so (not after a sleep that a loaded machine outlasts)
    const { name } = await runD(['busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo last']);
    await until('out5 in the logs', async () => (await minictr(['logs', name])).stdout.includes('out5'));
    const r = await minictr(['logs', name]);
    expect(r.stdout.split('\n').slice(0, 5)).toEqual(['out1', 'out2', 'out3', 'out4', 'out5']);
    expect(r.stderr.split('\n').slice(0, 5)).toEqual(['err1', 'err2', 'err3', 'err4', 'err5']);
    const tail = await minictr(['logs', '--tail', '2', name]);
    // execa drops each stream's last newline: join them with one
    const lines = `${tail.stdout}\n${tail.stderr}`.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => /^(out|err)[45]$/.test(l))).toBe(true);
    // (its status is not checked: the container may end, and take the exec'd touch with it,
    // before touch itself exits; -f below ending with "last" shows the file was made)
    await minictr(['exec', name, 'touch', '/tmp/go']);
    const follow = await minictr(['logs', '-f', name]);
    expect(follow.stdout.trim().split('\n').at(-1)).toBe('last');
  });
});

describe.concurrent('exec', () => {
  it('joins the container\'s namespaces and cgroup, and shows up in its ps', async () => {
    const { name } = await runD(['busybox', 'sleep', '300']);
    const pid = (await inspect(name)).State.Pid as number;
    const r = await minictr(['exec', name, 'sh', '-c', 'ps -o pid,args; for n in pid mnt net uts ipc cgroup; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^\s*1 .*minictr-init -- sleep 300$/m);
    expect(r.stdout).toMatch(/ps -o pid,args/);
    for (const n of ['pid', 'mnt', 'net', 'uts', 'ipc', 'cgroup']) {
      expect(r.stdout).toContain(readlinkSync(`/proc/${pid}/ns/${n}`));
    }
    // in the container's cgroup: the same cgroup as its init, seen through its cgroup namespace
    expect(r.stdout.trim().split('\n').at(-1)).toBe(readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').at(-1)!.replace(/::.*/, '::/'));
  });

  it('has the container\'s security settings, -e, -w, -u, and the command\'s status', async () => {
    const { name } = await runD(['busybox', 'sleep', '300']);
    const r = await minictr(['exec', '-e', 'X=1', '-w', '/tmp', name, 'sh', '-c', 'echo $X $(pwd); grep -E "CapEff|NoNewPrivs" /proc/self/status']);
    expect(r.stdout).toMatch(/^1 \/tmp\nCapEff:\s+00000000a80425fb\nNoNewPrivs:\s+1$/);
    const u = await minictr(['exec', '-u', '1000:1000', name, 'sh', '-c', 'id -u; id -g; grep CapEff /proc/self/status']);
    expect(u.stdout).toMatch(/^1000\n1000\nCapEff:\s+0000000000000000$/);
    expect((await minictr(['exec', name, 'sh', '-c', 'exit 9'])).exitCode).toBe(9);
    const missing = await minictr(['exec', name, 'no-such-cmd']);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toContain('no-such-cmd');
  });

  it('-it gives a terminal like run -it', async () => {
    const { name } = await runD(['busybox', 'sleep', '300']);
    const driver = fileURLToPath(new URL('./helpers/pty-drive.py', import.meta.url));
    const steps = join(tmpdir(), `${uniq('steps-')}.json`);
    writeFileSync(steps, JSON.stringify([{ wait: '# ' }, { send: 'tty; echo "tp=$(cut -d" " -f8 /proc/$$/stat) pg=$(cut -d" " -f5 /proc/$$/stat)"\r' }, { wait: 'tp=' }, { sleep: 0.3 }, { send: 'exit 4\r' }]));
    const r = await execa('python3', [driver, steps, '--', BIN, 'exec', '-it', name, 'sh'], { reject: false });
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    const m = /tp=(\d+) pg=(\d+)/.exec(r.stdout);
    expect(m?.[1]).toBe(m?.[2]);
    expect(r.stdout).toMatch(/EXIT 4\s*$/);
  });
});

describe.concurrent('stop, kill, start, restart, wait, rm', () => {
  it('stop kills a process that ignores SIGTERM after the timeout', async () => {
    const { name } = await runD(['busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
    const t0 = Date.now();
    expect((await minictr(['stop', '-t', '1', name])).exitCode).toBe(0);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5000);
    expect((await inspect(name)).State.ExitCode).toBe(137);
  });

  it('stop sends SIGTERM first', async () => {
    const { name } = await runD(['busybox', 'sh', '-c', 'trap "echo bye; exit 3" TERM; while true; do sleep 0.1; done']);
    await minictr(['stop', name]);
    expect((await inspect(name)).State.ExitCode).toBe(3);
    expect((await minictr(['logs', name])).stdout).toContain('bye');
  });

  it('kill -s delivers a signal; wait prints the exit code', async () => {
    const { name } = await runD(['busybox', 'sh', '-c', 'trap "exit 42" USR1; while true; do sleep 0.1; done']);
    await sleep(200);
    expect((await minictr(['kill', '-s', 'USR1', name])).exitCode).toBe(0);
    expect((await minictr(['wait', name])).stdout.trim()).toBe('42');
  });

  it('start restarts a stopped container with its filesystem kept; restart too', async () => {
    const { name } = await runD(['busybox', 'sh', '-c', 'echo run >> /root/history; cat /root/history | wc -l > /root/count; sleep 300']);
    await minictr(['stop', '-t', '0', name]);
    expect((await minictr(['start', name])).exitCode).toBe(0);
    expect((await minictr(['exec', name, 'cat', '/root/count'])).stdout.trim()).toBe('2');
    const pid1 = (await inspect(name)).State.Pid;
    expect((await minictr(['restart', '-t', '0', name])).exitCode).toBe(0);
    const info = await inspect(name);
    expect(info.State.Running).toBe(true);
    expect(info.State.Pid).not.toBe(pid1);
    expect((await minictr(['exec', name, 'cat', '/root/count'])).stdout.trim()).toBe('3');
  });
});

describe.concurrent('inspect and top', () => {
  it('inspect shows config, state, namespaces (inode numbers from the kernel) and the cgroup', async () => {
    const { name, id } = await runD(['busybox', 'sleep', '300']);
    const info = await inspect(name);
    expect(info.Id).toBe(id);
    expect(info.Config.Cmd).toEqual(['sleep', '300']);
    expect(info.State.Status).toBe('running');
    const inside = await minictr(['exec', name, 'readlink', '/proc/1/ns/net']);
    expect(info.Namespaces.net).toBe(inside.stdout.trim());
    expect(info.Cgroup.Path).toContain(id);
    expect(info.Mounts[0]).toMatchObject({ Type: 'overlay', Destination: '/' });
  });

  it('top lists the container\'s processes with host pids', async () => {
    const { name } = await runD(['busybox', 'sh', '-c', 'sleep 31 & sleep 32']);
    await sleep(200);
    const r = await minictr(['top', name]);
    expect(r.stdout).toMatch(/sleep 31/);
    expect(r.stdout).toMatch(/sleep 32/);
    expect(r.stdout).not.toMatch(/node|vitest/);
  });
});

describe.concurrent('scale', () => {
  it('--replicas 3 starts NAME-1..NAME-3 from one invocation', async () => {
    const name = uniq('rep-');
    const r = await minictr(['run', '-d', '--replicas', '3', '--name', name, 'busybox', 'sleep', '300']);
    made.push(`${name}-1`, `${name}-2`, `${name}-3`);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    for (const i of [1, 2, 3]) expect((await inspect(`${name}-${i}`)).State.Running).toBe(true);
  });

  it('--replicas 12 runs under one minictr-monitor, the parent of all twelve inits; each log holds its own output only', async () => {
    // 12: the monitor keeps 37 fds from the process that cloned them (more than a fixed 32)
    const name = uniq('rep1-');
    const r = await minictr(['run', '-d', '--replicas', '12', '--name', name, 'busybox', 'sh', '-c', 'echo "out $(hostname)"; echo "err $(hostname)" >&2; sleep 300']);
    const names = Array.from({ length: 12 }, (_, i) => `${name}-${i + 1}`);
    made.push(...names);
    expect(r.exitCode).toBe(0);
    const ids = r.stdout.trim().split('\n');
    const parents = await Promise.all(names.map(async (n) => parentOf((await inspect(n)).State.Pid as number)));
    expect(new Set(parents).size).toBe(1);
    expect(readFileSync(`/proc/${parents[0]}/comm`, 'utf8').trim()).toBe('minictr-monitor');
    for (const id of ids) {
      const host = id.slice(0, 12);
      const file = join(process.env.MINICTR_ROOT!, 'containers', id, 'container.log');
      await until('two log records', () => logRecords(file).length >= 2 || undefined);
      expect(logRecords(file).sort()).toEqual([`1 out ${host}\n`, `2 err ${host}\n`]);
    }
  });

  it('--replicas 33: the first 32 under one minictr-monitor, the 33rd under a second one', async () => {
    const name = uniq('rep4-');
    const r = await minictr(['run', '-d', '--replicas', '33', '--name', name, 'busybox', 'sleep', '300']);
    const names = Array.from({ length: 33 }, (_, i) => `${name}-${i + 1}`);
    made.push(...names);
    expect(r.exitCode).toBe(0);
    const parents = await Promise.all(names.map(async (n) => parentOf((await inspect(n)).State.Pid as number)));
    expect(new Set(parents.slice(0, 32)).size).toBe(1);
    expect(parents[32]).not.toBe(parents[0]);
    for (const p of [parents[0]!, parents[32]!]) expect(readFileSync(`/proc/${p}/comm`, 'utf8').trim()).toBe('minictr-monitor');
  }, 60_000);

  it('replicas that exit with different codes have each its own recorded; rm -f of one leaves the others running', async () => {
    const name = uniq('rep2-');
    // each exits with a code of its own, made from its hostname (its id), once /s/HOSTNAME exists
    const dir = mkdtempSync(join(tmpdir(), 'minictr-rep-'));
    const r = await minictr(['run', '-d', '--replicas', '3', '--name', name, '-v', `${dir}:/s`, 'busybox', 'sh', '-c', 'until [ -e /s/$(hostname) ]; do sleep 0.1; done; exit $(( 0x$(hostname | cut -c1-2) % 200 + 1 ))']);
    const names = [1, 2, 3].map((i) => `${name}-${i}`);
    made.push(...names);
    expect(r.exitCode).toBe(0);
    const ids = r.stdout.trim().split('\n');
    const pids = await Promise.all(names.map(async (n) => (await inspect(n)).State.Pid as number));
    const monitor = parentOf(pids[0]!);
    expect((await minictr(['rm', '-f', names[1]!])).exitCode).toBe(0);
    await until('the second container\'s process to end', () => !alive(pids[1]!) || undefined);
    expect([alive(pids[0]!), alive(pids[2]!), alive(monitor)]).toEqual([true, true, true]);
    expect(pids.filter((p) => p !== pids[1]).map(parentOf)).toEqual([monitor, monitor]);
    for (const k of [0, 2]) {
      writeFileSync(join(dir, ids[k]!.slice(0, 12)), '');
      const c = await until(`${names[k]} to be exited`, async () => { const s = (await inspect(names[k]!)).State; return s.Status === 'exited' ? s : undefined; });
      expect(c.ExitCode).toBe(parseInt(ids[k]!.slice(0, 2), 16) % 200 + 1);
    }
    await until('the monitor to end', () => !alive(monitor) || undefined); // the last one gone, its monitor is too
    rmSync(dir, { recursive: true, force: true });
  });

  it('--replicas 3 --rm: each is removed as it exits, while the others still run', async () => {
    const name = uniq('rep3-');
    const dir = mkdtempSync(join(tmpdir(), 'minictr-rep-'));
    const r = await minictr(['run', '-d', '--rm', '--replicas', '3', '--name', name, '-v', `${dir}:/s`, 'busybox', 'sh', '-c', 'until [ -e /s/$(hostname) ]; do sleep 0.1; done']);
    const names = [1, 2, 3].map((i) => `${name}-${i}`);
    made.push(...names);
    expect(r.exitCode).toBe(0);
    const ids = r.stdout.trim().split('\n');
    const pids = await Promise.all(names.map(async (n) => (await inspect(n)).State.Pid as number));
    for (const [k, id] of ids.entries()) {
      writeFileSync(join(dir, id.slice(0, 12)), '');
      await until(`${names[k]} to be gone`, async () => (await minictr(['inspect', names[k]!])).exitCode !== 0 || undefined);
      expect(existsSync(join(process.env.MINICTR_ROOT!, 'containers', id))).toBe(false);
      expect(pids.slice(k + 1).map(alive)).toEqual(pids.slice(k + 1).map(() => true));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('20 concurrent run -d give 20 distinct working containers', async () => {
    const names = Array.from({ length: 20 }, () => uniq('cc-'));
    made.push(...names);
    const results = await Promise.all(names.map((n) => minictr(['run', '-d', '--name', n, 'busybox', 'sleep', '300'])));
    expect(results.map((r) => r.exitCode)).toEqual(names.map(() => 0));
    const ids = new Set(results.map((r) => r.stdout.trim()));
    expect(ids.size).toBe(20);
    const hostnames = await Promise.all(names.map((n) => minictr(['exec', n, 'hostname'])));
    expect(new Set(hostnames.map((h) => h.stdout.trim())).size).toBe(20);
  }, 120_000);
});

describe.concurrent('state you can trust', () => {
  it('a container recorded as running whose process is gone is shown as exited', async () => {
    const { name, id } = await runD(['busybox', 'sleep', '300']);
    const dir = join(process.env.MINICTR_ROOT!, 'containers', id);
    const pid = (await inspect(name)).State.Pid as number;
    // as after a reboot: the monitor and init are gone and nothing recorded the exit
    const monitor = parentOf(pid);
    process.kill(monitor, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    await until(`process ${pid} to end`, () => { try { process.kill(pid, 0); return undefined; } catch { return true; } });
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).status).toBe('running');
    expect((await inspect(name)).State.Status).toBe('exited');
    expect((await minictr(['ps'])).stdout).not.toContain(name);
  });

  it('unknown containers and bad flags get one clear line and a non-zero status', async () => {
    for (const args of [['exec', 'nope-x', 'true'], ['stop', 'nope-x'], ['logs', 'nope-x'], ['rm', 'nope-x'], ['inspect', 'nope-x'], ['kill', 'nope-x'], ['start', 'nope-x']]) {
      const r = await minictr(args);
      expect(r.exitCode, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim()).toBe('minictr: no such container: nope-x');
    }
    const { name } = await runD(['busybox', 'sleep', '300']);
    const bad = await minictr(['kill', '-s', 'NOPE', name]);
    expect(bad.stderr.trim()).toBe('minictr: invalid signal "NOPE"');
  });
});

// What each of these leaves is compared with a host-wide snapshot (and prune removes every
// stopped container), so they run alone, after the containers above are gone.
describe('nothing left behind', () => {
  beforeAll(removeMade);

  it('rm refuses a running container; rm -f kills it; nothing is left', async () => {
    const before = await leftovers();
    const { name } = await runD(['busybox', 'sleep', '300']);
    const pid = (await inspect(name)).State.Pid as number;
    const r = await minictr(['rm', name]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/is running/);
    expect((await minictr(['rm', '-f', name])).exitCode).toBe(0);
    made.splice(made.indexOf(name), 1);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(newSince(before, await leftovers())).toEqual([]);
  });

  it('rm -f of many removes them side by side: each ref reported in the order given, a bad one named, nothing left', async () => {
    const before = await leftovers();
    const base = uniq('many-');
    const r0 = await minictr(['run', '-d', '--replicas', '3', '--name', base, 'busybox', 'sleep', '300']);
    expect(r0.exitCode).toBe(0);
    const names = [1, 2, 3].map((i) => `${base}-${i}`);
    const pids = await Promise.all(names.map(async (n) => (await inspect(n)).State.Pid as number));
    const missing = uniq('nope-');
    const r = await minictr(['rm', '-f', names[2]!, missing, names[0]!, names[1]!]);
    expect(r.stdout.trim().split('\n')).toEqual([names[2], names[0], names[1]]);
    expect(r.stderr.trim()).toBe(`minictr: no such container: ${missing}`);
    expect(r.exitCode).not.toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(newSince(before, await leftovers())).toEqual([]);
  });

  it('kill -9 of the monitor of --replicas 3: ps still shows all three, rm -f removes all, nothing is left', async () => {
    const before = await leftovers();
    const base = uniq('mk-');
    const r0 = await minictr(['run', '-d', '--replicas', '3', '--name', base, 'busybox', 'sleep', '300']);
    expect(r0.exitCode).toBe(0);
    const names = [1, 2, 3].map((i) => `${base}-${i}`);
    const pids = await Promise.all(names.map(async (n) => (await inspect(n)).State.Pid as number));
    const monitor = parentOf(pids[0]!);
    expect(readFileSync(`/proc/${monitor}/comm`, 'utf8').trim()).toBe('minictr-monitor');
    process.kill(monitor, 'SIGKILL');
    await until('the monitor to end', () => !alive(monitor) || undefined);
    expect(pids.map(alive)).toEqual([true, true, true]);
    const ps = (await minictr(['ps'])).stdout;
    for (const n of names) expect(ps).toContain(n);
    expect((await minictr(['rm', '-f', ...names])).exitCode).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(newSince(before, await leftovers())).toEqual([]);
  });

  it('run -d --rm removes itself when it exits', async () => {
    const before = await leftovers();
    const name = uniq('rm-');
    await minictr(['run', '-d', '--rm', '--name', name, 'busybox', 'true']);
    await until(`${name} to be gone`, async () => (await minictr(['inspect', name])).exitCode !== 0, 10_000);
    expect(newSince(before, await leftovers())).toEqual([]);
  });

  it('SIGKILL of minictr during run: the container dies with it and prune cleans up', async () => {
    const before = await leftovers();
    const name = uniq('crash-');
    const run = execa(BIN, ['run', '--rm', '--name', name, 'busybox', 'sh', '-c', 'echo up; sleep 30'], { reject: false });
    await new Promise<void>((resolve) => run.stdout!.once('data', () => resolve()));
    const pid = (await inspect(name)).State.Pid as number;
    run.kill('SIGKILL');
    await run;
    await until(`process ${pid} to end`, () => { try { process.kill(pid, 0); return undefined; } catch { return true; } });
    const prune = await minictr(['system', 'prune']);
    expect(prune.exitCode).toBe(0);
    expect(prune.stdout).toContain(name);
    expect(newSince(before, await leftovers())).toEqual([]);
  });
});
