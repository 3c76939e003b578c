/**
 * From an OCI spec to the record the C child carries out (src/runtime/native-spec.ts):
 * namespaces made or joined, mounts, devices, capabilities by number, rlimits, hooks. Pure; the
 * one thing it reads from the machine is the cgroup layout, for a mount of type cgroup: those
 * assertions hold on any layout (v2, hybrid, v1).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupNamespaceView } from '../../src/cgroup/ns-view.js';
import { UsageError } from '../../src/errors.js';
import { CLONE, MS } from '../../src/native/index.js';
import { defaultSpec } from '../../src/oci/default-spec.js';
import type { OciNamespace, OciSpec } from '../../src/spec/config.js';
import { CAPABILITIES, DOCKER_DEFAULT_CAPS } from '../../src/runtime/capabilities.js';
import { defaultDevices, defaultSymlinks, MASKED_PATHS, READONLY_PATHS } from '../../src/runtime/filesystem.js';
import { capNumbers, toEnterRecord, toSpawnRecord, type NativeSpecOptions } from '../../src/runtime/native-spec.js';

const BUNDLE = '/srv/bundles/web';

const OPTIONS: NativeSpecOptions = {
  bundle: BUNDLE,
  initMode: 'exec',
  initPath: '/opt/minictr/build/Release/minictr-init',
  stdio: [0, 1, 2],
  cgroupFd: -1,
  explainFd: -1,
  dieWithParent: false,
  lastCap: 40,
};

function spec(edit: (s: OciSpec) => void = () => {}): OciSpec {
  const s = defaultSpec();
  edit(s);
  return s;
}

const record = (edit?: (s: OciSpec) => void, o: Partial<NativeSpecOptions> = {}) => toSpawnRecord(spec(edit), { ...OPTIONS, ...o });

function refusal(edit: (s: OciSpec) => void): string {
  try {
    record(edit);
  } catch (err) {
    // SpecError, or the UsageError of a shared checker (sysctls, mount options): exit status 2
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('toSpawnRecord accepted it');
}

const scratch = mkdtempSync(join(tmpdir(), 'minictr-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('namespaces', () => {
  it('made: each listed one is a clone flag; cgroup is unshared later, after the cgroup is joined', () => {
    const r = record();
    expect(r.cloneFlags).toBe(CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNS);
    expect(r.unshareCgroupns).toBe(true);
    expect(r.joinNamespaces).toEqual([]);
    expect(r.loopbackUp).toBe(true);
  });

  it('without a cgroup namespace nothing is unshared after', () => {
    expect(record((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup'); }).unshareCgroupns).toBe(false);
  });

  it('joined: network, ipc, uts and cgroup by path, not cloned; a joined netns keeps its own lo', () => {
    const r = record((s) => {
      s.linux!.namespaces = [
        { type: 'pid' }, { type: 'mount' },
        { type: 'network', path: '/run/netns/lab' },
        { type: 'ipc', path: '/proc/4242/ns/ipc' },
        { type: 'uts', path: '/proc/4242/ns/uts' },
        { type: 'cgroup', path: '/proc/4242/ns/cgroup' },
      ];
    });
    expect(r.cloneFlags).toBe(CLONE.NEWPID | CLONE.NEWNS);
    expect(r.unshareCgroupns).toBe(false);
    expect(r.joinNamespaces).toEqual([
      { type: CLONE.NEWNET, path: '/run/netns/lab' },
      { type: CLONE.NEWIPC, path: '/proc/4242/ns/ipc' },
      { type: CLONE.NEWUTS, path: '/proc/4242/ns/uts' },
      { type: CLONE.NEWCGROUP, path: '/proc/4242/ns/cgroup' },
    ]);
    expect(r.loopbackUp).toBe(false);
    // a joined UTS namespace is the container's: the hostname is set in it
    expect(r.hostname).toBe('minictr');
  });

  it('no network namespace (--network host): the host\'s, and no lo to bring up', () => {
    const r = record((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network'); });
    expect(r.cloneFlags & CLONE.NEWNET).toBe(0);
    expect(r.loopbackUp).toBe(false);
  });

  it.each(['pid', 'mount', 'user'] as const)('joining a %s namespace is refused', (type) => {
    expect(refusal((s) => {
      s.linux!.namespaces = [{ type: 'mount' }, { type: 'ipc' }, { type: 'uts' }].filter((n) => n.type !== type) as OciNamespace[];
      s.linux!.namespaces!.push({ type, path: `/proc/1/ns/${type}` });
    })).toBe(`linux.namespaces[${type === 'mount' ? 2 : 3}]: joining an existing ${type} namespace (path) is not supported by minictr`);
  });

  it('a user namespace needs id mappings, and is then cloned', () => {
    expect(refusal((s) => { s.linux!.namespaces!.push({ type: 'user' }); })).toBe('linux.uidMappings and gidMappings are required with a user namespace');
    expect(refusal((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    })).toBe('linux.uidMappings and gidMappings are required with a user namespace');
    const r = record((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    expect(r.cloneFlags & CLONE.NEWUSER).toBe(CLONE.NEWUSER);
  });

  it('refuses a namespace listed twice, time namespaces, and no mount namespace', () => {
    expect(refusal((s) => { s.linux!.namespaces!.push({ type: 'ipc' }); })).toBe('linux.namespaces[6]: the ipc namespace is listed twice');
    expect(refusal((s) => { s.linux!.namespaces!.push({ type: 'time' }); })).toBe('linux.namespaces[6]: time namespaces are not supported by minictr');
    expect(refusal((s) => { s.linux!.namespaces = [{ type: 'pid' }]; })).toBe('linux.namespaces: minictr needs a new mount namespace for the container');
    expect(refusal((s) => { delete s.linux; })).toBe('linux.namespaces: minictr needs a new mount namespace for the container');
  });

  it('a hostname or domainname needs a UTS namespace', () => {
    const noUts = (s: OciSpec): void => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts'); };
    expect(refusal(noUts)).toBe("hostname: setting it needs a uts namespace of the container's own");
    expect(refusal((s) => { noUts(s); delete s.hostname; s.domainname = 'example.org'; })).toBe("hostname: setting it needs a uts namespace of the container's own");
    const r = record((s) => { noUts(s); delete s.hostname; });
    expect(r).not.toHaveProperty('hostname');
    expect(record((s) => { s.domainname = 'example.org'; }).domainname).toBe('example.org');
  });
});

describe('the root, the process and the defaults', () => {
  it("runc's default, field by field", () => {
    const r = record();
    expect(r.rootfs).toBe(`${BUNDLE}/rootfs`);
    expect(r).not.toHaveProperty('overlay');
    expect(r.rootReadonly).toBe(true);
    expect(r.rootPropagation).toBe(0);
    expect(r.noPivot).toBe(false);
    expect(r.masked).toEqual(MASKED_PATHS);
    expect(r.readonly).toEqual(expect.arrayContaining([...READONLY_PATHS]));
    expect(r.symlinks).toEqual(expect.arrayContaining(defaultSymlinks()));
    expect(r.devices).toEqual(defaultDevices());
    expect(r.sysctls).toEqual([]);
    expect(r.cwd).toBe('/');
    expect(r.command).toEqual(['sh']);
    expect(r.env).toEqual(defaultSpec().process!.env);
    expect(r.tty).toBe(true);
    expect(r.initMode).toBe('exec');
    expect(r).not.toHaveProperty('hooks');
    expect(r).not.toHaveProperty('execFifo');
    expect(r).not.toHaveProperty('netConfig');
    expect(r.preserveFds).toBe(0);
    expect(r.stdio).toEqual([0, 1, 2]);
    expect(r.initPath).toBe(OPTIONS.initPath);
  });

  it('an absolute root path is kept; a relative one is below the bundle', () => {
    expect(record((s) => { s.root = { path: '/var/lib/x/merged' }; }).rootfs).toBe('/var/lib/x/merged');
    expect(record((s) => { s.root = { path: '../common/rootfs' }; }).rootfs).toBe('/srv/bundles/common/rootfs');
    expect(record((s) => { s.root = { path: 'rootfs' }; }).rootReadonly).toBe(false);
  });

  it('what the caller decides: overlay, init mode, fifo, fds, pivot', () => {
    const r = record(undefined, { overlay: 'lowerdir=/a,upperdir=/b,workdir=/c', initMode: 'pid1', execFifo: '/run/x/exec.fifo', preserveFds: 2, noPivot: true, keyring: 'web' });
    expect(r.overlay).toBe('lowerdir=/a,upperdir=/b,workdir=/c');
    expect(r.initMode).toBe('pid1-tty');
    expect(r.execFifo).toBe('/run/x/exec.fifo');
    expect(r.preserveFds).toBe(2);
    expect(r.noPivot).toBe(true);
    expect(r.creds.keyring).toBe('web');
    expect(record((s) => { s.process!.terminal = false; }, { initMode: 'pid1' }).initMode).toBe('pid1');
  });

  it('rootfsPropagation, console size, personality', () => {
    expect(record((s) => { s.linux!.rootfsPropagation = 'rslave'; }).rootPropagation).toBe(MS.SLAVE | MS.REC);
    expect(record((s) => { s.linux!.rootfsPropagation = 'shared'; }).rootPropagation).toBe(MS.SHARED);
    const r = record((s) => { s.process!.consoleSize = { height: 40, width: 120 }; });
    expect([r.ttyRows, r.ttyCols]).toEqual([40, 120]);
    expect(record().creds.personality).toBe(-1);
    expect(record((s) => { s.linux!.personality = { domain: 'LINUX32' }; }).creds.personality).toBe(8);
    expect(record((s) => { s.linux!.personality = { domain: 'LINUX' }; }).creds.personality).toBe(0);
  });

  it('process and root are required here', () => {
    expect(refusal((s) => { delete s.process; })).toBe('process is required to start a container');
    expect(refusal((s) => { delete s.root; })).toBe('root is required to start a container');
  });

  it('sysctls: checked against the namespaces the container has, including a joined netns', () => {
    expect(record((s) => { s.linux!.sysctl = { 'net/ipv4/ip_forward': '1', 'kernel.shmmax': '65536' }; }).sysctls).toEqual([
      { key: 'net.ipv4.ip_forward', value: '1' }, { key: 'kernel.shmmax', value: '65536' },
    ]);
    expect(record((s) => {
      s.linux!.namespaces = [{ type: 'mount' }, { type: 'network', path: '/run/netns/lab' }];
      delete s.hostname;
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    }).sysctls).toEqual([{ key: 'net.ipv4.ip_forward', value: '1' }]);
    expect(refusal((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'ipc');
      s.linux!.sysctl = { 'kernel.msgmax': '1' };
    })).toBe("linux.sysctl: kernel.msgmax needs an IPC namespace of the container's own");
    expect(refusal((s) => { s.linux!.sysctl = { 'kernel.core_pattern': '|/x' }; })).toBe('linux.sysctl: kernel.core_pattern is not a namespaced sysctl: it would change the host');
  });
});

describe('mounts', () => {
  it('kernel filesystems: type, source, flags and data, in order', () => {
    const r = record((s) => { s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup'); });
    expect(r.mounts.map((m) => m.target)).toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys']);
    expect(r.mounts[0]).toEqual({ source: 'proc', target: '/proc', fstype: 'proc', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, propagation: 0, file: false, copyUp: false });
    expect(r.mounts[1]).toEqual({ source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: MS.NOSUID | MS.STRICTATIME, propagation: 0, file: false, copyUp: false, data: 'mode=755,size=65536k' });
    expect(r.mounts[5]!.flags & MS.RDONLY).toBe(MS.RDONLY);
  });

  it('a mount without a source takes its type as the source', () => {
    const r = record((s) => { s.mounts = [{ destination: '/tmp', type: 'tmpfs' }]; });
    expect(r.mounts).toEqual([{ source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', flags: 0, propagation: 0, file: false, copyUp: false }]);
  });

  it("a cgroup mount is this host's cgroup view at its destination, read-only when asked", () => {
    for (const type of ['cgroup', 'cgroup2']) {
      const r = record((s) => { s.mounts = [{ destination: '/sys/fs/cgroup', type, source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] }]; });
      const view = cgroupNamespaceView('/sys/fs/cgroup', true);
      expect(r.mounts).toEqual(view.mounts);
      expect(r.symlinks).toEqual([...defaultSymlinks(), ...view.symlinks]);
      expect(r.readonly).toEqual([...READONLY_PATHS, ...view.readonly]);
      // whatever the layout: everything is at or below the destination, the first mount is the
      // destination itself (cgroup2, or the tmpfs of a v1 layout), and every cgroup fs is read-only
      expect(r.mounts.length).toBeGreaterThan(0);
      expect(r.mounts[0]!.target).toBe('/sys/fs/cgroup');
      for (const m of r.mounts) {
        expect(m.target === '/sys/fs/cgroup' || m.target.startsWith('/sys/fs/cgroup/')).toBe(true);
        expect(['cgroup', 'cgroup2', 'tmpfs']).toContain(m.fstype);
        if (m.fstype !== 'tmpfs') expect(m.flags & MS.RDONLY).toBe(MS.RDONLY);
      }
    }
  });

  it('a cgroup mount without ro is writable, at another destination too', () => {
    const r = record((s) => { s.mounts = [{ destination: '/cg', type: 'cgroup', source: 'cgroup', options: ['nosuid'] }]; });
    expect(r.mounts).toEqual(cgroupNamespaceView('/cg', false).mounts);
    for (const m of r.mounts) {
      expect(m.flags & MS.RDONLY).toBe(0);
      expect(m.target === '/cg' || m.target.startsWith('/cg/')).toBe(true);
    }
    expect(r.readonly).toEqual([...READONLY_PATHS]);
  });

  it('bind mounts: a relative source is below the bundle; rbind is recursive; options apply', () => {
    const r = record((s) => {
      s.mounts = [
        { destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'rprivate', 'ro'] },
        { destination: '/logs', source: '/var/log/web', options: ['bind', 'nosuid'] },
        { destination: '/cfg', type: 'none', source: './etc/../cfg', options: ['rbind'] },
      ];
    });
    expect(r.mounts).toEqual([
      { source: `${BUNDLE}/data`, target: '/data', fstype: 'none', flags: MS.BIND | MS.REC | MS.RDONLY, propagation: MS.PRIVATE | MS.REC, file: false, copyUp: false },
      { source: '/var/log/web', target: '/logs', fstype: 'none', flags: MS.BIND | MS.NOSUID, propagation: 0, file: false, copyUp: false },
      { source: `${BUNDLE}/cfg`, target: '/cfg', fstype: 'none', flags: MS.BIND | MS.REC, propagation: 0, file: false, copyUp: false },
    ]);
  });

  it("run's volume copy-up marks the bind mounts of those destinations only (never a file's, never in the spec)", () => {
    const file = join(scratch, 'copyup-file');
    writeFileSync(file, 'x\n');
    const edit = (s: OciSpec): void => {
      s.mounts = [
        { destination: '/db', type: 'bind', source: scratch, options: ['rbind'] },
        { destination: '/other', type: 'bind', source: scratch, options: ['rbind'] },
        { destination: '/f', type: 'bind', source: file, options: ['bind'] },
        { destination: '/t', type: 'tmpfs', source: 'tmpfs' },
      ];
    };
    expect(record(edit).mounts.map((m) => m.copyUp)).toEqual([false, false, false, false]);
    expect(record(edit, { volumeCopyUp: ['/db', '/f', '/t'] }).mounts.map((m) => m.copyUp)).toEqual([true, false, false, false]);
  });

  it('a bind mount of a file has a file as its mount point', () => {
    const file = join(scratch, 'hosts');
    writeFileSync(file, '127.0.0.1 localhost\n');
    const r = record((s) => {
      s.mounts = [
        { destination: '/etc/hosts', type: 'bind', source: file, options: ['bind', 'rprivate'] },
        { destination: '/scratch', type: 'bind', source: scratch, options: ['rbind'] },
        { destination: '/etc/hosts2', type: 'bind', source: 'hosts', options: ['bind'] },
      ];
    }, { bundle: scratch });
    expect(r.mounts.map((m) => m.file)).toEqual([true, false, true]);
    expect(r.mounts[2]!.source).toBe(file);
  });

  it('refuses a bind mount without a source, a mount without a type, and bad options', () => {
    expect(refusal((s) => { s.mounts!.push({ destination: '/x', type: 'bind' }); })).toBe('mounts[7]: a bind mount needs a source');
    expect(refusal((s) => { s.mounts!.push({ destination: '/x', source: '/y' }); })).toBe('mounts[7]: no type (and no bind option)');
    expect(() => record((s) => { s.mounts!.push({ destination: '/x', type: 'bind', source: '/y', options: ['rbind', 'rro'] }); })).toThrow(
      'mounts[7]: mount option "rro": recursive read-only mounts (mount_setattr) are not supported',
    );
  });
});

describe('devices', () => {
  it("the runtime-spec's defaults, then the spec's own (same path: the spec's wins)", () => {
    const r = record((s) => {
      s.linux!.devices = [
        { type: 'c', path: '/dev/fuse', major: 10, minor: 229 },
        { type: 'b', path: '/dev/loop0', major: 7, minor: 0, fileMode: 0o660, uid: 0, gid: 6 },
        { type: 'p', path: '/dev/myfifo', fileMode: 0o600 },
        { type: 'u', path: '/dev/null', major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 1000 },
      ];
    });
    const byPath = new Map(r.devices.map((d) => [d.path, d]));
    expect([...byPath.keys()]).toEqual(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/fuse', '/dev/loop0', '/dev/myfifo']);
    expect(byPath.get('/dev/fuse')).toEqual({ path: '/dev/fuse', mode: 0o020666, major: 10, minor: 229, uid: 0, gid: 0 });
    expect(byPath.get('/dev/loop0')).toEqual({ path: '/dev/loop0', mode: 0o060660, major: 7, minor: 0, uid: 0, gid: 6 });
    expect(byPath.get('/dev/myfifo')).toEqual({ path: '/dev/myfifo', mode: 0o010600, major: 0, minor: 0, uid: 0, gid: 0 });
    expect(byPath.get('/dev/null')).toEqual({ path: '/dev/null', mode: 0o020640, major: 1, minor: 3, uid: 1000, gid: 1000 });
  });

  it('refuses a device without numbers, or outside /dev', () => {
    expect(refusal((s) => { s.linux!.devices = [{ type: 'c', path: '/dev/fuse', major: 10 }]; })).toBe('linux.devices[0]: /dev/fuse needs a major and a minor number');
    expect(refusal((s) => { s.linux!.devices = [{ type: 'c', path: '/etc/fuse', major: 10, minor: 229 }]; })).toBe('linux.devices[0]: /etc/fuse is not below /dev');
    expect(refusal((s) => { s.linux!.devices = [{ type: 'c', path: '/devx', major: 1, minor: 1 }]; })).toBe('linux.devices[0]: /devx is not below /dev');
  });
});

describe('credentials', () => {
  it("capabilities by number: Docker's 14", () => {
    const c = record().creds;
    const docker = DOCKER_DEFAULT_CAPS.map((n) => CAPABILITIES[n]);
    expect(c.bounding).toEqual(docker);
    expect(c.effective).toEqual(docker);
    expect(c.permitted).toEqual(docker);
    expect(c.inheritable).toEqual([]);
    expect(c.ambient).toEqual([]);
    expect(c.bounding).toContain(0); // CAP_CHOWN
    expect(c.bounding).toContain(13); // CAP_NET_RAW
    expect(c.bounding).not.toContain(21); // CAP_SYS_ADMIN
  });

  it('a capability newer than the kernel is skipped; an unknown one is refused', () => {
    expect(capNumbers(['CAP_CHOWN', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE', 'CAP_PERFMON'], 'x', 38)).toEqual([0, 38]);
    expect(capNumbers(['CAP_BPF'], 'x', 40)).toEqual([39]);
    expect(capNumbers(undefined, 'x', 40)).toEqual([]);
    expect(refusal((s) => { s.process!.capabilities!.ambient = ['CAP_NET_BIND_SERVICE', 'CAP_FLY']; })).toBe('process.capabilities.ambient: unknown capability CAP_FLY');
  });

  it('user, groups, umask, no_new_privs', () => {
    const c = record((s) => {
      s.process!.user = { uid: 1000, gid: 100, umask: 0o27, additionalGids: [10, 20] };
      s.process!.noNewPrivileges = false;
    }).creds;
    expect([c.uid, c.gid, c.groups, c.umask, c.noNewPrivs]).toEqual([1000, 100, [10, 20], 0o27, false]);
    const d = record().creds;
    expect([d.uid, d.gid, d.groups, d.umask, d.noNewPrivs]).toEqual([0, 0, [], -1, true]);
  });

  it('rlimits by number, RLIM_INFINITY as it came', () => {
    const c = record((s) => {
      s.process!.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
        { type: 'RLIMIT_CORE', soft: 2 ** 64, hard: 2 ** 64 },
        { type: 'RLIMIT_NPROC', soft: 100, hard: 100 },
        { type: 'RLIMIT_CPU', soft: 1, hard: 2 },
        { type: 'RLIMIT_RTTIME', soft: 0, hard: 0 },
      ];
    }).creds;
    expect(c.rlimits).toEqual([
      { resource: 7, soft: 1024, hard: 4096 },
      { resource: 4, soft: 2 ** 64, hard: 2 ** 64 },
      { resource: 6, soft: 100, hard: 100 },
      { resource: 0, soft: 1, hard: 2 },
      { resource: 15, soft: 0, hard: 0 },
    ]);
  });

  it('refuses an unknown rlimit and a soft limit above the hard one', () => {
    expect(refusal((s) => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_FOO', soft: 1, hard: 1 }]; })).toBe('process.rlimits[1].type: unknown resource RLIMIT_FOO');
    expect(refusal((s) => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 4096, hard: 1024 }]; })).toBe('process.rlimits[0]: soft limit 4096 is above the hard limit 1024');
  });

  it('seccomp is passed through as compiled', () => {
    const seccomp = { filter: Buffer.alloc(16), flags: 1 };
    expect(record(undefined, { seccomp }).creds.seccomp).toBe(seccomp);
  });
});

describe('hooks', () => {
  it('only createContainer and startContainer run in the child; args default to the path', () => {
    const r = record((s) => {
      s.hooks = {
        prestart: [{ path: '/bin/prestart' }],
        createRuntime: [{ path: '/bin/runtime' }],
        createContainer: [{ path: '/bin/cc', args: ['cc', '-v'], env: ['A=1'], timeout: 3 }],
        startContainer: [{ path: '/bin/sc' }],
        poststart: [{ path: '/bin/poststart' }],
      };
    });
    expect(r.hooks).toEqual({
      createContainer: [{ path: '/bin/cc', args: ['cc', '-v'], env: ['A=1'], timeout: 3 }],
      startContainer: [{ path: '/bin/sc', args: ['/bin/sc'], env: [], timeout: 0 }],
    });
  });

  it('host-side hooks alone: no hooks for the child', () => {
    expect(record((s) => { s.hooks = { prestart: [{ path: '/bin/a' }], poststop: [{ path: '/bin/b' }] }; })).not.toHaveProperty('hooks');
    expect(record((s) => { s.hooks = { createContainer: [], startContainer: [{ path: '/bin/sc' }] }; }).hooks).toEqual({
      createContainer: [], startContainer: [{ path: '/bin/sc', args: ['/bin/sc'], env: [], timeout: 0 }],
    });
  });
});

describe('toEnterRecord (exec)', () => {
  it('the process, with credentials and the caller\'s plumbing', () => {
    const p = { ...defaultSpec().process!, args: ['ps', 'aux'], cwd: '/tmp', terminal: false };
    const r = toEnterRecord(p, { pid: 4242, nsFlags: CLONE.NEWPID | CLONE.NEWNS, stdio: [0, 1, 2], detach: false, cgroupFd: 9, cgroupProcs: [], explainFd: -1, initPath: '/x/init', lastCap: 40 });
    expect(r).toMatchObject({ pid: 4242, command: ['ps', 'aux'], cwd: '/tmp', tty: false, preserveFds: 0, cgroupFd: 9 });
    expect(r.creds!.personality).toBe(-1);
    expect(r.creds!.bounding).toEqual(DOCKER_DEFAULT_CAPS.map((n) => CAPABILITIES[n]));
  });
});
