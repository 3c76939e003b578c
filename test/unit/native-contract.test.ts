/**
 * The TypeScript <-> C contract: the records of src/native/contract.ts and the field lists
 * native/src/contract.c reads them with (exported as native().contract(), "?" marking an
 * optional key) must be the same, key for key and optional for optional. The type checker
 * holds this file to the TypeScript side: each record below is a `Required<...>` object
 * literal (every key present, no other) and each optional-key set is exactly the record's
 * optional keys. The addon is then shown to refuse a record with an unknown or a missing key
 * before doing anything. Loading the addon and these calls need no root.
 */
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/index.js';
import type {
  ChildHooksRecord, CredsRecord, DetachRecord, DeviceRecord, EnterRecord, ExplainNameRecord, HookRecord, IdmapRecord, MountRecord, NamespaceJoinRecord,
  NetConfigRecord, RlimitRecord, SpawnRecord, SymlinkRecord, SysctlRecord,
} from '../../src/native/index.js';
import { PAUSE_POINTS } from '../../src/native/index.js';
import { defaultSpec } from '../../src/oci/default-spec.js';
import { toEnterRecord, toSpawnRecord } from '../../src/runtime/native-spec.js';

/** The keys of T that may be absent. */
type OptionalKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? K : never }[keyof T];
/** An object with exactly these keys. */
type KeySet<K extends PropertyKey> = { [P in K]: true };

type SeccompRecord = NonNullable<CredsRecord['seccomp']>;

// Paths that do not exist: if a record below were ever read as good, the addon would stop at
// them (opening a namespace, loading init) and throw, long before it could clone anything.
const NOWHERE = '/nonexistent/minictr-unit-test';

