/**
 * The spec `minictr run` makes from a container's config (src/runtime/spec.ts), built from a
 * fake Container and a fixed machine (HOST: what this process holds, its limits, its kernel):
 * namespaces for each --network mode, capabilities for root and non-root, the device
 * allowlist, Docker's seccomp profile, the rlimits, the cgroup, mounts and environment. It is
 * then a spec minictr-oci would accept, and one the child can be given. The security flags
 * themselves: security.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEVICE_RULES } from '../../src/cgroup/devices.js';
import { CLONE, MS } from '../../src/native/index.js';
import { parseSpec } from '../../src/spec/parse.js';
import type { OciMount } from '../../src/spec/config.js';
import { CAPABILITIES, DOCKER_DEFAULT_CAPS, type CapabilityName } from '../../src/runtime/capabilities.js';
import type { HostSecurityFacts } from '../../src/runtime/host-facts.js';
import { defaultSeccompProfile, toOciSeccomp } from '../../src/security/docker-profile.js';
import { kernelMounts, MASKED_PATHS, READONLY_PATHS } from '../../src/runtime/filesystem.js';
import { toSpawnRecord } from '../../src/runtime/native-spec.js';
import { buildContainerSpec, containerEnv, type SpecInputs } from '../../src/runtime/spec.js';
import { DEFAULT_PATH } from '../../src/spec/config.js';
import { parseNetworkMode } from '../../src/network/container/mode.js';
import type { Container, ContainerConfig } from '../../src/runtime/store.js';

const ID = '3f2a9c1b0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8';
const DIR = `/var/lib/minictr/containers/${ID}`;

function container(config: Partial<ContainerConfig> = {}): Container {
  return {
    dir: DIR,
    state: { status: 'created' },
    config: {
      id: ID,
      name: 'web',
      image: 'busybox',
      imageId: 'sha256:' + 'b'.repeat(64),
      created: '2025-01-01T00:00:00.000Z',
      command: ['httpd', '-f'],
      env: [],
      cwd: '/',
      hostname: '3f2a9c1b0d4e',
      tty: false,
      interactive: false,
      autoRemove: false,
      volumes: [],
      tmpfs: [],
      ...config,
    },
  };
}

const ETC: OciMount[] = [
  { destination: '/etc/hosts', type: 'bind', source: `${DIR}/hosts`, options: ['rbind', 'rprivate'] },
  { destination: '/etc/hostname', type: 'bind', source: `${DIR}/hostname`, options: ['rbind', 'rprivate'] },
];

/** a root without CAP_SYS_RESOURCE and open files limited to 20000, as on the test machine */
const HOST: HostSecurityFacts = {
  heldCaps: (Object.keys(CAPABILITIES) as CapabilityName[]).filter((c) => c !== 'SYS_RESOURCE'),
  hardLimits: { RLIMIT_NOFILE: 20000, RLIMIT_NPROC: 96364, RLIMIT_CORE: -1 },
  machine: 'x86_64',
  kernel: '6.1.0-28-amd64',
  hostDevices: () => [],
};

// the network mode as start.ts parses it from the container's record, once
const build = (config: Partial<ContainerConfig> = {}, inputs: Partial<SpecInputs> = {}) => {
  const c = container(config);
  return buildContainerSpec({ container: c, imageEnv: [], etcMounts: ETC, network: parseNetworkMode(c.config.network?.mode), host: HOST, ...inputs });
};

const CAPS = DOCKER_DEFAULT_CAPS.map((c) => `CAP_${c}`);
/** Docker's default profile for Docker's 14 on x86_64 */
const SECCOMP = toOciSeccomp(defaultSeccompProfile(), { capabilities: CAPS, machine: 'x86_64', kernel: '6.1.0' });

