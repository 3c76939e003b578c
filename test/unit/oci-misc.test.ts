/**
 * The small checks of minictr-oci: namespaced sysctls (src/oci/sysctl.ts), kill's signal names
 * (src/oci/signals.ts), the cgroup of a container (ociCgroupName) and container ids (checkId).
 */
import { describe, expect, it } from 'vitest';
import { CgroupError } from '../../src/cgroup/files.js';
import { UsageError } from '../../src/errors.js';
import { ociCgroupName } from '../../src/oci/create.js';
import { OciError } from '../../src/oci/errors.js';
import { parseSignal } from '../../src/oci/signals.js';
import { checkId } from '../../src/oci/store.js';
import { checkNamespacedSysctl } from '../../src/spec/sysctl.js';

const ALL = { net: true, ipc: true, uts: true };
const NONE = { net: false, ipc: false, uts: false };

describe('checkNamespacedSysctl', () => {
  it.each([
    ['net.ipv4.ip_forward', 'net.ipv4.ip_forward'],
    ['net.ipv4.ping_group_range', 'net.ipv4.ping_group_range'],
    ['net/ipv4/ip_forward', 'net.ipv4.ip_forward'],
    ['net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.all.rp_filter'],
    ['net.ipv6.conf.eth0.disable_ipv6', 'net.ipv6.conf.eth0.disable_ipv6'],
    ['kernel.shmmax', 'kernel.shmmax'],
    ['kernel.msgmnb', 'kernel.msgmnb'],
    ['kernel.sem', 'kernel.sem'],
    ['kernel.shm_rmid_forced', 'kernel.shm_rmid_forced'],
    ['fs.mqueue.msg_max', 'fs.mqueue.msg_max'],
    ['kernel.hostname', 'kernel.hostname'],
    ['kernel/domainname', 'kernel.domainname'],
  ])('%s is the container\'s own: %s', (raw, key) => {
    expect(checkNamespacedSysctl(raw, ALL)).toBe(key);
  });

  it.each([
    ['net.ipv4.ip_forward', { ...ALL, net: false }, "linux.sysctl: net.ipv4.ip_forward needs a network namespace of the container's own"],
    ['kernel.shmmax', { ...ALL, ipc: false }, "linux.sysctl: kernel.shmmax needs an IPC namespace of the container's own"],
    ['fs.mqueue.queues_max', { ...ALL, ipc: false }, "linux.sysctl: fs.mqueue.queues_max needs an IPC namespace of the container's own"],
    ['kernel.hostname', { ...ALL, uts: false }, "linux.sysctl: kernel.hostname needs a UTS namespace of the container's own"],
  ])('%s without its namespace', (raw, ns, message) => {
    expect(() => checkNamespacedSysctl(raw, ns)).toThrow(new UsageError(message));
  });

  it.each([
    ['kernel.core_pattern', 'linux.sysctl: kernel.core_pattern is not a namespaced sysctl: it would change the host'],
    // a slash is a dot too: this is kernel.core_pattern again, not a way around the check
    ['kernel/core_pattern', 'linux.sysctl: kernel.core_pattern is not a namespaced sysctl: it would change the host'],
    ['vm.swappiness', 'linux.sysctl: vm.swappiness is not a namespaced sysctl: it would change the host'],
    ['kernel.msgmax_x', 'linux.sysctl: kernel.msgmax_x is not a namespaced sysctl: it would change the host'],
    ['fs.file-max', 'linux.sysctl: fs.file-max is not a namespaced sysctl: it would change the host'],
    ['net.core', 'linux.sysctl: net.core is not a namespaced sysctl: it would change the host'],
    // "net." then a way back up: /proc/sys/net/../kernel/core_pattern
    ['net.//.kernel.core_pattern', 'linux.sysctl: "net.//.kernel.core_pattern" is not a sysctl name'],
    ['net/../kernel/core_pattern', 'linux.sysctl: "net/../kernel/core_pattern" is not a sysctl name'],
    ['net..ipv4.ip_forward', 'linux.sysctl: "net..ipv4.ip_forward" is not a sysctl name'],
    ['.net.ipv4.ip_forward', 'linux.sysctl: ".net.ipv4.ip_forward" is not a sysctl name'],
    ['net.ipv4.ip_forward.', 'linux.sysctl: "net.ipv4.ip_forward." is not a sysctl name'],
    ['net.-.x', 'linux.sysctl: "net.-.x" is not a sysctl name'],
    ['net.ipv4.ip forward', 'linux.sysctl: "net.ipv4.ip forward" is not a sysctl name'],
    ['', 'linux.sysctl: "" is not a sysctl name'],
    [`net.${'a'.repeat(260)}.x`, `linux.sysctl: "net.${'a'.repeat(260)}.x" is not a sysctl name`],
  ])('refuses %j whatever the namespaces', (raw, message) => {
    expect(() => checkNamespacedSysctl(raw, ALL)).toThrow(new UsageError(message));
  });

  it('names the place it was given in', () => {
    expect(() => checkNamespacedSysctl('vm.overcommit_memory', NONE, 'sysctls')).toThrow('sysctls: vm.overcommit_memory is not a namespaced sysctl');
  });
});

