/**
 * The security layers of `minictr run`, as pure code: Docker's seccomp format converted to
 * OCI's for a container's capabilities and a machine (src/security/docker-profile.ts), the
 * default profile itself (profiles/seccomp-default.json), the flags checked before anything
 * is made (src/runtime/security-options.ts), the spec parts built from them
 * (src/runtime/security-spec.ts), Docker's supplementary groups (users.ts) and the readers of
 * what this process holds (host-facts.ts). What the kernel makes of them: test/security.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { machine, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEVICE_RULES } from '../../src/cgroup/devices.js';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { parseNetworkMode } from '../../src/network/container/mode.js';
import { CAPABILITIES, capabilitiesInMask, DOCKER_DEFAULT_CAPS, normalizeCapability, type CapabilityName } from '../../src/runtime/capabilities.js';
import { deviceNumbers, hostSecurityFacts, parseHardLimits, type HostSecurityFacts } from '../../src/runtime/host-facts.js';
import { toSpawnRecord } from '../../src/runtime/native-spec.js';
import { DEFAULT_SECURITY, parseDevice, parseSecurityFlags, parseSysctl, parseUlimit, securityConfigProblem, securityOptStrings, type SecurityConfig, type SecurityFlags } from '../../src/runtime/security-options.js';
import { containerCapabilities, containerRlimits, RLIM_INFINITY, securityMounts, securityParts } from '../../src/runtime/security-spec.js';
import { buildContainerSpec } from '../../src/runtime/spec.js';
import type { Container } from '../../src/runtime/store.js';
import { parseDb, supplementaryGroupsIn } from '../../src/runtime/users.js';
import { kernelMounts, MASKED_PATHS } from '../../src/runtime/filesystem.js';
import { defaultSeccompProfile, renameSeccompError, toOciSeccomp } from '../../src/security/docker-profile.js';
import { compileSeccomp, describeSeccomp } from '../../src/security/seccomp.js';
import type { OciSeccomp } from '../../src/spec/config.js';
import { parseSpec } from '../../src/spec/parse.js';

const scratch = mkdtempSync(join(tmpdir(), 'minictr-unit-security-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ALL = Object.keys(CAPABILITIES) as CapabilityName[];
/** a root without CAP_SYS_RESOURCE and open files limited to 20000, as on the test machine */
const HOST: HostSecurityFacts = {
  heldCaps: ALL.filter((c) => c !== 'SYS_RESOURCE'),
  hardLimits: { RLIMIT_NOFILE: 20000, RLIMIT_NPROC: 96364, RLIMIT_CORE: -1 },
  machine: 'x86_64',
  kernel: '6.1.0-28-amd64',
  hostDevices: () => [{ type: 'c', path: '/dev/kmsg', major: 1, minor: 11, fileMode: 0o644, uid: 0, gid: 0 }],
};
const X86 = { machine: 'x86_64', kernel: '6.1.0' };
const DOCKER = DOCKER_DEFAULT_CAPS.map((c) => `CAP_${c}`);
const BRIDGE = parseNetworkMode(undefined);

const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
};

/** The syscalls a profile lets through unconditionally, and the rules for one syscall. */
const allowed = (p: OciSeccomp): Set<string> => new Set((p.syscalls ?? []).filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args?.length).flatMap((r) => r.names));
const rulesFor = (p: OciSeccomp, name: string) => (p.syscalls ?? []).filter((r) => r.names.includes(name));

