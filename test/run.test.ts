/**
 * `minictr run`: isolation, security baseline and exit codes, each seen from inside the
 * container (what the kernel shows the process), never from minictr's own report.
 */
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { inBusybox, leftovers, newSince } from './helpers/container.js';
import { findStaticBusybox } from '../src/image/busybox.js';

const DOCKER_CAP_EFF = '00000000a80425fb';

beforeAll(async () => {
  // builds the built-in busybox image once, so timings below are about containers
  const r = await inBusybox('true');
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
});

// Every test has containers of its own: the describes run their tests side by side. Those that
// compare a host-wide snapshot run alone, at the end (bad input leaves nothing behind).
describe.concurrent('processes', () => {
  it('PID 1 is minictr-init and ps shows only the container', async () => {
    const r = await inBusybox('ps -o pid,comm');
    expect(r.exitCode).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(rows[0]?.[0]).toBe('1');
    // fexecve'd from a memfd, so the kernel names it after the memfd
    expect(rows[0]?.[1]).toMatch(/^(memfd:)?minictr-i/);
    // init, sh, ps: nothing of the host
    expect(rows.length).toBeLessThanOrEqual(3);
    expect(rows.map((r) => r[0])).toEqual(expect.arrayContaining(['1']));
  });

  it('PID 1 runs from a sealed memfd, not from a host file', async () => {
    const r = await inBusybox('readlink /proc/1/exe');
    expect(r.stdout.trim()).toMatch(/^\/memfd:minictr-init/);
  });

  it('only fds 0, 1 and 2 reach the container', async () => {
    const r = await inBusybox('ls /proc/1/fd');
    expect(r.stdout.trim().split(/\s+/).sort()).toEqual(['0', '1', '2']);
  });

  it('PID 1 unmaps its stack and vDSO after the fork, its command line and environment kept', async () => {
    // (native/init/init.c: the page tables at the top of the address space go with them).
    // init trims while this shell starts: wait for it, 5 s at most
    const r = await inBusybox('for i in $(seq 50); do grep -q "\\[stack\\]" /proc/1/maps || break; sleep 0.1; done; cat /proc/1/maps; echo ---; tr "\\0" " " < /proc/1/cmdline; echo; tr "\\0" "\\n" < /proc/1/environ');
    expect(r.exitCode, r.stderr).toBe(0);
    const [maps = '', rest = ''] = r.stdout.split('---\n');
    expect(maps).toMatch(/minictr-init/); // its binary is still there
    expect(maps).not.toMatch(/\[(stack|vdso|vvar)/);
    const [cmdline, ...env] = rest.trim().split('\n');
    expect(cmdline).toMatch(/^minictr-init -- sh -c for i in /);
    expect(env).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  it('PID 1 keeps its stack when its environment is too long for its copy: environ still reads all of it', async () => {
    const big = 'x'.repeat(3000);
    const r = await inBusybox('sleep 0.5; grep -c "\\[stack\\]" /proc/1/maps; tr "\\0" "\\n" < /proc/1/environ', ['-e', `BIG=${big}`]);
    expect(r.exitCode, r.stderr).toBe(0);
    const [stack, ...env] = r.stdout.trim().split('\n');
    expect(stack).toBe('1');
    expect(env).toContain(`BIG=${big}`);
  });

  it('an orphaned background process is reaped, not left a zombie', async () => {
    const r = await inBusybox('sh -c "sleep 0.2 &"; sleep 1; ps -o stat,comm');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toMatch(/^\s*Z/m);
  });
});

describe.concurrent('namespaces', () => {
  it('has its own hostname and leaves the host\'s alone', async () => {
    const before = hostname();
    const r = await inBusybox('hostname', ['--hostname', 'ctr-host']);
    expect(r.stdout.trim()).toBe('ctr-host');
    expect(hostname()).toBe(before);
    const d = await inBusybox('hostname');
    expect(d.stdout.trim()).toMatch(/^[0-9a-f]{12}$/);
  });

  it('sees only lo, and it is up', async () => {
    const r = await inBusybox('ls /sys/class/net; cat /sys/class/net/lo/operstate; ping -c1 -W1 127.0.0.1 >/dev/null && echo ping-ok', ['--network', 'none']);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('lo');
    expect(lines).toContain('ping-ok');
  });
});

describe.concurrent('filesystem isolation', () => {
  const marker = `/minictr-marker-${uniq('')}`;
  beforeAll(() => writeFileSync(marker, 'host'));
  afterAll(() => rmSync(marker, { force: true }));

  it('no path inside reaches the host root', async () => {
    const r = await inBusybox(`ls / /proc/1/root/ /proc/self/root/ | grep -c minictr-marker; cat /proc/self/mountinfo`);
    const [count, ...mountinfo] = r.stdout.trim().split('\n');
    expect(count).toBe('0');
    const mounts = mountinfo.map((l) => l.split(' ')).map((f) => ({ root: f[3], point: f[4], fstype: f[f.indexOf('-') + 1] }));
    // the container's / is the overlay ...
    expect(mounts.find((m) => m.point === '/')?.fstype).toBe('overlay');
    // ... and no mount shows the root of a host filesystem: only single files bound in (/etc/hosts ...)
    const hostFs = mounts.filter((m) => !['overlay', 'proc', 'sysfs', 'tmpfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2'].includes(m.fstype!));
    expect(hostFs.map((m) => m.point).sort()).toEqual(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);
    // each mount point once: a read-only path that is a mount already (the v1 layout's
    // /sys/fs/cgroup) is remounted where it is, not bound onto itself with its subtree copied
    const points = mounts.map((m) => m.point);
    expect(points.filter((p, i) => points.indexOf(p) !== i)).toEqual([]);
  });

  it('the container\'s mounts never appear on the host', async () => {
    const run = execa(BIN, ['run', '--rm', 'busybox', 'sh', '-c', 'echo up; sleep 2'], { reject: false });
    await new Promise<void>((resolve) => run.stdout!.once('data', () => resolve()));
    const hostMounts = readFileSync('/proc/self/mountinfo', 'utf8');
    expect(hostMounts).not.toContain(process.env.MINICTR_ROOT!);
    expect((await run).exitCode).toBe(0);
  });

  it('the chroot escape of examples/LAB.md gets out of a chroot, and not out of a container', async () => {
    const lab = mkdtempSync(join(tmpdir(), 'minictr-escape-'));
    try {
      const src = fileURLToPath(new URL('../examples/chroot-escape.c', import.meta.url));
      await execa('cc', ['-static', '-O2', '-o', join(lab, 'escape'), src]);
      mkdirSync(join(lab, 'jail', 'bin'), { recursive: true });
      copyFileSync(join(lab, 'escape'), join(lab, 'jail', 'escape'));
      copyFileSync(await findStaticBusybox(), join(lab, 'jail', 'bin', 'busybox'));
      // from a chroot: the host's root, where the marker is
      const jailed = await execa('chroot', [join(lab, 'jail'), '/bin/busybox', 'cat', marker], { reject: false });
      expect(jailed.exitCode).toBe(1);
      const out = await execa('chroot', [join(lab, 'jail'), '/escape', '/bin/cat', marker], { reject: false });
      expect(out.stdout).toBe('host');
      // from a container (which may chroot: CAP_SYS_CHROOT is one of Docker's 14): its own /
      const r = await minictr(['run', '--rm', '-v', `${lab}:/lab`, 'busybox', '/lab/escape', '/bin/sh', '-c', `cat ${marker}; ls /lab/escape`]);
      expect(r.stderr).toContain(`can't open '${marker}'`);
      expect(r.stdout.trim()).toBe('/lab/escape');
    } finally {
      rmSync(lab, { recursive: true, force: true });
    }
  });

  it('a file written inside changes neither the image nor another container', async () => {
    const w = await inBusybox('echo changed > /etc/written-inside && cat /etc/written-inside');
    expect(w.stdout.trim()).toBe('changed');
    const r = await inBusybox('cat /etc/written-inside');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('No such file');
  });
});

describe.concurrent('security baseline', () => {
  it('has exactly Docker\'s 14 capabilities', async () => {
    const r = await inBusybox('grep ^Cap /proc/self/status');
    const caps = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s+/)));
    expect(caps).toEqual({ CapInh: '0000000000000000', CapPrm: DOCKER_CAP_EFF, CapEff: DOCKER_CAP_EFF, CapBnd: DOCKER_CAP_EFF, CapAmb: '0000000000000000' });
  });

  it('has no_new_privs set', async () => {
    const r = await inBusybox('grep NoNewPrivs /proc/self/status');
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
  });

  it('cannot mount', async () => {
    const r = await inBusybox('mount -t tmpfs none /tmp');
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/denied|not permitted/i);
  });

  it('masked paths read empty', async () => {
    // only those this kernel has (some kernels have no /proc/kcore)
    const paths = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'].filter((p) => existsSync(p));
    expect(paths.length).toBeGreaterThan(0);
    const r = await inBusybox(paths.map((p) => `cat ${p} | wc -c`).join('; ') + '; ls /sys/firmware | wc -l');
    expect(r.stdout.trim().split(/\s+/)).toEqual([...paths.map(() => '0'), '0']);
    expect(readdirSync('/sys/firmware').length).toBeGreaterThan(0);
  });

  it('cannot write /proc/sys', async () => {
    const r = await inBusybox('echo 1 > /proc/sys/kernel/domainname && echo wrote');
    expect(r.stdout).not.toContain('wrote');
    expect(r.stderr).toMatch(/Read-only file system/);
  });

  it('-w through a leaked fd cannot reach the host (CVE-2024-21626)', async () => {
    for (const fd of [3, 4, 5, 6, 7, 8]) {
      const r = await minictr(['run', '--rm', '-w', `/proc/self/fd/${fd}`, 'busybox', 'pwd']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).toBe('');
    }
  });
});

