/**
 * The project's VM harness (test/vm/vm.sh), seen from outside: it boots Debian's kernel with
 * cgroup v2 only, runs the command as root and returns its output and exit status, shares
 * only the --rw folders with the host, loads the modules asked for, mounts a scratch disk,
 * kills a guest at its time limit, and refuses what it cannot run with one line that names
 * the package to install.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uniq } from './helpers/cli.js';

const VM = resolve('test/vm/vm.sh');
const shared = mkdtempSync(join(process.env.MINICTR_TEST_BASE ?? tmpdir(), 'vm-rw-'));
afterAll(() => rmSync(shared, { recursive: true, force: true }));

const vm = (args: string[], env: Record<string, string> = {}) =>
  execa(VM, args, { reject: false, timeout: 240_000, env, extendEnv: true });

describe('test/vm/vm.sh', () => {
  it('runs the command as root under Debian\'s kernel with cgroup v2 only, and returns its status', async () => {
    const marker = uniq('vm-');
    const script = [
      'uname -r; id -u; cat /proc/self/cgroup',
      'grep -c " cgroup " /proc/mounts || true', // v1 hierarchies mounted: none
      'stat -f -c %T /sys/fs/cgroup; cat /sys/fs/cgroup/cgroup.subtree_control',
      'test -d /sys/module/openvswitch && echo ovs-loaded',
      `echo ${marker} > ${shared}/from-guest; echo ${marker} > /etc/${marker}`,
      'exit 7',
    ].join('; ');
    const r = await vm(['--rw', shared, '--modprobe', 'openvswitch', '--', 'sh', '-c', script], {});
    expect(r.exitCode, r.stderr).toBe(7);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^\d+\.\d+\.\d+-\d+-amd64$/);
    expect(lines.slice(1, 6)).toEqual(['0', '0::/', '0', 'cgroup2fs', expect.stringMatching(/\bcpu\b.*\bmemory\b.*\bpids\b/)]);
    expect(r.stdout).toContain('ovs-loaded');
    expect(r.stderr).toMatch(/^vm\.sh: kernel \S+-amd64, (tcg|kvm), boot [\d.]+s, command [\d.]+s, wall [\d.]+s, exit 7$/m);
    // the --rw folder is the host's; the rest of the guest's writes are gone with it
    expect(readFileSync(join(shared, 'from-guest'), 'utf8').trim()).toBe(marker);
    expect(existsSync(`/etc/${marker}`)).toBe(false);
  });

  it('mounts a scratch ext4 disk with --disk, the run folder\'s image gone after', async () => {
    const runs = join(shared, 'disk-runs'); // the run folder holds the image while the guest runs
    mkdirSync(runs);
    const script = [
      'findmnt -n -o SOURCE,FSTYPE /var/lib/minictr-scratch',
      'df -m --output=size /var/lib/minictr-scratch | tail -n 1',
      'stat -f -c %T /run/tmp', // TMPDIR stays a tmpfs
      'echo written > /var/lib/minictr-scratch/f && cat /var/lib/minictr-scratch/f',
    ].join('; ');
    const r = await vm(['--disk', '64:/var/lib/minictr-scratch', '--', 'sh', '-c', script], { TMPDIR: runs });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\/dev\/vda\s+ext4$/);
    expect(Number(lines[1])).toBeGreaterThan(40); // 64 MiB less ext4's own
    expect(Number(lines[1])).toBeLessThanOrEqual(64);
    expect(lines.slice(2)).toEqual(['tmpfs', 'written']);
    expect(readdirSync(runs)).toEqual([]);
  });

  it('kills a guest that outlives its time limit and shows the console\'s tail', async () => {
    const runs = join(shared, 'runs'); // the guest's run folder, to find its QEMU by
    mkdirSync(runs);
    const r = await vm(['--timeout', '25', '--', 'sh', '-c', 'echo started; sleep 600'], { TMPDIR: runs });
    expect(r.exitCode).toBe(124);
    expect(r.stdout).toContain('started');
    expect(r.stderr).toMatch(/^vm\.sh: the command did not finish within 25 s: the guest was killed/m);
    expect((await execa('pgrep', ['-f', `qemu-system-x86_64.*${runs}`], { reject: false })).stdout).toBe('');
  });

  it.each([
    [['--', 'true'], { PATH: '/nonexistent' }, /^vm\.sh: qemu-system-x86_64 is missing: apt-get install qemu-system-x86$/],
    [['--', 'true'], { MINICTR_VM_KERNEL_VERSION: '0.0.0-none-amd64' }, /^vm\.sh: no Debian kernel to boot .*: apt-get install linux-image-amd64$/],
    [['--modprobe', 'a b', '--', 'true'], {}, /^vm\.sh: --modprobe: module names are letters, digits, _ and -$/],
    [['--disk', '/var/lib/x', '--', 'true'], {}, /^vm\.sh: --disk takes MB:DIR, a size in MiB and an absolute path/],
    [['--disk', '64:rel', '--', 'true'], {}, /^vm\.sh: --disk takes MB:DIR/],
    [['-m', 'lots', '--', 'true'], {}, /^vm\.sh: -m, -c and --timeout take whole numbers$/],
    [['--bogus'], {}, /^vm\.sh: unknown option --bogus/],
    [[], {}, /^vm\.sh: no command/],
  ])('refuses %j with one line and exit 2', async (args, env, message) => {
    const r = await execa('/bin/bash', [VM, ...args], { reject: false, env, extendEnv: true });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
