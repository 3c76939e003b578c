/**
 * Limits really enforced by the kernel, each seen from inside the container: a fork bomb
 * stops at --pids-limit, a memory hog is OOM-killed, a busy loop gets --cpus worth of CPU,
 * pause freezes, update changes a live limit, /sys/fs/cgroup shows the container's own
 * cgroup as root (read-only), and rm leaves no cgroup behind. Runs on the host (hybrid/v1)
 * and in the cgroup-v2 VM (test/vm/run-vm-tests.sh).
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';
import { buildForkBomb, files, hostCgroupDirs, inside, unified } from './helpers/cgroup.js';
import { sleep, until } from './helpers/until.js';

const made: string[] = [];
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(process.env.MINICTR_TEST_BASE ?? tmpdir(), 'cg-'));
  const r = await minictr(['run', '--rm', 'busybox', 'true']); // the image, built once
  ok(r);
});
afterEach(async () => {
  if (made.length) await minictr(['rm', '-f', ...made.splice(0)]);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));


async function runD(args: string[]): Promise<{ name: string; id: string }> {
  const name = uniq('cg-');
  const r = await minictr(['run', '-d', '--name', name, ...args]);
  expect(r.stderr).toBe('');
  ok(r);
  made.push(name);
  return { name, id: r.stdout.trim() };
}

/** exit status 0, with stderr in the failure message when not */
function ok(r: { exitCode?: number; stderr: string }): void {
  expect(r.exitCode, `stderr: ${r.stderr}`).toBe(0);
}

async function inspect(name: string): Promise<any> {
  const r = await minictr(['inspect', name]);
  ok(r);
  return JSON.parse(r.stdout)[0];
}

async function logLine(name: string, re: RegExp, ms?: number): Promise<RegExpExecArray> {
  return until(`${name}'s log to match ${re}`, async () => re.exec((await minictr(['logs', name])).stdout) ?? undefined, ms);
}

describe('pids', () => {
  it('a fork bomb under --pids-limit 50 stops at 50; the host is unaffected; rm -f ends it', async () => {
    const bomb = await buildForkBomb(scratch);
    // the shell starts the bomb, then uses only builtins (it could not fork any more)
    const { name, id } = await runD([
      '--pids-limit', '50', '-v', `${scratch}:/bomb:ro`, 'busybox', 'sh', '-c',
      `mkfifo /tmp/f; read m < ${files.pidsMax}; /bomb/forkbomb &
       i=0; while read n < ${files.pidsCurrent}; [ $n -lt $m ] && [ $i -lt 1000000 ]; do i=$((i+1)); done
       i=0; while [ $i -lt 5000 ]; do i=$((i+1)); done
       read n < ${files.pidsCurrent}; read x e < ${files.pidsEvents}; echo "current=$n max=$m refused=$e"; read x <> /tmp/f`,
    ]);
    expect(bomb).toContain('forkbomb');
    // the VM suite's emulated CPU (TCG), sharing the machine with the host suite, took 29 s for
    // the bomb and the shell's loops alone, and once more than the default 30 s
    const m = await logLine(name, /current=(\d+) max=(\d+) refused=(\d+)/, 120_000);
    expect(Number(m[2])).toBe(50);
    // the bomb filled the cgroup, no further: the kernel refused every fork beyond 50
    expect(Number(m[1])).toBe(50);
    expect(Number(m[3])).toBeGreaterThan(0);
    // the host still forks, and sees no more than 50 of the bomb's processes
    expect((await execa('sh', ['-c', 'echo host-ok'])).stdout).toBe('host-ok');
    const bombs = (await execa('pgrep', ['-c', '-f', '/bomb/forkbomb'], { reject: false })).stdout.trim();
    expect(Number(bombs)).toBeLessThanOrEqual(50);
    expect(Number(bombs)).toBeGreaterThan(40);
    made.splice(made.indexOf(name), 1);
    const rm = await minictr(['rm', '-f', name]);
    ok(rm);
    expect((await execa('pgrep', ['-f', '/bomb/forkbomb'], { reject: false })).stdout).toBe('');
    expect(hostCgroupDirs(id)).toEqual([]);
  });
});