describe.concurrent('exit status', () => {
  it.each([
    ['true', 0],
    ['exit 7', 7],
    ['kill -9 $$', 137],
  ])('%s -> %i', async (script, code) => {
    expect((await inBusybox(script)).exitCode).toBe(code);
  });

  it('126 when the command is not executable', async () => {
    const r = await minictr(['run', '--rm', 'busybox', '/etc/passwd']);
    expect(r.exitCode).toBe(126);
    expect(r.stderr).toMatch(/\/etc\/passwd: Permission denied/);
  });

  it('SIGTERM sent to minictr reaches the command', async () => {
    const run = execa(BIN, ['run', '--rm', 'busybox', 'sh', '-c', 'trap "echo got-term; exit 3" TERM; echo ready; while true; do sleep 0.1; done'], { reject: false });
    await new Promise<void>((resolve) => run.stdout!.once('data', () => resolve()));
    run.kill('SIGTERM');
    const r = await run;
    expect(r.stdout).toContain('got-term');
    expect(r.exitCode).toBe(3);
  });
});

describe.concurrent('stdio', () => {
  it('pipes work with -i', async () => {
    const r = await minictr(['run', '--rm', '-i', 'busybox', 'cat'], { input: 'hi through a pipe\n' });
    expect(r.stdout).toBe('hi through a pipe');
  });

  it('without -i stdin is empty', async () => {
    const r = await minictr(['run', '--rm', 'busybox', 'cat'], { input: 'not forwarded\n' });
    expect(r.stdout).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('-e and the image env are set', async () => {
    const r = await inBusybox('echo "$FOO|$PATH|$HOSTNAME"', ['-e', 'FOO=bar', '--hostname', 'hn']);
    expect(r.stdout.trim()).toBe('bar|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|hn');
  });

  it('-w sets (and creates) the working directory', async () => {
    const r = await inBusybox('pwd', ['-w', '/srv/work']);
    expect(r.stdout.trim()).toBe('/srv/work');
  });
});

describe.concurrent('volumes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'minictr-vol-'));
    writeFileSync(join(dir, 'from-host'), 'hello from the host\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('-v shares a host directory both ways', async () => {
    const r = await inBusybox('cat /data/from-host; echo from-ctr > /data/from-ctr', ['-v', `${dir}:/data`]);
    expect(r.stdout).toBe('hello from the host');
    expect(readFileSync(join(dir, 'from-ctr'), 'utf8')).toBe('from-ctr\n');
  });

  it(':ro is enforced', async () => {
    const r = await inBusybox('echo x > /data/nope', ['-v', `${dir}:/data:ro`]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  });

  it('--tmpfs mounts an empty tmpfs', async () => {
    const r = await inBusybox("grep ' /scratch ' /proc/mounts | cut -d' ' -f3", ['--tmpfs', '/scratch']);
    expect(r.stdout.trim()).toBe('tmpfs');
  });
});

describe('bad input leaves nothing behind', () => {
  it('127 when the command is not found, and nothing is left behind', async () => {
    const before = await leftovers();
    const r = await minictr(['run', '--rm', 'busybox', 'no-such-command']);
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toMatch(/no-such-command: No such file or directory/);
    expect(newSince(before, await leftovers())).toEqual([]);
  });

  it.each([
    ['a missing image, not on the registry either', ['run', '--rm', '127.0.0.1:9/no-such-image:1.0', 'true'], /cannot reach registry 127\.0\.0\.1:9/],
    ['an invalid name', ['run', '--rm', '--name', '../x', 'busybox', 'true'], /invalid container name "\.\.\/x"/],
    ['an empty name', ['run', '--rm', '--name', '', 'busybox', 'true'], /invalid container name ""/],
    ['a 300-char name', ['run', '--rm', '--name', 'a'.repeat(300), 'busybox', 'true'], /longer than 64/],
    ['a missing -v source', ['run', '--rm', '-v', '/no/such/dir:/data', 'busybox', 'true'], /volume source \/no\/such\/dir does not exist/],
    // a source that is not an absolute path is a volume name (checked as one, before anything is made)
    ['a bad -v', ['run', '--rm', '-v', '../relative:/data', 'busybox', 'true'], /"\.\.\/relative" is not a valid volume name/],
    ['a bad image name', ['run', '--rm', 'a:b:c', 'true'], /invalid image reference "a:b:c"/],
  ])('%s', async (_what, args, message) => {
    const before = await leftovers();
    const r = await minictr(args);
    expect(r.exitCode).not.toBe(0);
    // one line for the error (a pull announces itself first, as docker run does)
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('Unable to find image'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(newSince(before, await leftovers())).toEqual([]);
  });

  it('a duplicate name is refused', async () => {
    const name = uniq('dup-');
    const first = await minictr(['run', '--name', name, 'busybox', 'true']);
    expect(first.exitCode).toBe(0);
    const second = await minictr(['run', '--name', name, 'busybox', 'true']);
    expect(second.exitCode).not.toBe(0);
    expect(second.stderr).toMatch(/already in use/);
    expect((await minictr(['rm', name])).exitCode).toBe(0);
    expect((await minictr(['rm', name])).stderr).toMatch(/no such container/);
  });
});
