/**
 * Docker's security defaults and flags for `minictr run` and `exec`, as facts seen from inside
 * the containers or by the kernel: the default seccomp profile (profiles/seccomp-default.json)
 * and what each layer blocks on its own (seccomp, capabilities, the device cgroup,
 * no_new_privs, masked paths, the root's read-only mount), the flags that turn each one off or
 * widen it, exec getting the container's filter and keyring, the explain and inspect views,
 * and the refused inputs that leave nothing behind. A tiny static C probe, put in through a
 * volume, makes the calls busybox cannot: keyctl(2) and a setuid-root execve.
 */
import { execa } from 'execa';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { leftovers, newSince } from './helpers/container.js';

const PROBE = `#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  /* KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, then KEYCTL_DESCRIBE it */
  long id = syscall(SYS_keyctl, 0, -3, 0);
  if (id < 0) {
    printf("keyctl=%s\\n", errno == EPERM ? "EPERM" : strerror(errno));
  } else {
    char d[512] = "";
    if (syscall(SYS_keyctl, 6, id, d, sizeof d - 1) < 0) snprintf(d, sizeof d, "%s", strerror(errno));
    printf("keyring=%ld %s\\n", id, d);
  }
  printf("euid=%d\\n", (int)geteuid());
  return 0;
}
`;

/** Calls decided by different parts of the filter: numbers in and out of the fast path's
 * ranges (getpid; keyctl), its errno rule (clone3: ENOSYS), argument rules left to
 * libseccomp's part (personality, clone's namespace flags, socket's AF_VSOCK), and the other
 * two ABIs the profile names: x32 (bit 30 in the number) and i386 (int 0x80). */
const ABI_PROBE = `#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static const char *res(long r) { static char b[32]; if (r >= 0) return "ok"; snprintf(b, sizeof b, "%s", strerrorname_np(errno)); return b; }
/* i386's ABI from this x86_64 process: int 0x80 (returns -errno) */
static long i386(long nr, long a) { long r; __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a) : "memory"); return r; }
static const char *ires(long r) { if (r >= 0 || r < -4095) return "ok"; errno = (int)-r; return res(-1); }
/* clone(flags): the child exits at once */
static long fork_with(unsigned long flags) {
  fflush(stdout);
  long pid = syscall(SYS_clone, flags, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return pid;
}
int main(void) {
  printf("getpid=%s\\n", res(syscall(SYS_getpid)));
  printf("clone3=%s\\n", res(syscall(SYS_clone3, NULL, 0)));
  printf("personality-query=%s\\n", res(syscall(SYS_personality, 0xffffffffUL)));
  printf("personality-addr-no-randomize=%s\\n", res(syscall(SYS_personality, 0x0040000UL)));
  printf("clone-fork=%s\\n", res(fork_with(SIGCHLD)));
  printf("clone-newuser=%s\\n", res(fork_with(0x10000000 | SIGCHLD)));
  printf("socket-unix=%s\\n", res(syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0)));
  printf("socket-vsock=%s\\n", res(syscall(SYS_socket, 40, SOCK_STREAM, 0)));
  printf("keyctl=%s\\n", res(syscall(SYS_keyctl, 0, -3, 0)));
  printf("x32-getpid=%s\\n", res(syscall(0x40000000 | SYS_getpid)));
  printf("x32-keyctl=%s\\n", res(syscall(0x40000000 | SYS_keyctl, 0, -3, 0)));
  printf("i386-getpid=%s\\n", ires(i386(20, 0)));
  printf("i386-keyctl=%s\\n", ires(i386(288, 0)));
  printf("i386-personality-query=%s\\n", ires(i386(136, 0xffffffffL)));
  printf("i386-personality-addr-no-randomize=%s\\n", ires(i386(136, 0x0040000L)));
  printf("i386-clone3=%s\\n", ires(i386(435, 0)));
  return 0;
}
`;

