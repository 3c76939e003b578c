/**
 * config.json validation (src/spec/parse.ts): what runc's `spec`, containerd and podman write
 * is accepted as it is; anything minictr would not carry out as written is refused, with the
 * path of the field in the message.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { defaultSpec } from '../../src/oci/default-spec.js';
import { parseResources, parseSpec, SpecError } from '../../src/spec/parse.js';
import type { OciSpec } from '../../src/spec/config.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** A copy of the runc-like default with one change made by `edit`. */
function edited(edit: (s: Record<string, any>) => void): Record<string, unknown> {
  const s = structuredClone(defaultSpec()) as unknown as Record<string, any>;
  edit(s);
  return s;
}

/** The message parseSpec throws, which must be a SpecError (a UsageError: exit status 2). */
function refusal(json: unknown, where?: string): string {
  try {
    parseSpec(json, where);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as SpecError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('parseSpec accepted it');
}

describe('parseSpec accepts what engines write', () => {
  it('the runc-like default of `minictr-oci spec`, returned as the same object', () => {
    const s = defaultSpec();
    expect(parseSpec(s)).toBe(s);
  });

  it('the default survives JSON (as read from a bundle)', () => {
    const s = JSON.parse(JSON.stringify(defaultSpec())) as OciSpec;
    expect(parseSpec(s)).toEqual(defaultSpec());
  });

  it("containerd's (ctr run): resources, cgroupsPath, a bind mount, annotations", () => {
    const s = parseSpec(fixture('containerd-config.json'), '/run/containerd/bundle/config.json');
    expect(s.linux?.cgroupsPath).toBe('/default/redis');
    expect(s.linux?.resources?.memory).toEqual({ limit: 268435456, swap: 536870912 });
    expect(s.process?.cwd).toBe('/data');
  });

  it("podman's: joined netns, cgroup ns, seccomp, sysctl, devices, unified, RLIM_INFINITY, a pre-release ociVersion", () => {
    const s = parseSpec(fixture('podman-config.json'));
    expect(s.ociVersion).toBe('1.0.2-dev');
    expect(s.linux?.namespaces).toContainEqual({ type: 'network', path: '/run/netns/netns-2c1e6f0a' });
    expect(s.linux?.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(s.process?.rlimits?.[2]?.hard).toBe(2 ** 64);
  });

  it('the minimum: only ociVersion (process and root are checked when a container is made)', () => {
    expect(parseSpec({ ociVersion: '1.0.0' })).toEqual({ ociVersion: '1.0.0' });
  });

  it('null stands for an absent optional field, as Go writes a nil pointer', () => {
    expect(() => parseSpec(edited((s) => {
      s.linux.seccomp = null;
      s.hooks = null;
      s.process.rlimits = null;
    }))).not.toThrow();
  });

  it('unsupported fields that ask for nothing (empty, zero, false) are accepted', () => {
    expect(() => parseSpec(edited((s) => {
      s.process.apparmorProfile = '';
      s.process.selinuxLabel = '';
      s.linux.intelRdt = {};
      s.linux.mountLabel = '';
      s.linux.resources.memory = { swappiness: 0, disableOOMKiller: false, kernel: 0 };
      s.linux.resources.blockIO = {};
      s.linux.resources.hugepageLimits = [];
    }))).not.toThrow();
  });

  it('hooks, id mappings, personality, propagation, console size, umask', () => {
    expect(() => parseSpec(edited((s) => {
      s.hooks = {
        prestart: [{ path: '/usr/bin/netns-hook', args: ['netns-hook', 'up'], env: ['A=1'], timeout: 5 }],
        createRuntime: [{ path: '/bin/true' }],
        poststop: [{ path: '/bin/true' }],
      };
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.personality = { domain: 'LINUX32' };
      s.linux.rootfsPropagation = 'rslave';
      s.process.consoleSize = { height: 24, width: 80 };
      s.process.user.umask = 0o22;
      s.process.oomScoreAdj = -999;
    }))).not.toThrow();
  });
});

describe('parseSpec refuses, naming the field', () => {
  it.each<[string, (s: Record<string, any>) => void, string]>([
    // keys the spec does not have
    ['an unknown top-level key', (s) => { s.foo = 1; }, 'config.json: foo: unknown field (known: ociVersion, process, root, hostname, domainname, mounts, hooks, annotations, linux, windows, solaris, vm, zos)'],
    ['an unknown key in process', (s) => { s.process.argv = ['sh']; }, 'config.json: process.argv: unknown field (known: terminal, consoleSize, user, args, commandLine, env, cwd, capabilities, rlimits, noNewPrivileges, oomScoreAdj, apparmorProfile, selinuxLabel, scheduler, ioPriority, execCPUAffinity)'],
    ['an unknown key deep in resources', (s) => { s.linux.resources.memory = { limitt: 1 }; }, 'config.json: linux.resources.memory.limitt: unknown field'],
    ['an unknown key in a mount', (s) => { s.mounts[0].opts = []; }, 'config.json: mounts[0].opts: unknown field'],
    // fields of the spec minictr does not carry out
    ['linux.intelRdt', (s) => { s.linux.intelRdt = { closID: 'guaranteed' }; }, 'config.json: linux.intelRdt is not supported by minictr: Intel RDT'],
    ['process.apparmorProfile', (s) => { s.process.apparmorProfile = 'cri-containerd.apparmor.d'; }, 'config.json: process.apparmorProfile is not supported by minictr: AppArmor profiles (this runtime applies none)'],
    ['process.selinuxLabel', (s) => { s.process.selinuxLabel = 'system_u:system_r:container_t:s0'; }, 'config.json: process.selinuxLabel is not supported by minictr: SELinux labels'],
    ['memory.swappiness', (s) => { s.linux.resources.memory = { swappiness: 60 }; }, 'config.json: linux.resources.memory.swappiness is not supported by minictr: memory.swappiness'],
    ['disableOOMKiller', (s) => { s.linux.resources.memory = { disableOOMKiller: true }; }, 'linux.resources.memory.disableOOMKiller is not supported by minictr: the OOM killer cannot be disabled'],
    ['blockIO', (s) => { s.linux.resources.blockIO = { weight: 10 }; }, 'linux.resources.blockIO is not supported by minictr: block I/O limits'],
    ['realtime scheduling', (s) => { s.linux.resources.cpu = { realtimeRuntime: 950000 }; }, 'linux.resources.cpu.realtimeRuntime is not supported by minictr: realtime scheduling'],
    ['time offsets', (s) => { s.linux.timeOffsets = { monotonic: { secs: 1 } }; }, 'linux.timeOffsets is not supported by minictr: time namespaces'],
    ['idmapped mounts', (s) => { s.mounts[0].uidMappings = [{ containerID: 0, hostID: 1, size: 1 }]; }, 'mounts[0].uidMappings is not supported by minictr: idmapped mounts'],
    ['Windows', (s) => { s.windows = { layerFolders: ['C:\\x'] }; }, 'config.json: windows is not supported by minictr: Windows containers'],
    ['the scheduler', (s) => { s.process.scheduler = { policy: 'SCHED_FIFO' }; }, 'process.scheduler is not supported by minictr: scheduling policies'],
    // bad types
    ['terminal as a string', (s) => { s.process.terminal = 'yes'; }, 'config.json: process.terminal: expected a boolean, got a string'],
    ['hostname as a number', (s) => { s.hostname = 5; }, 'config.json: hostname: expected a string, got the number 5'],
    ['mounts as an object', (s) => { s.mounts = {}; }, 'config.json: mounts: expected an array, got an object'],
    ['process as an array', (s) => { s.process = []; }, 'config.json: process: expected an object, got an array'],
    ['a negative uid', (s) => { s.process.user.uid = -1; }, 'config.json: process.user.uid: expected an integer from 0 to 4294967295, got the number -1'],
    ['a fractional gid', (s) => { s.process.user.gid = 1.5; }, 'process.user.gid: expected an integer from 0 to 4294967295'],
    ['an arg that is not a string', (s) => { s.process.args = ['sh', 1]; }, 'config.json: process.args[1]: expected a string, got the number 1'],
    ['a memory limit as a string', (s) => { s.linux.resources.memory = { limit: '64m' }; }, 'linux.resources.memory.limit: expected a number, got a string'],
    ['annotations with a number', (s) => { s.annotations = { a: 1 }; }, 'config.json: annotations.a: expected a string, got the number 1'],
    ['a sysctl value that is a number', (s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': 1 }; }, 'linux.sysctl.net.ipv4.ip_forward: expected a string, got the number 1'],
    // values
    ['a relative cwd', (s) => { s.process.cwd = 'app'; }, 'config.json: process.cwd: "app" is not an absolute path'],
    ['an empty command', (s) => { s.process.args = []; }, 'config.json: process.args: the command is empty'],
    ['env without =', (s) => { s.process.env.push('DEBUG'); }, 'config.json: process.env[2]: "DEBUG" is not KEY=VALUE'],
    ['a relative mount destination', (s) => { s.mounts[2].destination = 'dev/pts'; }, 'config.json: mounts[2].destination: "dev/pts" is not an absolute path'],
    ['a NUL in a path', (s) => { s.linux.maskedPaths.push('/proc/x\0y'); }, 'linux.maskedPaths[12]: holds a NUL byte'],
    ['a namespace type', (s) => { s.linux.namespaces[1].type = 'net'; }, 'config.json: linux.namespaces[1].type: "net" is not one of pid, network, mount, ipc, uts, user, cgroup, time'],
    ['a relative namespace path', (s) => { s.linux.namespaces[1].path = 'proc/1/ns/net'; }, 'linux.namespaces[1].path: "proc/1/ns/net" is not an absolute path'],
    ['a capability name', (s) => { s.process.capabilities.bounding[0] = 'chown'; }, 'config.json: process.capabilities.bounding[0]: "chown" is not a capability name (CAP_...)'],
    ['oomScoreAdj', (s) => { s.process.oomScoreAdj = 2000; }, 'config.json: process.oomScoreAdj: must be between -1000 and 1000'],
    ['device access', (s) => { s.linux.resources.devices[0].access = 'rwx'; }, 'linux.resources.devices[0].access: "rwx" is not made of r, w and m'],
    ['a device rule type', (s) => { s.linux.resources.devices.push({ allow: true, type: 'p' }); }, 'linux.resources.devices[1].type: "p" is not one of a, b, c'],
    ['a device node type', (s) => { s.linux.devices = [{ type: 'x', path: '/dev/x' }]; }, 'linux.devices[0].type: "x" is not one of c, b, u, p'],
    ['a hook timeout', (s) => { s.hooks = { prestart: [{ path: '/bin/true', timeout: 0 }] }; }, 'config.json: hooks.prestart[0].timeout: must be at least 1 second'],
    ['a relative hook path', (s) => { s.hooks = { poststart: [{ path: 'true' }] }; }, 'hooks.poststart[0].path: "true" is not an absolute path'],
    ['an unknown hook', (s) => { s.hooks = { prestop: [] }; }, 'config.json: hooks.prestop: unknown field'],
    ['rootfsPropagation', (s) => { s.linux.rootfsPropagation = 'recursive'; }, 'linux.rootfsPropagation: "recursive" is not one of private, rprivate, slave, rslave, shared, rshared, unbindable, runbindable'],
    ['personality', (s) => { s.linux.personality = { domain: 'LINUX64' }; }, 'linux.personality.domain: "LINUX64" is not one of LINUX, LINUX32'],
    // versions
    ['ociVersion 2.0.0', (s) => { s.ociVersion = '2.0.0'; }, 'config.json: ociVersion: version "2.0.0" is not runtime-spec 1.0 to 1.2'],
    ['ociVersion 1.3.0', (s) => { s.ociVersion = '1.3.0'; }, 'ociVersion: version "1.3.0" is not runtime-spec 1.0 to 1.2'],
    ['ociVersion 1.0', (s) => { s.ociVersion = '1.0'; }, 'ociVersion: version "1.0" is not runtime-spec 1.0 to 1.2'],
    ['ociVersion as a number', (s) => { s.ociVersion = 1.2; }, 'config.json: ociVersion: expected a string, got the number 1.2'],
    // required fields
    ['no ociVersion', (s) => { delete s.ociVersion; }, 'config.json: ociVersion is required'],
    ['no cwd', (s) => { delete s.process.cwd; }, 'config.json: process.cwd is required'],
    // null is absent: a required field cannot be null
    ['ociVersion null', (s) => { s.ociVersion = null; }, 'config.json: ociVersion is required'],
    ['args null', (s) => { s.process.args = null; }, 'config.json: process.args is required'],
    ['user null', (s) => { s.process.user = null; }, 'config.json: process.user is required'],
    ['a hook path null', (s) => { s.hooks = { prestart: [{ path: null }] }; }, 'config.json: hooks.prestart[0].path is required'],
    ['a namespace type null', (s) => { s.linux.namespaces[0].type = null; }, 'config.json: linux.namespaces[0].type is required'],
    ['no user', (s) => { delete s.process.user; }, 'config.json: process.user is required'],
    ['no root.path', (s) => { s.root = { readonly: true }; }, 'config.json: root.path is required'],
    ['a mount without destination', (s) => { s.mounts.push({ type: 'tmpfs' }); }, 'config.json: mounts[7].destination is required'],
    ['a namespace without type', (s) => { s.linux.namespaces.push({ path: '/run/netns/x' }); }, 'linux.namespaces[6].type is required'],
    ['an id mapping without size', (s) => { s.linux.uidMappings = [{ containerID: 0, hostID: 1000 }]; }, 'linux.uidMappings[0].size is required'],
    ['a device rule without allow', (s) => { s.linux.resources.devices = [{ access: 'rwm' }]; }, 'linux.resources.devices[0].allow is required'],
    ['pids without limit', (s) => { s.linux.resources.pids = {}; }, 'linux.resources.pids.limit is required'],
    // seccomp has its own checker; its messages get the file's name too
    ['a seccomp profile without defaultAction', (s) => { s.linux.seccomp = { syscalls: [] }; }, 'config.json: linux.seccomp.defaultAction is required'],
    ['a seccomp syscall with no names', (s) => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }; }, 'config.json: linux.seccomp.syscalls[0].names: must list at least one'],
    ['an unknown seccomp key', (s) => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', includes: {} }; }, 'config.json: linux.seccomp.includes: unknown field (known: defaultAction, defaultErrnoRet, architectures, flags, listenerPath, listenerMetadata, syscalls)'],
  ])('%s', (_what, edit, message) => {
    expect(refusal(edited(edit))).toContain(message);
  });

  it('messages start with the file they came from', () => {
    expect(refusal(edited((s) => { s.process.cwd = 'x'; }), '/bundles/web/config.json')).toBe('/bundles/web/config.json: process.cwd: "x" is not an absolute path');
  });

  it.each([[[]], [null], ['{}'], [42]])('a config that is not an object: %j', (json) => {
    expect(refusal(json)).toBe('config.json: expected a JSON object');
  });

  it("containerd's CRI config with an AppArmor profile is refused by name", () => {
    const cri = fixture('containerd-config.json') as Record<string, any>;
    cri.process.apparmorProfile = 'cri-containerd.apparmor.d';
    expect(refusal(cri)).toBe('config.json: process.apparmorProfile is not supported by minictr: AppArmor profiles (this runtime applies none)');
  });
});

describe('parseResources (minictr-oci update --resources)', () => {
  it('accepts a linux.resources object', () => {
    const r = { memory: { limit: 67108864, swap: -1 }, cpu: { quota: 20000, period: 100000, cpus: '0' }, pids: { limit: 10 } };
    expect(parseResources(r)).toBe(r);
  });

  it('names the field below "resources", without a file', () => {
    expect(() => parseResources({ memory: { limit: '64m' } })).toThrow(new SpecError('resources.memory.limit: expected a number, got a string'));
    expect(() => parseResources({ cpus: 1 })).toThrow('resources.cpus: unknown field');
    expect(() => parseResources([])).toThrow('resources: expected an object, got an array');
    expect(() => parseResources({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] })).toThrow('resources.hugepageLimits is not supported by minictr: hugepage limits');
  });
});