describe("Docker's seccomp format to OCI's (toOciSeccomp)", () => {
  const profile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
      { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: null },
    ],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', comment: 'always' },
      { name: 'getpid', action: 'SCMP_ACT_ALLOW' },
      { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['quotactl'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_SYS_RESOURCE'] } },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
      { names: ['cacheflush'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm', 'arm64'] } },
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { arches: ['s390x'] } },
      { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
      { names: ['uselib'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '5.0' } },
    ],
  };
  const names = (p: OciSeccomp): string[] => (p.syscalls ?? []).map((r) => r.names.join(','));

  it('the archMap entry of this machine gives the architectures; conditions are judged and dropped', () => {
    const p = toOciSeccomp(profile, { capabilities: DOCKER, ...X86 });
    expect(p).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['getpid'], action: 'SCMP_ACT_ALLOW' },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW' },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['ptrace'], action: 'SCMP_ACT_ALLOW' },
      ],
    });
  });

  it('includes.caps needs every capability, excludes.caps drops the rule for any one', () => {
    expect(names(toOciSeccomp(profile, { capabilities: [...DOCKER, 'CAP_SYS_ADMIN'], ...X86 }))).toEqual(['read,write', 'getpid', 'mount', 'arch_prctl', 'clone', 'ptrace']);
    expect(names(toOciSeccomp(profile, { capabilities: ['CAP_SYS_ADMIN', 'CAP_SYS_RESOURCE'], ...X86 }))).toContain('quotactl');
  });

  it('arches are Go names (amd64, arm64); minKernel compares with this kernel', () => {
    const arm = toOciSeccomp(profile, { capabilities: [], machine: 'aarch64', kernel: '4.4.0' });
    expect(arm.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(names(arm)).toEqual(['read,write', 'getpid', 'clone3', 'cacheflush', 'clone', 'uselib']);
    expect(toOciSeccomp(profile, { capabilities: [], machine: 'riscv64', kernel: '6.6' }).architectures).toEqual(['SCMP_ARCH_RISCV64']);
    // no entry for this machine: libseccomp's native architecture alone
    expect(toOciSeccomp(profile, { capabilities: [], machine: 's390x', kernel: '6.6' })).not.toHaveProperty('architectures');
    expect(names(toOciSeccomp(profile, { capabilities: [], machine: 's390x', kernel: '6.6' }))).not.toContain('clone');
  });

  it('an OCI profile is Docker-format too and comes out as it went in', () => {
    const oci: OciSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
    expect(toOciSeccomp(oci, { capabilities: [], ...X86 })).toEqual(oci);
    expect(toOciSeccomp({ defaultAction: 'SCMP_ACT_LOG' }, { capabilities: [], ...X86 })).toEqual({ defaultAction: 'SCMP_ACT_LOG' });
  });

  it("containers-common's errno names must agree with the numbers", () => {
    const p = toOciSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrno: 'ENOSYS', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', errno: 'EINVAL', errnoRet: 22 }] }, { capabilities: [], ...X86 });
    expect(p).toEqual({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', errnoRet: 22 }] });
    expect(usage(() => toOciSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrno: 'ENOSYS', defaultErrnoRet: 1 }, { capabilities: [], ...X86 }))).toBe(
      'seccomp profile: defaultErrno: ENOSYS is 38, but defaultErrnoRet says 1',
    );
  });

  it('refuses a bad profile with one line naming the field (kept rules or not)', () => {
    const t = { capabilities: [], ...X86 };
    const cases: [unknown, string][] = [
      [[], 'expected a JSON object'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', default: 1 }, 'default: unknown field (known: defaultAction, defaultErrnoRet, defaultErrno, architectures, archMap, flags, listenerPath, listenerMetadata, syscalls)'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], archMap: [] }, 'both architectures and archMap are given: use one of them'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', archMap: [{ arch: 'x' }] }, 'archMap[0]: expected { architecture, subArchitectures }'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: {} }, 'syscalls: expected a list'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ERRNO' }] }, 'syscalls[0]: use either "name" or "names"'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', include: {} }] }, 'syscalls[0].include: unknown field (known: names, name, action, errnoRet, errno, args, comment, includes, excludes)'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', includes: { caps: 'CAP_X' } }] }, 'syscalls[0].includes.caps: expected a list of strings'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', includes: { minKernel: 'new' } }] }, 'syscalls[0].includes.minKernel: "new" is not a kernel version like 4.8'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', excludes: { kernel: '4' } }] }, 'syscalls[0].excludes.kernel: unknown field (known: caps, arches, minKernel)'],
      // a rule this container drops is still checked, under its own index
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } }] }, 'syscalls[0].names: must list at least one'],
      [{ syscalls: [] }, 'defaultAction is required'],
    ];
    for (const [p, message] of cases) expect(usage(() => toOciSeccomp(p, t, '--security-opt seccomp=/p.json'))).toBe(`--security-opt seccomp=/p.json: ${message}`);
  });

  it("the compiler's messages name the file's fields", () => {
    const e = renameSeccompError(new UsageError('linux.seccomp.syscalls[2].action: unknown action "X"'), '--security-opt seccomp=/p.json') as Error;
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('--security-opt seccomp=/p.json: syscalls[2].action: unknown action "X"');
    const other = new Error('not a profile problem');
    expect(renameSeccompError(other, 'x')).toBe(other);
  });
});