const mount: Required<MountRecord> = { source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', flags: 0, propagation: 0, data: 'size=1m', file: false, copyUp: false };
const device: Required<DeviceRecord> = { path: '/dev/null', mode: 0o020666, major: 1, minor: 3, uid: 0, gid: 0 };
const symlink: Required<SymlinkRecord> = { target: '/proc/self/fd', path: '/dev/fd' };
const join: Required<NamespaceJoinRecord> = { type: 0x40000000, path: `${NOWHERE}/ns/net` };
const sysctl: Required<SysctlRecord> = { key: 'net.ipv4.ip_forward', value: '1' };
const rlimit: Required<RlimitRecord> = { resource: 7, soft: 1024, hard: 1024 };
const seccomp: Required<SeccompRecord> = { filter: Buffer.alloc(8), flags: 0 };
const creds: Required<CredsRecord> = {
  bounding: [0], effective: [0], permitted: [0], inheritable: [], ambient: [], uid: 0, gid: 0, groups: [], umask: 0o22,
  noNewPrivs: true, rlimits: [rlimit], keyring: 'unit', personality: -1, seccomp,
};
const netConfig: Required<NetConfigRecord> = { ifname: 'eth0', address: '10.88.0.2', prefix: 16, gateway: '10.88.0.1' };
const hook: Required<HookRecord> = { path: '/bin/true', args: ['true'], env: [], timeout: 1 };
const hooks: Required<ChildHooksRecord> = { createContainer: [hook], startContainer: [] };
const detach: Required<DetachRecord> = { monitorPath: `${NOWHERE}/monitor`, logPath: `${NOWHERE}/log`, exitPath: `${NOWHERE}/exit.json`, onExit: ['true'], keepStdin: false, healthProbe: ['true'], healthIntervalMs: 1000 };
const explainName: Required<ExplainNameRecord> = { name: 'C', value: '/var/lib/minictr/containers/x' };
const spawn: Required<SpawnRecord> = {
  cloneFlags: 0, unshareCgroupns: false, joinNamespaces: [join], rootfs: NOWHERE, overlay: 'lowerdir=/a', rootReadonly: false,
  rootPropagation: 0, noPivot: false, mounts: [mount], devices: [device], symlinks: [symlink], masked: [], readonly: [],
  sysctls: [sysctl], hostname: 'unit', domainname: 'unit', cwd: '/', command: ['true'], initMode: 'exec', env: [], creds, tty: false,
  ttyRows: 24, ttyCols: 80, stdio: [0, 1, 2], preserveFds: 0, loopbackUp: false, netConfig, dieWithParent: false, cgroupFd: -1,
  cgroupTasks: [`${NOWHERE}/tasks`], initPath: `${NOWHERE}/minictr-init`, execFifo: `${NOWHERE}/exec.fifo`, hooks, explainFd: -1, detach, rootFromParent: false,
  explainNames: [explainName], pauseSteps: false,
};
const enter: Required<EnterRecord> = {
  pid: 0, nsFlags: 0, command: ['true'], env: [], cwd: '/', creds, tty: false, stdio: [0, 1, 2], detach: false, preserveFds: 0,
  cgroupFd: -1, cgroupProcs: [], explainFd: -1, initPath: `${NOWHERE}/minictr-init`,
};

const idmap: Required<IdmapRecord> = { pid: 0, layers: [`${NOWHERE}/layer`], upperdir: `${NOWHERE}/upper`, workdir: `${NOWHERE}/work`, rootfs: `${NOWHERE}/merged`, explainFd: -1 };

/** C list name -> one complete TypeScript record and its optional keys. */
const RECORDS: Record<string, { record: object; optional: object }> = {
  spawn: {
    record: spawn,
    optional: { overlay: true, hostname: true, domainname: true, ttyRows: true, ttyCols: true, netConfig: true, execFifo: true, hooks: true, detach: true, explainNames: true, pauseSteps: true, cgroupTasks: true } satisfies KeySet<OptionalKeys<SpawnRecord>>,
  },
  creds: { record: creds, optional: { keyring: true, seccomp: true } satisfies KeySet<OptionalKeys<CredsRecord>> },
  enter: { record: enter, optional: { cwd: true, creds: true } satisfies KeySet<OptionalKeys<EnterRecord>> },
  mount: { record: mount, optional: { data: true } satisfies KeySet<OptionalKeys<MountRecord>> },
  device: { record: device, optional: {} satisfies KeySet<OptionalKeys<DeviceRecord>> },
  symlink: { record: symlink, optional: {} satisfies KeySet<OptionalKeys<SymlinkRecord>> },
  join: { record: join, optional: {} satisfies KeySet<OptionalKeys<NamespaceJoinRecord>> },
  sysctl: { record: sysctl, optional: {} satisfies KeySet<OptionalKeys<SysctlRecord>> },
  rlimit: { record: rlimit, optional: {} satisfies KeySet<OptionalKeys<RlimitRecord>> },
  seccomp: { record: seccomp, optional: {} satisfies KeySet<OptionalKeys<SeccompRecord>> },
  netConfig: { record: netConfig, optional: { gateway: true } satisfies KeySet<OptionalKeys<NetConfigRecord>> },
  hooks: { record: hooks, optional: {} satisfies KeySet<OptionalKeys<ChildHooksRecord>> },
  hook: { record: hook, optional: {} satisfies KeySet<OptionalKeys<HookRecord>> },
  detach: { record: detach, optional: { onExit: true, healthProbe: true, healthIntervalMs: true } satisfies KeySet<OptionalKeys<DetachRecord>> },
  idmap: { record: idmap, optional: {} satisfies KeySet<OptionalKeys<IdmapRecord>> },
  explainName: { record: explainName, optional: {} satisfies KeySet<OptionalKeys<ExplainNameRecord>> },
};

const sorted = (keys: Iterable<string>): string[] => [...keys].sort();
/** not a record: the names of run --step's pauses in the child */
const PAUSES = 'pausePoints';
const cList = (name: string): string[] => native().contract()[name] ?? [];
const cKeys = (name: string): string[] => sorted(cList(name).map((k) => k.replace(/\?$/, '')));
const cOptional = (name: string): string[] => sorted(cList(name).filter((k) => k.endsWith('?')).map((k) => k.slice(0, -1)));

describe('the field lists of contract.c and the records of contract.ts', () => {
  it('the C side lists exactly the records this test knows', () => {
    expect(sorted(Object.keys(native().contract()).filter((k) => k !== PAUSES))).toEqual(sorted(Object.keys(RECORDS)));
  });

  it('run --step: the child pauses at the steps PAUSE_POINTS names, in that order', () => {
    expect(cList(PAUSES)).toEqual([...PAUSE_POINTS]);
  });

  it.each(Object.keys(RECORDS))('%s: the same keys', (name) => {
    expect(cKeys(name)).toEqual(sorted(Object.keys(RECORDS[name]!.record)));
  });

  it.each(Object.keys(RECORDS))('%s: the same optional keys', (name) => {
    expect(cOptional(name)).toEqual(sorted(Object.keys(RECORDS[name]!.optional)));
  });

  it('a C list names each key once', () => {
    for (const name of Object.keys(RECORDS)) expect(new Set(cKeys(name)).size).toBe(cList(name).length);
  });
});

/** Every object in a record, with the C list it is read with, checked recursively. */
function checkAgainstC(value: Record<string, unknown>, list: string): void {
  const keys = Object.keys(value);
  expect(keys.filter((k) => !cKeys(list).includes(k)), `${list}: keys the C side does not know`).toEqual([]);
  const required = cKeys(list).filter((k) => !cOptional(list).includes(k));
  expect(required.filter((k) => value[k] === undefined), `${list}: required keys missing`).toEqual([]);
  const nested: Record<string, string> = { creds: 'creds', netConfig: 'netConfig', hooks: 'hooks', detach: 'detach', seccomp: 'seccomp', mounts: 'mount', devices: 'device', symlinks: 'symlink', joinNamespaces: 'join', sysctls: 'sysctl', rlimits: 'rlimit', createContainer: 'hook', startContainer: 'hook', explainNames: 'explainName' };
  for (const [k, v] of Object.entries(value)) {
    const sub = nested[k];
    if (!sub || typeof v !== 'object' || v === null || Buffer.isBuffer(v)) continue; // enter's detach is a boolean
    for (const o of Array.isArray(v) ? v : [v]) checkAgainstC(o as Record<string, unknown>, sub);
  }
}

describe('what src/runtime/native-spec.ts builds fits the C lists', () => {
  it('a spawn record with everything in it', () => {
    const s = defaultSpec();
    s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }];
    s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    s.linux!.namespaces!.push({ type: 'cgroup' } as never);
    s.linux!.namespaces = s.linux!.namespaces!.filter((n, i, all) => all.findIndex((m) => m.type === n.type) === i);
    s.linux!.namespaces = s.linux!.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: '/run/netns/x' } : n));
    s.hooks = { createContainer: [{ path: '/bin/true' }], startContainer: [{ path: '/bin/true', args: ['true'], env: ['A=1'], timeout: 2 }] };
    s.process!.consoleSize = { height: 24, width: 80 };
    s.domainname = 'example.org';
    const r = toSpawnRecord(s, {
      bundle: '/b', overlay: 'lowerdir=/a', initMode: 'pid1', initPath: '/x/init', stdio: [0, 1, 2], cgroupFd: 5, explainFd: -1, dieWithParent: true,
      keyring: 'k', execFifo: '/r/exec.fifo', netConfig: { ifname: 'eth0', address: '10.88.0.2', prefix: 16, gateway: '10.88.0.1' },
      seccomp: { filter: Buffer.alloc(8), flags: 0 }, lastCap: 40, explainNames: [{ name: 'ID', value: 'abc' }], pauseSteps: true,
    });
    checkAgainstC(r as unknown as Record<string, unknown>, 'spawn');
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['overlay', 'hostname', 'domainname', 'ttyRows', 'ttyCols', 'netConfig', 'execFifo', 'hooks', 'explainNames', 'pauseSteps']));
  });

  it('a minimal spawn record, and an enter record', () => {
    checkAgainstC(toSpawnRecord(defaultSpec(), { bundle: '/b', initMode: 'exec', initPath: '/x', stdio: [0, 1, 2], cgroupFd: -1, explainFd: -1, dieWithParent: false, lastCap: 40 }) as unknown as Record<string, unknown>, 'spawn');
    const e = toEnterRecord(defaultSpec().process!, { pid: 1, nsFlags: 0, stdio: [0, 1, 2], detach: true, cgroupFd: -1, cgroupProcs: ['/sys/fs/cgroup/x/cgroup.procs'], explainFd: -1, initPath: '/x', lastCap: 40 });
    checkAgainstC(e as unknown as Record<string, unknown>, 'enter');
  });
});