let dir: string;
/** a host directory mounted at /probe: probe, and suid-probe (setuid root) */
let probeVolume: string[];
/** a loop device node of the host (block, major 7), opened for reading only */
let loop: { path: string; minor: number };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'minictr-security-'));
  const bin = join(dir, 'probe-dir');
  await execa('mkdir', ['-p', bin]);
  writeFileSync(join(dir, 'probe.c'), PROBE);
  await execa('cc', ['-static', '-O2', '-o', join(bin, 'probe'), join(dir, 'probe.c')]);
  writeFileSync(join(dir, 'abi.c'), ABI_PROBE);
  await execa('cc', ['-static', '-O2', '-o', join(bin, 'abi'), join(dir, 'abi.c')]);
  await execa('cp', [join(bin, 'probe'), join(bin, 'suid-probe')]);
  chmodSync(join(bin, 'suid-probe'), 0o4755);
  probeVolume = ['-v', `${bin}:/probe:ro`];
  const name = readdirSync('/dev').filter((n) => /^loop\d+$/.test(n)).sort().at(-1);
  if (!name) throw new Error('no /dev/loopN on this host: modprobe loop');
  loop = { path: `/dev/${name}`, minor: Number(name.slice(4)) };
  expect(statSync(loop.path).isBlockDevice()).toBe(true);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Other runs share this machine (other test runs, other state dirs): of what appeared, only
 * what names this run's state is ours to judge. minictr names every object it makes after a
 * container id, and a container without a dir in this run's state has none of ours. */
const own = (found: string[]): string[] => found.filter((f) => f.startsWith('container ') || f.includes(process.env.MINICTR_TEST_BASE!));

const made: string[] = [];
afterEach(async () => {
  if (made.length) await minictr(['rm', '-f', ...made.splice(0)]);
});

/** run --rm busybox sh -c SCRIPT, with the probe at /probe */
const run = (flags: string[], script: string) => minictr(['run', '--rm', '--network', 'none', ...probeVolume, ...flags, 'busybox', 'sh', '-c', script]);

/** Each "name=value" line of the output, as an object. */
const facts = (out: string): Record<string, string> =>
  Object.fromEntries(out.split('\n').filter((l) => /^[\w-]+[=:]/.test(l)).map((l) => {
    const m = /^([\w-]+)[=:]\s*(.*)$/.exec(l)!;
    return [m[1]!, m[2]!.trim()];
  }));

/** ro or rw: /sys and /sys/fs/cgroup, as the container's /proc/mounts has them */
const MOUNT_MODES = `awk '$2 == "/sys" || $2 == "/sys/fs/cgroup" { split($4, o, ","); print ($2 == "/sys" ? "sys" : "cgroup") "=" o[1] }' /proc/mounts`;

/** What each layer lets through: a user namespace (no capability needed), a network namespace
 * and a mount (CAP_SYS_ADMIN), the session keyring (no capability needed). */
const LAYERS = `grep -E '^(Seccomp|CapEff|NoNewPrivs):' /proc/self/status
unshare -U true 2>/dev/null; echo userns=$?
unshare -n true 2>/dev/null; echo netns=$?
mount -t tmpfs t /tmp 2>/dev/null; echo mount=$?
/probe/probe`;