describe("the default profile (profiles/seccomp-default.json): Docker's", () => {
  const def = (caps: string[], kernel = '6.1.0') => toOciSeccomp(defaultSeccompProfile(), { capabilities: caps, machine: 'x86_64', kernel });

  it('an allowlist: anything else fails with EPERM, on x86_64 with its i386 and x32 ABIs', () => {
    const p = def(DOCKER);
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.defaultErrnoRet).toBe(1);
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const ok = allowed(p);
    for (const n of ['read', 'openat', 'execve', 'wait4', 'mknodat', 'chroot', 'arch_prctl', 'ptrace', 'vmsplice', 'getpid']) expect(ok, n).toContain(n);
    // what a container without CAP_SYS_ADMIN cannot ask for, whatever its capabilities say
    for (const n of ['mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'keyctl', 'add_key', 'request_key', 'bpf', 'io_uring_setup', 'reboot', 'init_module', 'syslog', 'sethostname', 'clone', 'clone3', 'kexec_load', 'userfaultfd', 'open_by_handle_at']) {
      expect(ok, n).not.toContain(n);
    }
  });

  it('argument filters: clone without CLONE_NEW*, clone3 ENOSYS, personality, socket but AF_VSOCK', () => {
    const p = def(DOCKER);
    expect(rulesFor(p, 'clone')).toEqual([{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }] }]);
    expect(rulesFor(p, 'clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
    expect(rulesFor(p, 'personality').map((r) => r.args)).toEqual([0, 8, 0x20000, 0x20008, 0xffffffff].map((value) => [{ index: 0, value, op: 'SCMP_CMP_EQ' }]));
    expect(rulesFor(p, 'socket')).toEqual([{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] }]);
  });

  it('CAP_SYS_ADMIN opens mount, unshare, setns, clone (any flags) and clone3; other capabilities theirs', () => {
    const admin = def([...DOCKER, 'CAP_SYS_ADMIN']);
    const ok = allowed(admin);
    for (const n of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'sethostname', 'bpf']) expect(ok, n).toContain(n);
    expect(rulesFor(admin, 'clone3').some((r) => r.action === 'SCMP_ACT_ERRNO')).toBe(false);
    expect(ok).not.toContain('keyctl');
    expect(allowed(def([...DOCKER, 'CAP_SYS_TIME']))).toContain('clock_settime');
    expect(allowed(def([...DOCKER, 'CAP_SYS_MODULE']))).toContain('finit_module');
    expect(allowed(def(DOCKER.filter((c) => c !== 'CAP_SYS_CHROOT')))).not.toContain('chroot');
  });

  it('ptrace from Linux 4.8 on (before, a tracer could escape the filter), or with CAP_SYS_PTRACE', () => {
    expect(allowed(def(DOCKER, '4.4.0'))).not.toContain('ptrace');
    expect(allowed(def([...DOCKER, 'CAP_SYS_PTRACE'], '4.4.0'))).toContain('ptrace');
  });

  it("compiles with libseccomp; Docker's 14 get fewer calls than CAP_SYS_ADMIN", () => {
    const plain = compileSeccomp(def(DOCKER));
    const admin = compileSeccomp(def([...DOCKER, 'CAP_SYS_ADMIN']));
    expect(plain.allowed).toBeGreaterThan(250);
    expect(admin.allowed).toBeGreaterThan(plain.allowed);
    expect(describeSeccomp(plain)).toBe(`seccomp: ${plain.allowed} syscalls allowed, default SCMP_ACT_ERRNO (EPERM)`);
  });
});