describe('buildContainerSpec', () => {
  it('the whole spec of a plain run', () => {
    expect(build()).toEqual({
      ociVersion: '1.2.0',
      process: {
        terminal: false,
        user: { uid: 0, gid: 0 },
        args: ['httpd', '-f'],
        env: [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=3f2a9c1b0d4e', 'HOME=/root'],
        cwd: '/',
        capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
        // runc's and containerd's soft limit, under this process's hard one
        rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 }],
        noNewPrivileges: true,
      },
      root: { path: `${DIR}/merged` },
      hostname: '3f2a9c1b0d4e',
      mounts: [...kernelMounts(), ...ETC],
      annotations: { 'org.minictr.name': 'web', 'org.minictr.image': 'busybox' },
      linux: {
        namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }, { type: 'network' }],
        cgroupsPath: `minictr/${ID}`,
        resources: { devices: DEFAULT_DEVICE_RULES.map((r) => ({ ...r })) },
        seccomp: SECCOMP,
        maskedPaths: [...MASKED_PATHS],
        readonlyPaths: [...READONLY_PATHS],
      },
    });
  });

  describe('the network namespace for each --network mode', () => {
    const netns = (mode: string | undefined, joinNetns?: string) =>
      build(mode === undefined ? {} : { network: { mode, ports: [] } }, { joinNetns }).linux!.namespaces!.filter((n) => n.type === 'network');

    it.each([undefined, 'bridge', 'none', 'mynet'])('%s: a new one', (mode) => {
      expect(netns(mode)).toEqual([{ type: 'network' }]);
    });

    it('host: none of its own', () => {
      expect(netns('host')).toEqual([]);
    });

    it.each([['container:db', '/proc/4242/ns/net'], ['netns:lab', '/run/netns/lab']])('%s: joins %s', (mode, path) => {
      expect(netns(mode, path)).toEqual([{ type: 'network', path }]);
    });

    it('the other namespaces are the same in every mode', () => {
      for (const mode of ['bridge', 'none', 'host', 'container:db', 'netns:lab']) {
        expect(build({ network: { mode, ports: [] } }, { joinNetns: '/run/netns/x' }).linux!.namespaces!.filter((n) => n.type !== 'network')).toEqual([
          { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' },
        ]);
      }
    });

    it('a bad mode is refused', () => {
      expect(() => build({ network: { mode: 'container:', ports: [] } })).toThrow('invalid --network container:: expected container:NAME');
    });
  });

  describe('the user and its capabilities', () => {
    it("a non-root user keeps the bounding set but has nothing in effect (as Docker)", () => {
      const p = build({}, { user: { uid: 1000, gid: 1000 } }).process!;
      expect(p.user).toEqual({ uid: 1000, gid: 1000 });
      expect(p.capabilities).toEqual({ bounding: CAPS, effective: [], permitted: [] });
    });

    it("root, by name or number, has Docker's 14 in effect", () => {
      expect(build({}, { user: { uid: 0, gid: 0 } }).process!.capabilities).toEqual({ bounding: CAPS, effective: CAPS, permitted: CAPS });
      expect(build({}, { user: { uid: 0, gid: 10 } }).process!.user).toEqual({ uid: 0, gid: 10 });
      expect(CAPS).toHaveLength(14);
      expect(CAPS).not.toContain('CAP_SYS_ADMIN');
      expect(CAPS).not.toContain('CAP_NET_ADMIN');
    });
  });

  it("Docker's device allowlist: deny all, then mknod and the usual nodes; a copy the spec owns", () => {
    const devices = build().linux!.resources!.devices!;
    expect(devices[0]).toEqual({ allow: false, access: 'rwm' });
    expect(devices).toContainEqual({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' });
    expect(devices).toContainEqual({ allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' });
    expect(devices).toContainEqual({ allow: true, type: 'b', major: -1, minor: -1, access: 'm' });
    expect(devices).toHaveLength(DEFAULT_DEVICE_RULES.length);
    expect(Object.isFrozen(devices[0])).toBe(false);
    devices[0]!.allow = true;
    expect(DEFAULT_DEVICE_RULES[0]!.allow).toBe(false);
  });

  it('the cgroup is minictr/<id>; the limits are in linux.resources next to the devices', () => {
    const s = build({ resources: { memory: 64 * 1024 * 1024, cpus: 0.5, pidsLimit: 50 } });
    expect(s.linux!.cgroupsPath).toBe(`minictr/${ID}`);
    expect(s.linux!.resources).toEqual({
      memory: { limit: 64 * 1024 * 1024, swap: 128 * 1024 * 1024 },
      cpu: { quota: 50_000, period: 100_000 },
      pids: { limit: 50 },
      devices: DEFAULT_DEVICE_RULES.map((r) => ({ ...r })),
    });
  });

  it('-v and --tmpfs become mounts after the kernel ones and /etc files', () => {
    const s = build({
      volumes: [{ source: '/srv/data', target: '/data', readonly: false }, { source: '/srv/cfg', target: '/cfg', readonly: true }],
      tmpfs: ['/run', '/tmp'],
    });
    expect(s.mounts!.slice(kernelMounts().length + ETC.length)).toEqual([
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rprivate'] },
      { destination: '/cfg', type: 'bind', source: '/srv/cfg', options: ['rbind', 'rprivate', 'ro'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=65536k'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=65536k'] },
    ]);
  });

  it('a volume is a bind of its directory on the host; --mount type=tmpfs a tmpfs of its size', () => {
    const s = build({
      volumes: [
        { type: 'volume', source: '/var/lib/minictr/volumes/db/_data', target: '/db', readonly: false, volume: 'db' },
        { type: 'volume', source: '/var/lib/minictr/volumes/0a1b/_data', target: '/cache', readonly: true, volume: '0a1b', anonymous: true },
        { type: 'tmpfs', source: 'tmpfs', target: '/scratch', readonly: false, size: 1048576 },
        { type: 'tmpfs', source: 'tmpfs', target: '/ro', readonly: true },
      ],
    });
    expect(s.mounts!.slice(kernelMounts().length + ETC.length)).toEqual([
      { destination: '/db', type: 'bind', source: '/var/lib/minictr/volumes/db/_data', options: ['rbind', 'rprivate'] },
      { destination: '/cache', type: 'bind', source: '/var/lib/minictr/volumes/0a1b/_data', options: ['rbind', 'rprivate', 'ro'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1048576'] },
      { destination: '/ro', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=65536k', 'ro'] },
    ]);
  });

  it('-t: a terminal, TERM, and the console size when known', () => {
    const p = build({ tty: true }, { ttySize: { rows: 50, cols: 132 } }).process!;
    expect(p.terminal).toBe(true);
    expect(p.consoleSize).toEqual({ height: 50, width: 132 });
    expect(p.env).toContain('TERM=xterm');
    expect(build({ tty: true }).process).not.toHaveProperty('consoleSize');
  });

  it('is a spec minictr-oci accepts, and one the child can be given', () => {
    const s = build({ volumes: [{ source: '/srv/data', target: '/data', readonly: true }], tmpfs: ['/tmp'], env: ['A=1'], user: 'nobody', resources: { memory: 64 * 1024 * 1024 } }, { user: { uid: 65534, gid: 65534 } });
    expect(parseSpec(JSON.parse(JSON.stringify(s)))).toEqual(s);
    const r = toSpawnRecord(s, { bundle: DIR, initMode: 'pid1', initPath: '/x/init', stdio: [0, 1, 2], cgroupFd: -1, explainFd: -1, dieWithParent: false, lastCap: 40 });
    expect(r.cloneFlags).toBe(CLONE.NEWPID | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNS | CLONE.NEWNET);
    expect(r.unshareCgroupns).toBe(true);
    expect(r.rootfs).toBe(`${DIR}/merged`);
    expect(r.creds.effective).toEqual([]);
    expect(r.mounts.find((m) => m.target === '/data')).toMatchObject({ source: '/srv/data', flags: MS.BIND | MS.REC | MS.RDONLY, propagation: MS.PRIVATE | MS.REC });
    const joined = buildContainerSpec({ container: container({ network: { mode: 'netns:lab', ports: [] } }), imageEnv: [], etcMounts: [], network: { kind: 'netns', name: 'lab' }, joinNetns: '/run/netns/lab', host: HOST });
    expect(toSpawnRecord(parseSpec(joined), { bundle: DIR, initMode: 'pid1', initPath: '/x/init', stdio: [0, 1, 2], cgroupFd: -1, explainFd: -1, dieWithParent: false, lastCap: 40 }).joinNamespaces).toEqual([
      { type: CLONE.NEWNET, path: '/run/netns/lab' },
    ]);
  });
});

describe('containerEnv', () => {
  it('PATH, HOSTNAME, HOME (TERM with a tty), then the image, then -e: a later value wins, in its first place', () => {
    expect(containerEnv('h', true, ['PATH=/opt/bin:/bin', 'LANG=C.UTF-8'], ['HOME=/home/x', 'DEBUG=1', 'LANG=de_DE'])).toEqual([
      'PATH=/opt/bin:/bin', 'HOSTNAME=h', 'HOME=/home/x', 'TERM=xterm', 'LANG=de_DE', 'DEBUG=1',
    ]);
  });

  it('entries without a name are dropped', () => {
    expect(containerEnv('h', false, ['=x', 'NOVALUE'], ['A=b=c'])).toEqual([`PATH=${DEFAULT_PATH}`, 'HOSTNAME=h', 'HOME=/root', 'A=b=c']);
  });
});