describe('the default seccomp profile, and each layer on its own', () => {
  it('by default: a filter; unshare -U, unshare -n, mount and keyctl all fail with EPERM', async () => {
    const r = await run(['--explain=full'], `hostname; ${LAYERS}; unshare -U true; ulimit -n; ulimit -Hn`);
    expect(r.exitCode, r.stderr).toBe(0);
    const f = facts(r.stdout);
    expect(f).toMatchObject({ Seccomp: '2', CapEff: '00000000a80425fb', NoNewPrivs: '1', userns: '1', netns: '1', mount: '1', keyctl: 'EPERM', euid: '0' });
    // unshare(CLONE_NEWUSER) needs no capability at all: only the filter refuses it
    expect(r.stderr).toContain('unshare: unshare(0x10000000): Operation not permitted');
    // runc's and containerd's default open-file limits, under minictr's own hard limit
    const [soft, hard] = r.stdout.trim().split('\n').slice(-2);
    expect(soft).toBe('1024');
    expect(hard).toBe(/^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
    // --explain: the filter with its real numbers, where it is compiled and loaded
    const hostname = r.stdout.split('\n')[0]!;
    expect(r.stderr).toMatch(/# seccomp: \d{3} syscalls allowed, default SCMP_ACT_ERRNO \(EPERM\); compiled to \d+ BPF instructions/);
    expect(r.stderr).toMatch(/\$ seccomp\(SECCOMP_SET_MODE_FILTER, 0x0, <\d+ BPF instructions>\)/);
    expect(r.stderr).toMatch(new RegExp(`\\$ keyctl session ${hostname}[0-9a-f]{52}\\n`));
    expect(r.stderr).toMatch(/allow c 1:3 rwm|device rules, the last match wins: deny a \*:\* rwm/);
  });

  it('the filter the kernel holds decides per ABI and per argument as the profile says (and is under 512 instructions)', async () => {
    const r = await run(['--explain=full'], '/probe/abi');
    expect(r.exitCode, r.stderr).toBe(0);
    // the kernel keeps a copy of the program: under 512 instructions it fits a 4 KiB kmalloc
    const insns = Number(/compiled to (\d+) BPF instructions/.exec(r.stderr)![1]);
    expect(insns).toBeLessThan(512);
    const f = facts(r.stdout);
    expect(f).toEqual({
      getpid: 'ok', clone3: 'ENOSYS', 'personality-query': 'ok', 'personality-addr-no-randomize': 'EPERM',
      'clone-fork': 'ok', 'clone-newuser': 'EPERM', 'socket-unix': 'ok', 'socket-vsock': 'EPERM', keyctl: 'EPERM',
      // x32: getpid passes the filter (the kernel may have no x32: ENOSYS), keyctl does not
      'x32-getpid': expect.stringMatching(/^(ok|ENOSYS)$/), 'x32-keyctl': 'EPERM',
      'i386-getpid': 'ok', 'i386-keyctl': 'EPERM', 'i386-personality-query': 'ok', 'i386-personality-addr-no-randomize': 'EPERM', 'i386-clone3': 'ENOSYS',
    });
    // without the filter the kernel answers each refused call otherwise: the refusals are the filter's
    const u = facts((await run(['--security-opt', 'seccomp=unconfined'], '/probe/abi')).stdout);
    const refused = Object.keys(f).filter((k) => f[k] === 'EPERM' || f[k] === 'ENOSYS');
    expect(refused.length).toBeGreaterThanOrEqual(9);
    for (const k of refused.filter((k) => k !== 'x32-getpid')) expect([k, u[k]]).not.toEqual([k, f[k]]);
  });

  it('seccomp=unconfined: no filter; a user namespace and keyctl work, but root still lacks CAP_SYS_ADMIN', async () => {
    const r = await run(['--security-opt', 'seccomp=unconfined'], `hostname; ${LAYERS}`);
    expect(r.exitCode, r.stderr).toBe(0);
    const f = facts(r.stdout);
    expect(f).toMatchObject({ Seccomp: '0', userns: '0', netns: '1', mount: '1' });
    // the session keyring is a fresh one named after the container (runc's)
    expect(f.keyring).toMatch(new RegExp(`^\\d+ keyring;0;0;[0-9a-f]{8};${r.stdout.split('\n')[0]}[0-9a-f]{52}$`));
  });

  it('--cap-add SYS_ADMIN: the profile opens mount and unshare for it; keyctl stays blocked', async () => {
    const r = await run(['--cap-add', 'SYS_ADMIN'], LAYERS);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(facts(r.stdout)).toMatchObject({ Seccomp: '2', CapEff: '00000000a82425fb', userns: '0', netns: '0', mount: '0', keyctl: 'EPERM' });
  });

  it('seccomp=unconfined --cap-add SYS_ADMIN: everything works', async () => {
    const r = await run(['--security-opt', 'seccomp=unconfined', '--cap-add', 'SYS_ADMIN'], LAYERS);
    expect(r.exitCode, r.stderr).toBe(0);
    const f = facts(r.stdout);
    expect(f).toMatchObject({ Seccomp: '0', userns: '0', netns: '0', mount: '0' });
    expect(f.keyring).toMatch(/^\d+ keyring;/);
  });

  it('--cap-drop ALL: no capability in any set, so root cannot chown', async () => {
    const r = await run(['--cap-drop', 'ALL'], "grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status; chown 1 /tmp; echo chown=$?");
    expect(facts(r.stdout)).toEqual({ CapEff: '0000000000000000', CapPrm: '0000000000000000', CapBnd: '0000000000000000', chown: '1' });
    expect(r.stderr).toContain('Operation not permitted');
  });

  it('no_new_privs: a setuid-root binary stays the user; no-new-privileges=false lets it become root', async () => {
    const on = await run(['-u', '65534'], 'grep NoNewPrivs /proc/self/status; /probe/suid-probe');
    const off = await run(['-u', '65534', '--security-opt', 'no-new-privileges=false'], 'grep NoNewPrivs /proc/self/status; /probe/suid-probe');
    expect(facts(on.stdout)).toMatchObject({ NoNewPrivs: '1', euid: '65534' });
    expect(facts(off.stdout)).toMatchObject({ NoNewPrivs: '0', euid: '0' });
  });
});

describe('devices', () => {
  it("a block node made with mknod cannot be opened; --device makes one usable, as its permissions say", async () => {
    const read = (p: string) => `dd if=${p} of=/dev/null bs=512 count=1 2>/dev/null; echo`;
    const plain = await run([], `mknod /tmp/disk b 7 ${loop.minor} && echo made=0; ${read('/tmp/disk')} open=$?; dd if=/tmp/disk of=/dev/null count=1`);
    expect(facts(plain.stdout)).toEqual({ made: '0', open: '1' });
    expect(plain.stderr).toContain("can't open '/tmp/disk': Operation not permitted");

    const dev = await run(['--device', `${loop.path}:/dev/xloop:r`], `stat -c 'node=%F %t:%T' /dev/xloop; ${read('/dev/xloop')} read=$?
      dd if=/dev/zero of=/dev/xloop bs=512 count=0 conv=notrunc 2>/dev/null; echo write=$?
      mknod /tmp/same b 7 ${loop.minor}; ${read('/tmp/same')} same=$?`);
    expect(dev.exitCode, dev.stderr).toBe(0);
    // the rule is for the device numbers, whatever node names them: read yes, write no
    expect(facts(dev.stdout)).toEqual({ node: `block special file 7:${loop.minor.toString(16)}`, read: '0', write: '1', same: '0' });
  });
});

describe('--read-only', () => {
  it('refuses writes to / but not to /dev, /dev/shm, a --tmpfs or a volume', async () => {
    const vol = mkdtempSync(join(dir, 'vol-'));
    const r = await run(['--read-only', '--tmpfs', '/scratch', '-v', `${vol}:/vol`], `touch /x 2>/dev/null; echo root=$?
      touch /scratch/x; echo tmpfs=$?; touch /vol/x; echo volume=$?; touch /dev/shm/x; echo shm=$?; touch /dev/x; echo dev=$?
      grep ' / ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1 | sed 's/^/rootopts=/'`);
    expect(facts(r.stdout)).toEqual({ root: '1', tmpfs: '0', volume: '0', shm: '0', dev: '0', rootopts: 'ro' });
    expect(existsSync(join(vol, 'x'))).toBe(true);
  });
});

describe('--privileged', () => {
  it("every capability minictr holds, no filter, every device, the host's /dev nodes, nothing masked, /sys writable", async () => {
    const own = /^CapPrm:\s+(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    const r = await run(['--privileged'], `grep -E '^(CapEff|Seccomp):' /proc/self/status
      stat -c 'loop=%t:%T' ${loop.path}; dd if=${loop.path} of=/dev/null count=1 2>/dev/null; echo open=$?
      echo timer_list=$(wc -c < /proc/timer_list)
      ${MOUNT_MODES}`);
    expect(r.exitCode, r.stderr).toBe(0);
    const f = facts(r.stdout);
    expect(f).toMatchObject({ CapEff: own, Seccomp: '0', loop: `7:${loop.minor.toString(16)}`, open: '0', sys: 'rw', cgroup: 'rw' });
    expect(Number(f.timer_list)).toBeGreaterThan(0);
    // and by default the same things are hidden or read-only
    const d = await run([], `echo timer_list=$(wc -c < /proc/timer_list); ${MOUNT_MODES}`);
    expect(facts(d.stdout)).toEqual({ timer_list: '0', sys: 'ro', cgroup: 'ro' });
  });
});

describe('limits, sysctls, groups and paths', () => {
  it('--ulimit, --sysctl, --shm-size, --oom-score-adj, --group-add and systempaths=unconfined, seen inside', async () => {
    const r = await run(
      ['--ulimit', 'nofile=2048:4096', '--ulimit', 'core=0:unlimited', '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=65536',
        '--shm-size', '8m', '--oom-score-adj', '321', '--group-add', '4242', '--group-add', 'daemon', '--security-opt', 'systempaths=unconfined'],
      `echo nofile=$(ulimit -n):$(ulimit -Hn) core=$(ulimit -c):$(ulimit -Hc) | tr ' ' '\\n'
       echo ip_forward=$(cat /proc/sys/net/ipv4/ip_forward); echo shmmax=$(cat /proc/sys/kernel/shmmax)
       echo shm=$(df -k /dev/shm | tail -1 | awk '{print $2}'); echo oom=$(cat /proc/self/oom_score_adj)
       echo groups=$(id -G | tr ' ' ,); echo timer_list=$(wc -c < /proc/timer_list)`,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const f = facts(r.stdout);
    expect(f).toMatchObject({ nofile: '2048:4096', core: '0:unlimited', ip_forward: '1', shmmax: '65536', shm: '8192', oom: '321', groups: '0,1,4242' });
    expect(Number(f.timer_list)).toBeGreaterThan(0);
  });
});

describe('exec', () => {
  it("gets the container's filter, keyring, groups and limits; explain and inspect show the real values", async () => {
    // Docker's default profile, and keyctl, so that both processes can show their keyring
    const profile = JSON.parse(readFileSync(new URL('../profiles/seccomp-default.json', import.meta.url), 'utf8')) as { syscalls: unknown[] };
    profile.syscalls.push({ names: ['keyctl'], action: 'SCMP_ACT_ALLOW' });
    const file = join(dir, 'with-keyctl.json');
    writeFileSync(file, JSON.stringify(profile));
    const name = uniq('sec-');
    const status = "grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs|CapEff|Groups):' /proc/self/status";
    const d = await minictr(['run', '-d', '--explain=full', '--name', name, '--network', 'none', ...probeVolume, '--security-opt', `seccomp=${file}`,
      '--group-add', '4242', '--ulimit', 'nproc=500', '--device', `${loop.path}:/dev/xloop:r`,
      'busybox', 'sh', '-c', `(${status}; /probe/probe; ulimit -u) > /tmp/first; exec sleep 60`]);
    expect(d.exitCode, d.stderr).toBe(0);
    made.push(name);
    const id = d.stdout.trim();
    const first = async (): Promise<string> => {
      for (let i = 0; i < 100; i++) {
        const r = await minictr(['exec', name, 'cat', '/tmp/first']);
        if (r.exitCode === 0 && r.stdout.includes('euid=')) return r.stdout;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error('the first process wrote nothing');
    };
    const pid1 = await first();
    const e = await minictr(['exec', name, 'sh', '-c', `${status}; /probe/probe; ulimit -u; unshare -U true; echo userns=$?`]);
    expect(e.exitCode, e.stderr).toBe(0);
    expect(e.stdout.startsWith(pid1)).toBe(true);
    expect(facts(pid1)).toMatchObject({ Seccomp: '2', Seccomp_filters: '1', NoNewPrivs: '1', Groups: '4242', keyring: expect.stringMatching(new RegExp(`;${id}$`)) });
    // and exec's filter is really in force: a user namespace needs no capability
    expect(facts(e.stdout).userns).toBe('1');
    expect(e.stderr).toContain('Operation not permitted');

    const info = JSON.parse((await minictr(['inspect', name])).stdout)[0];
    const allowed = Number(/# seccomp: (\d+) syscalls allowed, default SCMP_ACT_ERRNO \(EPERM\)/.exec(d.stderr)![1]);
    expect(info.Security.Seccomp).toMatchObject({ Mode: 'filter', Profile: file, SyscallsAllowed: allowed, DefaultAction: 'SCMP_ACT_ERRNO' });
    expect(info.Security.Capabilities.Effective).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE']);
    expect(info.Security.DeviceRules).toContain(`allow b 7:${loop.minor} r`);
    expect(info.Security.Rlimits).toContainEqual({ Type: 'RLIMIT_NPROC', Soft: 500, Hard: 500 });
    expect(info.HostConfig).toMatchObject({ SecurityOpt: [`seccomp=${file}`], GroupAdd: ['4242'], Devices: [{ PathOnHost: loop.path, PathInContainer: '/dev/xloop', CgroupPermissions: 'r' }] });
    // the device rule --explain shows is the one written to the kernel
    expect(d.stderr).toMatch(new RegExp(`allow b 7:${loop.minor} r\\b`));
    expect(d.stderr).toContain(`$ keyctl session ${id}\n`);
  });

  it('never runs a host binary the container can reach: a #!/proc/self/exe script gets minictr-init from a sealed memfd, not node', async () => {
    // CVE-2019-5736's class: the process that execve()s the command is the one /proc/self/exe
    // names while it does. Were it a fork of the host's node, this script would run node
    // (its --version prints v20.x), and node could then be read, or written, from inside.
    const name = uniq('sec-');
    const d = await minictr(['run', '-d', '--name', name, '--network', 'none', 'busybox', 'sh', '-c', "printf '#!/proc/self/exe --version\\n' > /evil; chmod +x /evil; exec sleep 60"]);
    expect(d.exitCode, d.stderr).toBe(0);
    made.push(name);
    let e = await minictr(['exec', name, 'test', '-x', '/evil']);
    for (let i = 0; i < 100 && e.exitCode !== 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
      e = await minictr(['exec', name, 'test', '-x', '/evil']);
    }
    expect(e.exitCode).toBe(0);
    const r = await minictr(['exec', name, '/evil']);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/v\d+\.\d+\.\d+/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(process.version);
    // the interpreter the kernel found at /proc/self/exe was minictr-init (it prints its usage)
    expect(r.stderr).toContain('usage: minictr-init');
    // what the exec'd process sees as its own binary is the command, not a host file
    const exe = await minictr(['exec', name, 'readlink', '/proc/self/exe']);
    expect(exe.stdout.trim()).toBe('/bin/busybox');
  });

  it('without -t runs in a new session: the command cannot open the operator\'s terminal (TIOCSTI)', async () => {
    const name = uniq('sec-');
    const d = await minictr(['run', '-d', '--name', name, '--network', 'none', 'busybox', 'sleep', '60']);
    expect(d.exitCode, d.stderr).toBe(0);
    made.push(name);
    // script(1) gives minictr a terminal of its own, as an operator's shell would
    const viaTerminal = (args: string) => execa('script', ['-qec', `${BIN} ${args}`, '/dev/null'], { reject: false });
    const plain = await viaTerminal(`exec ${name} sh -c 'echo reached > /dev/tty; echo status=$?'`);
    expect(plain.stdout).toContain('No such device or address'); // ENXIO: no controlling terminal
    expect(plain.stdout).toMatch(/status=[1-9]/);
    expect(plain.stdout).not.toMatch(/^reached/m);
    // with -t the command gets a terminal of its own (a pty of minictr's), so the test can fail
    const withTty = await viaTerminal(`exec -t ${name} sh -c 'echo reached > /dev/tty; echo status=$?'`);
    expect(withTty.stdout).toMatch(/reached/);
    expect(withTty.stdout).toMatch(/status=0/);
  });
});

describe('refused inputs', () => {
  it("each gets one line and docker run's status 125, before anything is made", async () => {
    const cases: [string[], RegExp][] = [
      [['--cap-add', 'SYS_NOTHING'], /^minictr: invalid --cap-add "SYS_NOTHING": no such capability/],
      [['--ulimit', 'nofile=99999999'], /^minictr: invalid --ulimit "nofile=99999999": the hard limit 99999999 is above minictr's own \(\d+\) for RLIMIT_NOFILE/],
      [['--sysctl', 'kernel.core_pattern=|/tmp/x'], /^minictr: --sysctl: kernel.core_pattern is not a namespaced sysctl: it would change the host$/],
      [['--device', '/etc/hostname'], /^minictr: invalid --device "\/etc\/hostname": \/etc\/hostname is not a device node$/],
      [['--security-opt', 'seccomp=/nonexistent/profile.json'], /^minictr: --security-opt seccomp=\/nonexistent\/profile.json: cannot read the profile: ENOENT$/],
      [['--group-add', 'no-such-group'], /^minictr: --group-add no-such-group: no such group in the container's \/etc\/group$/],
    ];
    const before = await leftovers();
    for (const [flags, message] of cases) {
      const name = uniq('sec-bad-');
      const r = await minictr(['run', '--name', name, ...flags, 'busybox', 'true']);
      expect(r.exitCode, flags.join(' ')).toBe(125);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), flags.join(' ')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
    // no container dir, no reserved name, no mount or process of this run's state
    expect(own(newSince(before, await leftovers()))).toEqual([]);
  });
});

describe('the stored flags', () => {
  it('a record whose security flags were broken on disk is reported as broken, never started', async () => {
    const name = uniq('sec-rec-');
    const r = await minictr(['run', '--name', name, '--network', 'none', '--cap-add', 'NET_ADMIN', 'busybox', 'true']);
    expect(r.exitCode, r.stderr).toBe(0);
    made.push(name);
    const id = JSON.parse((await minictr(['inspect', name])).stdout)[0].Id as string;
    const file = join(process.env.MINICTR_ROOT!, 'containers', id, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    config.security.capAdd = ['ALL_OF_THEM'];
    writeFileSync(file, JSON.stringify(config));
    const s = await minictr(['start', name]);
    expect(s.exitCode).not.toBe(0);
    expect(s.stderr.trim().split('\n')).toHaveLength(1);
    expect(s.stderr).toContain('its security flags are broken: "ALL_OF_THEM" is not a capability');
    expect((await minictr(['ps', '-a'])).stdout).toMatch(new RegExp(`^${id.slice(0, 12)} .*Broken record`, 'm'));
  });
});