describe('run flags: capabilities', () => {
  const sec = (s: Partial<SecurityConfig>) => ({ ...DEFAULT_SECURITY, ...s });
  it("names as Docker reads them; ALL; unknown ones and ones minictr lacks are refused", () => {
    expect(['net_admin', 'CAP_NET_ADMIN', ' Net_Admin ', 'all'].map(normalizeCapability)).toEqual(['NET_ADMIN', 'NET_ADMIN', 'NET_ADMIN', 'ALL']);
    expect(normalizeCapability('NET_ADMINS')).toBeUndefined();
    expect(parseSecurityFlags({ capAdd: ['cap_net_admin', 'all'], capDrop: ['ALL', 'chown'] }, BRIDGE, HOST, () => true)).toMatchObject({ capAdd: ['NET_ADMIN', 'ALL'], capDrop: ['ALL', 'CHOWN'] });
    expect(usage(() => parseSecurityFlags({ capAdd: ['NET_ADMINS'] }, BRIDGE, HOST, () => true))).toBe('invalid --cap-add "NET_ADMINS": no such capability (see capabilities(7); e.g. NET_ADMIN, SYS_ADMIN, or ALL)');
    expect(usage(() => parseSecurityFlags({ capDrop: ['x'] }, BRIDGE, HOST, () => true))).toMatch(/^invalid --cap-drop "x": no such capability/);
    expect(usage(() => parseSecurityFlags({ capAdd: ['SYS_RESOURCE'] }, BRIDGE, HOST, () => true))).toBe('invalid --cap-add SYS_RESOURCE: minictr itself does not hold CAP_SYS_RESOURCE, so no container it starts can have it');
    // dropping one minictr lacks is no problem
    expect(parseSecurityFlags({ capDrop: ['SYS_RESOURCE'] }, BRIDGE, HOST, () => true).capDrop).toEqual(['SYS_RESOURCE']);
  });

  it("Docker's rules: drops from the 14, then adds; drop ALL keeps only the adds; add ALL is all minictr holds", () => {
    expect(containerCapabilities(sec({}), HOST.heldCaps)).toEqual(DOCKER_DEFAULT_CAPS);
    expect(containerCapabilities(sec({ capDrop: ['NET_RAW', 'MKNOD'], capAdd: ['NET_ADMIN'] }), HOST.heldCaps)).toEqual([...DOCKER_DEFAULT_CAPS.filter((c) => c !== 'NET_RAW' && c !== 'MKNOD'), 'NET_ADMIN']);
    expect(containerCapabilities(sec({ capDrop: ['ALL'] }), HOST.heldCaps)).toEqual([]);
    expect(containerCapabilities(sec({ capDrop: ['ALL'], capAdd: ['CHOWN'] }), HOST.heldCaps)).toEqual(['CHOWN']);
    expect(containerCapabilities(sec({ capDrop: ['CHOWN'], capAdd: ['CHOWN'] }), HOST.heldCaps)).toContain('CHOWN');
    const all = containerCapabilities(sec({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'] }), HOST.heldCaps);
    expect(all).toHaveLength(ALL.length - 2);
    expect(all).not.toContain('SYS_ADMIN');
    expect(all[0]).toBe('CHOWN'); // by number
    expect(containerCapabilities(sec({ privileged: true, capDrop: ['ALL'] }), HOST.heldCaps)).toEqual(HOST.heldCaps);
  });
});

describe('run flags: --ulimit, --sysctl, --security-opt, --oom-score-adj, --shm-size, --group-add', () => {
  it('--ulimit NAME=SOFT[:HARD], HARD defaulting to SOFT, unlimited as -1', () => {
    expect(parseUlimit('nofile=1024:4096', HOST)).toEqual({ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 });
    expect(parseUlimit('nproc=100', HOST)).toEqual({ type: 'RLIMIT_NPROC', soft: 100, hard: 100 });
    expect(parseUlimit('core=0:unlimited', HOST)).toEqual({ type: 'RLIMIT_CORE', soft: 0, hard: -1 });
    expect(parseUlimit('core=-1', HOST)).toEqual({ type: 'RLIMIT_CORE', soft: -1, hard: -1 });
    // no limit of this process known: the kernel judges
    expect(parseUlimit('stack=8388608', HOST)).toEqual({ type: 'RLIMIT_STACK', soft: 8388608, hard: 8388608 });
  });

  it("--ulimit above this process's hard limit is refused, unless minictr holds CAP_SYS_RESOURCE", () => {
    expect(usage(() => parseUlimit('nofile=20001', HOST))).toBe(
      'invalid --ulimit "nofile=20001": the hard limit 20001 is above minictr\'s own (20000) for RLIMIT_NOFILE, and raising it needs CAP_SYS_RESOURCE, which minictr does not hold',
    );
    expect(usage(() => parseUlimit('nofile=1024:unlimited', HOST))).toMatch(/the hard limit unlimited is above minictr's own \(20000\)/);
    expect(parseUlimit('nofile=20000', HOST).hard).toBe(20000);
    expect(parseUlimit('nofile=30000', { ...HOST, heldCaps: ALL }).hard).toBe(30000);
  });

  it.each([
    ['nofile', 'expected NAME=SOFT[:HARD], e.g. nofile=1024:2048'],
    ['nofile=1:2:3', '"2:3" is not a number (or unlimited)'],
    ['files=10', 'unknown limit "files" (one of core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack, as)'],
    ['nofile=ten', '"ten" is not a number (or unlimited)'],
    ['nofile=100:10', 'the soft limit 100 is above the hard limit 10'],
    ['core=unlimited:0', 'the soft limit unlimited is above the hard limit 0'],
  ])('--ulimit %s: %s', (spec, why) => {
    expect(usage(() => parseUlimit(spec, HOST))).toBe(`invalid --ulimit "${spec}": ${why}`);
  });

  it("--sysctl: a key of the container's own namespaces only", () => {
    expect(parseSysctl('net.ipv4.ip_forward=1', BRIDGE)).toEqual(['net.ipv4.ip_forward', '1']);
    expect(parseSysctl('kernel.shmmax=1000=x', BRIDGE)).toEqual(['kernel.shmmax', '1000=x']);
    expect(parseSysctl('net/ipv4/ping_group_range=0 0', parseNetworkMode('none'))).toEqual(['net.ipv4.ping_group_range', '0 0']);
    expect(usage(() => parseSysctl('kernel.core_pattern=|/x', BRIDGE))).toBe('--sysctl: kernel.core_pattern is not a namespaced sysctl: it would change the host');
    expect(usage(() => parseSysctl('vm.swappiness=1', BRIDGE))).toBe('--sysctl: vm.swappiness is not a namespaced sysctl: it would change the host');
    expect(usage(() => parseSysctl('net.ipv4.ip_forward=1', parseNetworkMode('host')))).toBe("--sysctl: net.ipv4.ip_forward needs a network namespace of the container's own");
    expect(usage(() => parseSysctl('net.ipv4.ip_forward=1', parseNetworkMode('container:db')))).toMatch(/needs a network namespace of the container's own/);
    expect(usage(() => parseSysctl('net.ipv4.ip_forward', BRIDGE))).toBe('invalid --sysctl "net.ipv4.ip_forward": expected KEY=VALUE');
    expect(parseSecurityFlags({ sysctl: ['net.core.somaxconn=1024', 'net.core.somaxconn=2048'] }, BRIDGE, HOST, () => true).sysctls).toEqual({ 'net.core.somaxconn': '2048' });
  });

  it('--security-opt: seccomp=unconfined|FILE, no-new-privileges[=true|false], systempaths=unconfined', () => {
    const opt = (...o: string[]) => parseSecurityFlags({ securityOpt: o }, BRIDGE, HOST, () => true);
    expect(opt()).toEqual(DEFAULT_SECURITY);
    expect(opt('seccomp=unconfined').seccomp).toEqual({ mode: 'unconfined' });
    const file = join(scratch, 'profile.json');
    writeFileSync(file, JSON.stringify({ defaultAction: 'SCMP_ACT_LOG' }));
    expect(opt(`seccomp=${file}`).seccomp).toEqual({ mode: 'file', path: file, profile: { defaultAction: 'SCMP_ACT_LOG' } });
    expect(opt('no-new-privileges').noNewPrivileges).toBe(true);
    expect(opt('no-new-privileges=false').noNewPrivileges).toBe(false);
    expect(opt('no-new-privileges:false', 'no-new-privileges=true').noNewPrivileges).toBe(true);
    expect(opt('systempaths=unconfined').unmaskedPaths).toBe(true);
    expect(securityOptStrings(opt('seccomp=unconfined', 'no-new-privileges=false', 'systempaths=unconfined'))).toEqual(['seccomp=unconfined', 'no-new-privileges=false', 'systempaths=unconfined']);
    expect(usage(() => opt(`seccomp=${join(scratch, 'missing.json')}`))).toBe(`--security-opt seccomp=${join(scratch, 'missing.json')}: cannot read the profile: ENOENT`);
    writeFileSync(join(scratch, 'bad.json'), '{ nope');
    expect(usage(() => opt(`seccomp=${join(scratch, 'bad.json')}`))).toMatch(/^--security-opt seccomp=\S+bad\.json: not JSON: /);
    expect(usage(() => opt('apparmor=unconfined'))).toBe('--security-opt apparmor=unconfined: not supported: minictr applies no AppArmor profiles');
    expect(usage(() => opt('label=disable'))).toBe('--security-opt label=disable: not supported: minictr applies no SELinux labels');
    for (const o of ['seccomp', 'no-new-privileges=maybe', 'systempaths=x', 'nonsense']) {
      expect(usage(() => opt(o))).toBe(`invalid --security-opt "${o}": expected seccomp=unconfined|FILE, no-new-privileges[=true|false] or systempaths=unconfined`);
    }
  });

  it('--oom-score-adj -1000..1000, lowered only as the kernel allows; --shm-size; --group-add', () => {
    const f = (flags: SecurityFlags, oom: (v: number) => boolean = () => true) => parseSecurityFlags(flags, BRIDGE, HOST, oom);
    expect(f({ oomScoreAdj: '500' }).oomScoreAdj).toBe(500);
    expect(f({ oomScoreAdj: '-1000' }).oomScoreAdj).toBe(-1000);
    expect(usage(() => f({ oomScoreAdj: '1001' }))).toBe('invalid --oom-score-adj "1001": an integer from -1000 to 1000');
    expect(usage(() => f({ oomScoreAdj: '1.5' }))).toBe('invalid --oom-score-adj "1.5": an integer from -1000 to 1000');
    expect(usage(() => f({ oomScoreAdj: '-10' }, (v) => v >= 0))).toBe("invalid --oom-score-adj -10: lowering it below minictr's own needs CAP_SYS_RESOURCE, which minictr does not hold");
    expect(f({ shmSize: '128m' }).shmSize).toBe(128 * 1024 * 1024);
    expect(usage(() => f({ shmSize: '0' }))).toBe('invalid --shm-size "0": must be more than 0');
    expect(usage(() => f({ shmSize: 'big' }))).toMatch(/^invalid --shm-size "big": expected a size/);
    expect(f({ groupAdd: ['audio', '1234'] }).groupAdd).toEqual(['audio', '1234']);
    expect(usage(() => f({ groupAdd: ['a:b'] }))).toBe('invalid --group-add "a:b": a group name or number');
  });
});

describe('run flags: --device HOST[:CONTAINER][:PERMISSIONS]', () => {
  it('the host node numbers, its mode and owner; the container path and permissions as given', () => {
    expect(parseDevice('/dev/null')).toMatchObject({ hostPath: '/dev/null', path: '/dev/null', type: 'c', major: 1, minor: 3, access: 'rwm' });
    expect(parseDevice('/dev/null:/dev/mynull')).toMatchObject({ path: '/dev/mynull', access: 'rwm' });
    expect(parseDevice('/dev/null:r')).toMatchObject({ path: '/dev/null', access: 'r' });
    expect(parseDevice('/dev/zero:/dev/z:rw')).toMatchObject({ path: '/dev/z', type: 'c', major: 1, minor: 5, access: 'rw' });
    expect(parseDevice('/dev/null').fileMode).toBe(0o666);
  });

  it('refuses what is not a device node, a path outside /dev, and bad permissions', () => {
    const file = join(scratch, 'plain');
    writeFileSync(file, '');
    expect(usage(() => parseDevice(file))).toBe(`invalid --device "${file}": ${file} is not a device node`);
    expect(usage(() => parseDevice('/dev'))).toBe('invalid --device "/dev": /dev is a directory: name its device nodes one by one');
    expect(usage(() => parseDevice('dev/null'))).toBe('invalid --device "dev/null": the host path must be absolute');
    expect(usage(() => parseDevice('/dev/null:null'))).toBe('invalid --device "/dev/null:null": the container path must be absolute');
    expect(usage(() => parseDevice('/dev/null:/etc/null'))).toBe('invalid --device "/dev/null:/etc/null": the container path must be below /dev');
    expect(usage(() => parseDevice('/dev/null:/dev/x:rwx'))).toBe('invalid --device "/dev/null:/dev/x:rwx": permissions "rwx" must be some of r (read), w (write) and m (mknod)');
    expect(usage(() => parseDevice('/dev/null:/dev/x:rr'))).toMatch(/permissions "rr"/);
    expect(usage(() => parseDevice('/dev/null:/dev/x:r:w'))).toBe('invalid --device "/dev/null:/dev/x:r:w": expected HOST[:CONTAINER][:PERMISSIONS]');
    expect(() => parseDevice('/dev/minictr-unit-none')).toThrow(new NotFoundError('--device /dev/minictr-unit-none: no such device on the host'));
  });
});

describe("a stored SecurityConfig, read back (securityConfigProblem)", () => {
  it('what the flags make is sound; a broken field is named, never started with', () => {
    const made = parseSecurityFlags({ capAdd: ['net_admin'], capDrop: ['ALL'], ulimit: ['core=10:unlimited'], sysctl: ['kernel.shmmax=1'], oomScoreAdj: '5', shmSize: '1m', device: ['/dev/null:/dev/n:r'] }, BRIDGE, HOST, () => true);
    // as the record holds it: JSON, written and read back
    for (const s of [DEFAULT_SECURITY, made, { ...DEFAULT_SECURITY, seccomp: { mode: 'file', path: '/p.json', profile: {} } }]) {
      expect(securityConfigProblem(JSON.parse(JSON.stringify(s)))).toBeUndefined();
    }
    const broken = (patch: Record<string, unknown>) => securityConfigProblem({ ...JSON.parse(JSON.stringify(made)), ...patch });
    expect(securityConfigProblem(null)).toBe('not an object');
    expect(securityConfigProblem([])).toBe('not an object');
    expect(broken({ privileged: 'yes' })).toBe('privileged is not true or false');
    expect(broken({ capAdd: 'ALL' })).toBe('capAdd is not a list of strings');
    expect(broken({ capAdd: ['cap_sys_admin'] })).toBe('"cap_sys_admin" is not a capability');
    expect(broken({ capDrop: ['NOPE'] })).toBe('"NOPE" is not a capability');
    expect(broken({ seccomp: { mode: 'file' } })).toBe('seccomp "file" is not default, unconfined or a file with its profile');
    expect(broken({ seccomp: null })).toBe('seccomp is not an object');
    expect(broken({ ulimits: [{ type: 'RLIMIT_NOPE', soft: 1, hard: 1 }] })).toBe('ulimits is not a list of { type: RLIMIT_*, soft, hard }');
    expect(broken({ ulimits: [{ type: 'RLIMIT_NOFILE', soft: -2, hard: 1 }] })).toMatch(/^ulimits /);
    expect(broken({ sysctls: { a: 1 } })).toBe('sysctls is not an object of strings');
    expect(broken({ oomScoreAdj: 1001 })).toBe('oomScoreAdj is not from -1000 to 1000');
    expect(broken({ shmSize: 0 })).toBe('shmSize is not a positive number of bytes');
    expect(broken({ devices: [{ ...made.devices[0], path: '/etc/n' }] })).toBe('devices is not a list of device nodes below /dev with r, w, m');
    expect(broken({ devices: [{ ...made.devices[0], access: 'rwx' }] })).toMatch(/^devices /);
    expect(broken({ devices: [{ ...made.devices[0], major: -1 }] })).toMatch(/^devices /);
  });
});

describe('the spec parts (securityParts, securityMounts)', () => {
  const parts = (s: Partial<SecurityConfig>, root = true) => securityParts({ ...DEFAULT_SECURITY, ...s }, root, HOST);

  it('by default: the 14, no_new_privs, the default profile, the device allowlist, masked paths, nofile 1024', () => {
    const p = parts({});
    expect(p.capabilities.effective).toEqual(DOCKER);
    expect(p.noNewPrivileges).toBe(true);
    expect(p.seccomp).toEqual(toOciSeccomp(defaultSeccompProfile(), { capabilities: DOCKER, ...X86 }));
    expect(p.deviceRules).toEqual(DEFAULT_DEVICE_RULES.map((r) => ({ ...r })));
    expect(p.devices).toEqual([]);
    expect(p.maskedPaths).toEqual(MASKED_PATHS);
    expect(p.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 }]);
    expect(p.rootReadonly).toBe(false);
    expect(parts({}, false).capabilities).toEqual({ bounding: DOCKER, effective: [], permitted: [] });
  });

  it('the seccomp profile follows the capabilities; unconfined has none', () => {
    expect(allowed(parts({ capAdd: ['SYS_ADMIN'] }).seccomp!)).toContain('mount');
    expect(allowed(parts({}).seccomp!)).not.toContain('mount');
    expect(parts({ seccomp: { mode: 'unconfined' } })).not.toHaveProperty('seccomp');
    expect(parts({ seccomp: { mode: 'file', path: '/p.json', profile: { defaultAction: 'SCMP_ACT_LOG' } } }).seccomp).toEqual({ defaultAction: 'SCMP_ACT_LOG' });
  });

  it("--privileged: every capability minictr holds, no filter, every device and the host's nodes, no masked paths", () => {
    const p = parts({ privileged: true, seccomp: { mode: 'file', path: '/p.json', profile: { defaultAction: 'SCMP_ACT_LOG' } } });
    expect(p.capabilities.effective).toEqual(HOST.heldCaps.map((c) => `CAP_${c}`));
    expect(p).not.toHaveProperty('seccomp');
    expect(p.deviceRules).toEqual([{ allow: true, access: 'rwm' }]);
    expect(p.devices).toEqual(HOST.hostDevices());
    expect([p.maskedPaths, p.readonlyPaths]).toEqual([[], []]);
    expect(parts({ unmaskedPaths: true }).maskedPaths).toEqual([]);
    expect(parts({ unmaskedPaths: true }).seccomp).toBeDefined();
  });

  it('--device: the node and an allow rule after the defaults', () => {
    const p = parts({ devices: [{ hostPath: '/dev/loop3', path: '/dev/xloop', type: 'b', major: 7, minor: 3, fileMode: 0o660, uid: 0, gid: 6, access: 'rw' }] });
    expect(p.devices).toEqual([{ type: 'b', path: '/dev/xloop', major: 7, minor: 3, fileMode: 0o660, uid: 0, gid: 6 }]);
    expect(p.deviceRules.slice(DEFAULT_DEVICE_RULES.length)).toEqual([{ allow: true, type: 'b', major: 7, minor: 3, access: 'rw' }]);
  });

  it('rlimits: nofile 1024 under the hard limit, then each --ulimit; unlimited is RLIM_INFINITY', () => {
    expect(containerRlimits({ ulimits: [] }, { RLIMIT_NOFILE: 512 })).toEqual([{ type: 'RLIMIT_NOFILE', soft: 512, hard: 512 }]);
    expect(containerRlimits({ ulimits: [] }, {})).toEqual([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: RLIM_INFINITY }]);
    expect(containerRlimits({ ulimits: [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }, { type: 'RLIMIT_CORE', soft: 0, hard: -1 }] }, HOST.hardLimits)).toEqual([
      { type: 'RLIMIT_NOFILE', soft: 10, hard: 20 },
      { type: 'RLIMIT_CORE', soft: 0, hard: RLIM_INFINITY },
    ]);
  });

  it('/dev/shm gets --shm-size; --privileged makes /sys and /sys/fs/cgroup writable', () => {
    const shm = (m: ReturnType<typeof kernelMounts>) => m.find((x) => x.destination === '/dev/shm')!.options;
    expect(shm(securityMounts(kernelMounts(), { privileged: false, shmSize: 128 * 1024 * 1024 }))).toEqual(['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=131072k']);
    expect(shm(securityMounts(kernelMounts(), { privileged: false, shmSize: 1000 }))).toContain('size=1000');
    expect(securityMounts(kernelMounts(), { privileged: false })).toEqual(kernelMounts());
    const priv = securityMounts(kernelMounts(), { privileged: true });
    for (const d of ['/sys', '/sys/fs/cgroup']) expect(priv.find((m) => m.destination === d)!.options).not.toContain('ro');
  });

  it('through the spec builder: a spec minictr-oci accepts and the child can be given', () => {
    const c: Container = {
      dir: '/var/lib/minictr/containers/abc',
      state: { status: 'created' },
      config: {
        id: 'abc', name: 'n', image: 'busybox', imageId: 'sha256:x', created: '', command: ['sh'], env: [], cwd: '/', hostname: 'h',
        tty: false, interactive: false, autoRemove: false, volumes: [], tmpfs: [],
        security: { ...DEFAULT_SECURITY, privileged: true, readOnly: true, sysctls: { 'net.ipv4.ip_forward': '1' }, oomScoreAdj: 200, ulimits: [{ type: 'RLIMIT_CORE', soft: 0, hard: -1 }] },
      },
    };
    const spec = buildContainerSpec({ container: c, imageEnv: [], etcMounts: [], network: BRIDGE, host: HOST, groups: [10, 1234] });
    expect(parseSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    expect(spec.root).toEqual({ path: '/var/lib/minictr/containers/abc/merged', readonly: true });
    expect(spec.process!.user).toEqual({ uid: 0, gid: 0, additionalGids: [10, 1234] });
    expect(spec.process!.oomScoreAdj).toBe(200);
    expect(spec.linux!.sysctl).toEqual({ 'net.ipv4.ip_forward': '1' });
    const r = toSpawnRecord(spec, { bundle: c.dir, initMode: 'pid1', initPath: '/x/init', stdio: [0, 1, 2], cgroupFd: -1, explainFd: -1, dieWithParent: false, lastCap: 40 });
    expect(r.rootReadonly).toBe(true);
    expect(r.creds.groups).toEqual([10, 1234]);
    expect(r.creds.rlimits).toContainEqual({ resource: 4, soft: 0, hard: RLIM_INFINITY });
    expect(r.devices).toContainEqual({ path: '/dev/kmsg', mode: 0o020644, major: 1, minor: 11, uid: 0, gid: 0 });
    expect(r.masked).toEqual([]);
    expect(r.sysctls).toEqual([{ key: 'net.ipv4.ip_forward', value: '1' }]);
  });
});

describe("Docker's supplementary groups (supplementaryGroups)", () => {
  // the container's files are read by the addon (users.ts); the rules are pure
  const passwd = parseDb('root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000::/home/web:/bin/sh\n');
  const group = parseDb('root:x:0:\nwheel:x:10:root,web\naudio:x:29:web\nweb:x:1000:\n');
  const db = (file: 'passwd' | 'group'): string[][] => (file === 'passwd' ? passwd : group);

  it("the groups of the container's /etc/group that list the user, then --group-add", () => {
    expect(supplementaryGroupsIn(undefined, [], db)).toEqual([10]);
    expect(supplementaryGroupsIn('web', [], db)).toEqual([10, 29]);
    expect(supplementaryGroupsIn('1000', ['audio', '4242'], db)).toEqual([10, 29, 4242]);
    expect(supplementaryGroupsIn('web:audio', [], db)).toEqual([29]);
    expect(supplementaryGroupsIn('2000', [], db)).toEqual([]);
    expect(() => supplementaryGroupsIn(undefined, ['video'], db)).toThrow(new NotFoundError("--group-add video: no such group in the container's /etc/group"));
  });

  it('an /etc/group that lists no members (busybox): /etc/passwd is not read at all', () => {
    const bare = parseDb('root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n');
    const asked: string[] = [];
    const only = (file: 'passwd' | 'group'): string[][] => {
      asked.push(file);
      return file === 'passwd' ? passwd : bare;
    };
    expect(supplementaryGroupsIn(undefined, [], only)).toEqual([]);
    expect(supplementaryGroupsIn('1000', ['daemon'], only)).toEqual([1]);
    expect(asked).not.toContain('passwd');
    // a numeric user:group still resolves its group (through passwd only when named)
    expect(supplementaryGroupsIn('1000:65534', [], only)).toEqual([65534]);
  });
});

describe('what this process holds (host-facts.ts)', () => {
  it('/proc/PID/limits, capability masks, dev_t', () => {
    const limits = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max cpu time              unlimited            unlimited            seconds   ',
      'Max processes             96364                96364                processes ',
      'Max open files            1024                 20000                files     ',
      'Max realtime timeout      unlimited            unlimited            us        ',
    ].join('\n');
    expect(parseHardLimits(limits)).toEqual({ RLIMIT_CPU: -1, RLIMIT_NPROC: 96364, RLIMIT_NOFILE: 20000, RLIMIT_RTTIME: -1 });
    expect(capabilitiesInMask('00000000a80425fb')).toEqual([...DOCKER_DEFAULT_CAPS].sort((a, b) => CAPABILITIES[a] - CAPABILITIES[b]));
    expect(capabilitiesInMask('000001fffeffffff')).toEqual(HOST.heldCaps);
    expect(deviceNumbers(0x0103)).toEqual({ major: 1, minor: 3 });
    expect(deviceNumbers(0xfe00)).toEqual({ major: 254, minor: 0 });
    expect(deviceNumbers(0x100_0807)).toEqual({ major: 8, minor: 0x1007 });
  });

  it("the kernel and machine, read without node:os, are uname's", () => {
    const { kernel, machine: mach } = hostSecurityFacts();
    expect(kernel).toBe(release());
    expect(mach).toBe(machine());
  });
});