describe('memory', () => {
  it('a hog under -m 64m is OOM-killed (137, OOMKilled); a workload under the limit runs', async () => {
    const name = uniq('cg-');
    made.push(name);
    const hog = await minictr(['run', '--name', name, '-m', '64m', 'busybox', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1']);
    expect(hog.exitCode).toBe(137);
    const state = (await inspect(name)).State;
    expect(state.ExitCode).toBe(137);
    expect(state.OOMKilled).toBe(true);

    const fits = await minictr(['run', '--rm', '-m', '64m', 'busybox', 'sh', '-c', `cat ${files.memoryLimit}; dd if=/dev/zero of=/dev/null bs=16M count=4 2>&1`]);
    ok(fits);
    expect(fits.stdout).toMatch(/^67108864\n/);
    expect(fits.stdout).toContain('4+0 records in');
  });

  it('a detached container killed by the OOM killer says so too', async () => {
    const { name } = await runD(['-m', '32m', 'busybox', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1']);
    const r = await minictr(['wait', name]);
    expect(r.stdout.trim()).toBe('137');
    expect((await inspect(name)).State.OOMKilled).toBe(true);
  });
});

describe('cpu', () => {
  it('a busy loop under --cpus 0.5 gets 0.5 ± 0.1 CPU, by the cgroup\'s own CPU usage', async () => {
    // measured inside, with builtins only: CPU time from the cgroup, wall time from /proc/uptime
    const readUsage = unified ? `read k u < ${files.cpuUsage}` : `read u < ${files.cpuUsage}`;
    const r = await minictr(['run', '--rm', '--cpus', '0.5', 'busybox', 'sh', '-c',
      `while :; do :; done & sleep 0.5
       ${readUsage}; u0=$u; read t0 x < /proc/uptime; sleep 3; ${readUsage}; read t1 x < /proc/uptime
       echo "$u0 $u $t0 $t1"; kill $!`]);
    ok(r);
    const [u0, u1, t0, t1] = r.stdout.trim().split(' ').map(Number) as [number, number, number, number];
    const cpuSeconds = (u1 - u0) / (unified ? 1e6 : 1e9);
    const share = cpuSeconds / (t1 - t0);
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
  });
});

describe('pause, update, stats', () => {
  it('pause freezes a counter loop and unpause resumes it', async () => {
    const out = mkdtempSync(join(scratch, 'out-'));
    const { name } = await runD(['-v', `${out}:/out`, 'busybox', 'sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /out/n.tmp; mv /out/n.tmp /out/n; usleep 20000; done']);
    const count = (): number => Number(readFileSync(join(out, 'n'), 'utf8'));
    await until('the counter to pass 3', () => { try { return count() > 3; } catch { return false; } });
    const p = await minictr(['pause', name]);
    ok(p);
    expect((await inspect(name)).Cgroup.Paused).toBe(true);
    const frozenAt = count();
    await sleep(500);
    expect(count()).toBe(frozenAt);
    expect((await minictr(['pause', name])).stderr).toMatch(/already paused/);
    const u = await minictr(['unpause', name]);
    ok(u);
    await until('the thawed counter to move on', () => count() > frozenAt + 3);
    expect((await inspect(name)).Cgroup.Paused).toBe(false);
  });

  it('rm -f removes a paused container', async () => {
    const { name, id } = await runD(['busybox', 'sleep', '60']);
    ok(await minictr(['pause', name]));
    made.splice(made.indexOf(name), 1);
    ok(await minictr(['rm', '-f', name]));
    expect(hostCgroupDirs(id)).toEqual([]);
  });

  it('update changes a live limit, enforced at once', async () => {
    const { name } = await runD(['--pids-limit', '100', '-m', '64m', 'busybox', 'sleep', '60']);
    const before = await minictr(['exec', name, 'cat', files.pidsMax, files.memoryLimit]);
    expect(before.stdout.split('\n').slice(0, 2)).toEqual(['100', '67108864']);
    const u = await minictr(['update', '--pids-limit', '8', '-m', '128m', '--explain', name]);
    ok(u);
    expect(u.stderr).toMatch(/\$ echo 8 > \/sys\/fs\/cgroup\/(pids\/)?minictr\/[0-9a-f]{64}\/pids\.max/);
    const after = await minictr(['exec', name, 'cat', files.pidsMax, files.memoryLimit]);
    expect(after.stdout.split('\n').slice(0, 2)).toEqual(['8', '134217728']);
    // init, sleep, exec's sh: 20 more sleeps cannot all start under 8
    const fork = await minictr(['exec', name, 'sh', '-c', 'for i in $(seq 20); do sleep 5 </dev/null >/dev/null 2>&1 & done; echo all-started']);
    expect(fork.stderr).toMatch(/can't fork/);
    expect(fork.stdout).not.toContain('all-started');
    expect((await inspect(name)).Cgroup.Limits).toMatchObject({ pidsLimit: 8, memory: 134217728 });
  });

  it('stats reports CPU, memory and pids against their limits from the cgroup', async () => {
    const { name } = await runD(['-m', '64m', '--pids-limit', '20', 'busybox', 'sh', '-c', 'while :; do :; done']);
    const r = await minictr(['stats', '--no-stream', '--format', 'json', name]);
    ok(r);
    const s = JSON.parse(r.stdout.trim());
    expect(s.Name).toBe(name);
    expect(s.MemLimit).toBe(67108864);
    expect(s.MemUsage).toBeGreaterThan(0);
    expect(s.PIDsLimit).toBe(20);
    expect(s.PIDs).toBe(2); // init and sh
    // a busy loop: most of one CPU on an idle machine, but on a loaded one (the suite's other
    // files, CI's 2 cores) it gets what the scheduler gives it: only "some" is asserted
    expect(s.CPUPerc).toBeGreaterThan(5);
    const table = await minictr(['stats', '--no-stream', name]);
    expect(table.stdout).toMatch(new RegExp(`${name} +[\\d.]+% +[\\d.]+\\w?i?B / 64MiB +[\\d.]+% +2 / 20`));
  });
});

describe('cgroup namespace and cleanup', () => {
  it('/sys/fs/cgroup shows the container\'s own cgroup as root, read-only', async () => {
    const r = await minictr(['run', '--rm', '--pids-limit', '42', 'busybox', 'sh', '-c',
      `cat /proc/self/cgroup; echo ---; cat ${files.pidsMax}; cat ${inside('pids', 'cgroup.procs')}; echo ---
       find /sys/fs/cgroup -mindepth ${unified ? 1 : 2} -type d; echo ---
       mkdir ${inside('pids', 'sub')} 2>&1; { echo 1 > ${files.pidsMax}; } 2>&1; true`]);
    ok(r);
    const [self, view, dirs, writes] = r.stdout.split('---\n') as [string, string, string, string];
    // every hierarchy the container is in: its cgroup is its root
    for (const line of self.trim().split('\n').filter((l) => !/name=|blkio|devices|net_|perf|hugetlb|rdma|misc/.test(l))) expect(line).toMatch(/:\/$/);
    // the root shown has the container's limit (a real root cgroup has no pids.max) and
    // only the container's processes (init, sh, cat)
    const [max, ...procs] = view.trim().split('\n');
    expect(max).toBe('42');
    expect(procs).toContain('1');
    expect(procs.length).toBeLessThanOrEqual(3);
    // nothing of the host's tree below it
    expect(dirs.trim()).toBe('');
    expect(writes).toMatch(/Read-only file system[\s\S]*Read-only file system/);
  });

  it('after rm no cgroup of the container is left, in any hierarchy', async () => {
    const { name, id } = await runD(['--pids-limit', '10', 'busybox', 'sleep', '60']);
    expect(hostCgroupDirs(id).length).toBeGreaterThan(0);
    made.splice(made.indexOf(name), 1);
    ok(await minictr(['rm', '-f', name]));
    expect(hostCgroupDirs(id)).toEqual([]);
    // --rm and a stopped container's rm, too
    const rr = await minictr(['run', '--rm', '--name', `${name}x`, '-m', '32m', 'busybox', 'cat', '/proc/self/cgroup']);
    ok(rr);
    const stopped = await minictr(['run', '--name', `${name}y`, '-m', '32m', 'busybox', 'true']);
    ok(stopped);
    const sid = (await inspect(`${name}y`)).Id as string;
    ok(await minictr(['rm', `${name}y`]));
    expect(hostCgroupDirs(sid)).toEqual([]);
  });
});