/** What native().spawn / enter throw for a record; a record that got through would be a bug. */
function thrown(call: () => unknown): Error {
  try {
    call();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the addon accepted the record');
}

const without = <T extends object>(o: T, key: keyof T): T => {
  const c = { ...o };
  delete c[key];
  return c;
};

describe('the addon refuses a bad record before doing anything', () => {
  const spawnWith = (record: object): Error => thrown(() => native().spawn(record as SpawnRecord));
  // the reader opens each namespace to join as it reads it, before the mounts: the records
  // below join none, so that their error is the one they are about (execFifo and initPath
  // still lead nowhere)
  const base: Required<SpawnRecord> = { ...spawn, joinNamespaces: [] };
  const enterWith = (record: object): Error => thrown(() => native().enter(record as EnterRecord));

  it('a complete record gets past the key checks (and stops at the first path that does not exist)', () => {
    const e = spawnWith(spawn);
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe(`spawn record: open(${NOWHERE}/ns/net): No such file or directory (see src/native/contract.ts)`);
    expect(spawnWith({ ...spawn, joinNamespaces: [], execFifo: undefined, detach: undefined }).message).toBe(`spawn record: load ${NOWHERE}/minictr-init: No such file or directory (see src/native/contract.ts)`);
  });

  it('spawnDetached takes 1 to 32 records and names the one at fault', () => {
    const group = (records: unknown): Error => thrown(() => native().spawnDetached(records as SpawnRecord[]));
    const range = 'spawnDetached([record...]): 1 to 32 records';
    expect([group([]).message, group(Array(33).fill(base)).message, group(base).message]).toEqual([range, range, range]);
    expect(group([{ ...base, bogus: 1 }, base]).message).toBe('records[0]: spawn record: spawn: unknown key "bogus" (see src/native/contract.ts)');
  });

  it('every optional key may be left out', () => {
    const optional = Object.keys(RECORDS.spawn!.optional) as (keyof SpawnRecord)[];
    let r: SpawnRecord = { ...spawn, joinNamespaces: [], creds: without(without(creds, 'keyring'), 'seccomp'), mounts: [without(mount, 'data')] };
    for (const k of optional) r = without(r, k);
    expect(spawnWith(r).message).toBe(`spawn record: load ${NOWHERE}/minictr-init: No such file or directory (see src/native/contract.ts)`);
  });

  it.each<[string, object, string]>([
    ['at the top', { ...base, bogus: 1 }, 'spawn: unknown key "bogus"'],
    ['a misspelt optional key', { ...without(base, 'execFifo'), execFIFO: '/x' }, 'spawn: unknown key "execFIFO"'],
    ['in creds', { ...base, creds: { ...creds, capabilities: [] } }, 'creds: unknown key "capabilities"'],
    ['in a mount', { ...base, mounts: [{ ...mount, options: [] }] }, 'mounts[]: unknown key "options"'],
    ['in a device', { ...base, devices: [{ ...device, type: 'c' }] }, 'devices[]: unknown key "type"'],
    ['in a join', { ...base, joinNamespaces: [{ ...join, fd: 3 }] }, 'joinNamespaces[]: unknown key "fd"'],
    ['in an rlimit', { ...base, creds: { ...creds, rlimits: [{ ...rlimit, type: 'RLIMIT_NOFILE' }] } }, 'rlimits[]: unknown key "type"'],
    ['in seccomp', { ...base, creds: { ...creds, seccomp: { ...seccomp, allowed: 3 } } }, 'creds.seccomp: unknown key "allowed"'],
    ['in netConfig', { ...base, netConfig: { ...netConfig, mtu: 1500 } }, 'netConfig: unknown key "mtu"'],
    ['in hooks', { ...base, hooks: { ...hooks, poststart: [] } }, 'hooks: unknown key "poststart"'],
    ['in a hook', { ...base, hooks: { ...hooks, createContainer: [{ ...hook, cwd: '/' }] } }, 'hooks[]: unknown key "cwd"'],
    ['in detach', { ...base, detach: { ...detach, pidFile: '/x' } }, 'detach: unknown key "pidFile"'],
    ['in an explain name', { ...base, explainNames: [{ ...explainName, short: true }] }, 'explainNames[]: unknown key "short"'],
  ])('spawn: an unknown key %s', (_where, record, message) => {
    const e = spawnWith(record);
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe(`spawn record: ${message} (see src/native/contract.ts)`);
  });

  it.each<[string, object, string]>([
    ['cwd', without(base, 'cwd'), 'spawn: missing key "cwd"'],
    ['cgroupFd', without(base, 'cgroupFd'), 'spawn: missing key "cgroupFd"'],
    ['creds', without(base, 'creds'), 'spawn: missing key "creds"'],
    ['creds.uid', { ...base, creds: without(creds, 'uid') }, 'creds: missing key "uid"'],
    ['mounts[].file', { ...base, mounts: [without(mount, 'file')] }, 'mounts[]: missing key "file"'],
    ['hooks.startContainer', { ...base, hooks: without(hooks, 'startContainer') }, 'hooks: missing key "startContainer"'],
    ['detach.keepStdin', { ...base, detach: without(detach, 'keepStdin') }, 'detach: missing key "keepStdin"'],
    ['netConfig.prefix', { ...base, netConfig: without(netConfig, 'prefix') }, 'netConfig: missing key "prefix"'],
  ])('spawn: a missing required key, %s', (_key, record, message) => {
    const e = spawnWith(record);
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe(`spawn record: ${message} (see src/native/contract.ts)`);
  });

  it('spawn: a health probe needs its interval', () => {
    expect(spawnWith({ ...base, detach: without(detach, 'healthIntervalMs') }).message).toBe('spawn record: detach: healthProbe needs a positive healthIntervalMs (see src/native/contract.ts)');
    expect(spawnWith({ ...base, detach: { ...detach, healthIntervalMs: 0 } }).message).toBe('spawn record: detach: healthProbe needs a positive healthIntervalMs (see src/native/contract.ts)');
  });

  it('spawn: a key of the wrong type, and an empty command', () => {
    expect(spawnWith({ ...base, cloneFlags: '0' }).message).toBe('spawn record: cloneFlags: not a number (see src/native/contract.ts)');
    expect(spawnWith({ ...base, stdio: [0, 1] }).message).toBe('spawn record: stdio: expected 3 fds (see src/native/contract.ts)');
    expect(spawnWith({ ...base, initMode: 'init' }).message).toBe('spawn record: initMode: "init" is not pid1, pid1-tty or exec (see src/native/contract.ts)');
    expect(spawnWith({ ...base, command: [] }).message).toBe('spawn record: command: empty (see src/native/contract.ts)');
    expect(spawnWith({ ...base, creds: { ...creds, bounding: [64] } }).message).toBe('spawn record: bounding[0]: no capability 64 (see src/native/contract.ts)');
    expect(spawnWith({ ...base, creds: { ...creds, seccomp: { filter: Buffer.alloc(5), flags: 0 } } }).message).toBe('spawn record: seccomp.filter: 5 bytes is not a BPF program (see src/native/contract.ts)');
    expect(spawnWith({ ...base, explainNames: [{ name: 'C', value: '' }] }).message).toBe('spawn record: explainNames[0]: empty (see src/native/contract.ts)');
    expect(spawnWith({ ...base, pauseSteps: 1 }).message).toBe('spawn record: pauseSteps: not a boolean (see src/native/contract.ts)');
    expect(spawnWith({ ...base, rootfs: 'a\0b' }).message).toBe('spawn record: rootfs: holds a NUL byte (see src/native/contract.ts)');
  });

  it('enter: unknown, missing, and a complete record that stops at pid 0', () => {
    expect(enterWith({ ...enter, bogus: true }).message).toBe('enter record: enter: unknown key "bogus" (see src/native/contract.ts)');
    expect(enterWith(without(enter, 'cgroupProcs')).message).toBe('enter record: enter: missing key "cgroupProcs" (see src/native/contract.ts)');
    expect(enterWith({ ...enter, creds: { ...creds, ambientt: [] } }).message).toBe('enter record: creds: unknown key "ambientt" (see src/native/contract.ts)');
    expect(enterWith(enter).message).toBe('enter record: pid: 0 is not a process (see src/native/contract.ts)');
    expect(enterWith(without(without(enter, 'cwd'), 'creds')).message).toBe('enter record: pid: 0 is not a process (see src/native/contract.ts)');
  });

  it('idmap: unknown, missing, a pid that is no process, no layers; and spawn: an overlay beside rootFromParent', () => {
    const idmapWith = (record: object): Error => thrown(() => native().idmappedOverlay(record as IdmapRecord));
    expect(idmapWith({ ...idmap, lowerdir: '/x' }).message).toBe('idmap record: idmap: unknown key "lowerdir" (see src/native/contract.ts)');
    expect(idmapWith(without(idmap, 'workdir')).message).toBe('idmap record: idmap: missing key "workdir" (see src/native/contract.ts)');
    expect(idmapWith(idmap).message).toBe('idmap record: pid: 0 is not a process (see src/native/contract.ts)');
    expect(idmapWith({ ...idmap, pid: 1, layers: [] }).message).toBe('idmap record: layers: empty (see src/native/contract.ts)');
    expect(idmapWith({ ...idmap, pid: 1, layers: 'x' }).message).toBe('idmap record: layers: not an array (see src/native/contract.ts)');
    expect(thrown(() => native().spawn({ ...base, rootFromParent: true } as SpawnRecord)).message).toBe('spawn record: overlay: not with rootFromParent (the parent mounts the root) (see src/native/contract.ts)');
    expect(thrown(() => native().spawn({ ...base, rootFromParent: 1 } as unknown as SpawnRecord)).message).toBe('spawn record: rootFromParent: not a boolean (see src/native/contract.ts)');
  });

  it('not an object at all', () => {
    expect(spawnWith(null as unknown as object).message).toBe('spawn record: spawn: not an object (see src/native/contract.ts)');
    expect(thrown(() => (native().spawn as () => unknown)()).message).toBe('spawn(spec)');
  });
});