describe('parseSignal', () => {
  it.each<[string | undefined, number]>([
    [undefined, 15],
    ['9', 9],
    ['KILL', 9],
    ['SIGKILL', 9],
    ['sigterm', 15],
    ['term', 15],
    [' HUP ', 1],
    ['SigUsr1', 10],
    ['WINCH', 28],
    ['1', 1],
    ['64', 64],
    ['RTMIN', 34],
    ['SIGRTMIN', 34],
    ['RTMIN+2', 36],
    ['sigrtmin+30', 64],
  ])('%j is %d', (v, n) => {
    expect(parseSignal(v)).toBe(n);
  });

  it.each([
    ['0', 'invalid signal 0: signals are 1 to 64'],
    ['65', 'invalid signal 65: signals are 1 to 64'],
    ['FOO', 'invalid signal "FOO"'],
    ['SIG', 'invalid signal "SIG"'],
    ['-9', 'invalid signal "-9"'],
    ['9x', 'invalid signal "9x"'],
    ['RTMIN+31', 'invalid signal "RTMIN+31": signals are 1 to 64 (RTMIN+30 is the last)'],
    ['SIGRTMIN+40', 'invalid signal "SIGRTMIN+40": signals are 1 to 64 (RTMIN+30 is the last)'],
  ])('refuses %j', (v, message) => {
    let err: unknown;
    try {
      parseSignal(v);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OciError);
    expect((err as OciError).message).toBe(message);
    expect((err as OciError).kind).toBe('usage');
  });
});

describe('ociCgroupName', () => {
  const spec = (cgroupsPath?: string) => ({ ociVersion: '1.2.0', ...(cgroupsPath === undefined ? {} : { linux: { cgroupsPath } }) });

  it.each<[string | undefined, string]>([
    [undefined, 'minictr-oci/web'],
    ['', 'minictr-oci/web'],
    ['/default/redis', 'minictr-oci/default/redis'],
    ['k8s.io/4b2a3f', 'minictr-oci/k8s.io/4b2a3f'],
    ['/libpod_parent/libpod-4b2a3f/', 'minictr-oci/libpod_parent/libpod-4b2a3f'],
    ['/kubepods/besteffort/pod1234/abcd', 'minictr-oci/kubepods/besteffort/pod1234/abcd'],
  ])('%j: %s, always below minictr-oci/', (path, name) => {
    expect(ociCgroupName(spec(path), 'web')).toBe(name);
  });

  it('a systemd slice path is refused: there is no --systemd-cgroup', () => {
    expect(() => ociCgroupName(spec('machine.slice:libpod:4b2a3f'), 'web')).toThrow(
      new CgroupError('linux.cgroupsPath "machine.slice:libpod:4b2a3f" is a systemd slice path: minictr-oci has no --systemd-cgroup; use the cgroupfs manager'),
    );
  });

  it.each(['/', '//', '/a/../../etc', 'a/./b', 'a//b', '..', '/x/..'])('%j is not a cgroup path', (path) => {
    expect(() => ociCgroupName(spec(path), 'web')).toThrow(new CgroupError(`linux.cgroupsPath "${path}" is not a cgroup path`));
  });
});

describe('checkId', () => {
  it.each(['web', 'a', '0', '4b2a3f1c0d9e', 'redis-1', 'a.b+c-d_e', '_x', 'A'.repeat(1024)])('accepts %j', (id) => {
    expect(checkId(id)).toBe(id);
  });

  it.each([undefined, ''])('an empty id: %j', (id) => {
    expect(() => checkId(id)).toThrow(new OciError('container id cannot be empty'));
  });

  it.each(['.hidden', '-x', '+x', 'a/b', '../x', 'a b', 'a:b', 'é', 'A'.repeat(1025)])('refuses %j', (id) => {
    expect(() => checkId(id)).toThrow(new OciError(`invalid container id "${id}": only letters, digits and _ . + - (not starting with . + -)`));
  });
});
