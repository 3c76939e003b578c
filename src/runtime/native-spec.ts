/**
 * From an OCI spec to the exact record the C child carries out (src/native/contract.ts):
 * namespaces made or joined, the root, every mount in order, devices, masked paths, sysctls,
 * capabilities by number, rlimits, hooks the child runs. Pure: it decides, it does not act
 * (the cgroup, the id maps and host-side hooks are src/runtime/launch.ts's). Both
 * `minictr run` and `minictr-oci create` come through here.
 */
import { isAbsolute, resolve } from 'node:path';
import { cgroupNamespaceView } from '../cgroup/ns-view.js';
import { CLONE, MS } from '../native/index.js';
import type { CredsRecord, DeviceRecord, EnterRecord, ExplainNameRecord, HookRecord, MountRecord, NetConfigRecord, SpawnRecord, SymlinkRecord } from '../native/index.js';
import { parseMountOptions } from '../spec/mount-options.js';
import { SpecError } from '../spec/parse.js';
import type { NamespaceType, OciHook, OciMount, OciProcess, OciSpec } from '../spec/config.js';
import { checkNamespacedSysctl } from '../spec/sysctl.js';
import { CAPABILITIES, type CapabilityName } from './capabilities.js';
import { defaultDevices, defaultSymlinks, isFile } from './filesystem.js';

/** What the caller decides beyond the spec (how the process is run, not what it is). */
export interface NativeSpecOptions {
  /** the bundle dir: root.path and bind sources may be relative to it */
  bundle: string;
  /** minictr run: the overlay of image layers mounted at root.path */
  overlay?: string;
  /** minictr run --userns=remap: the root comes from the parent (an overlay of idmapped layers) */
  rootFromParent?: boolean;
  /** minictr run: the destinations of bind mounts of empty volumes, which the child fills
   * with what the image holds there (Docker's copy-up; not an OCI feature, so not in the spec) */
  volumeCopyUp?: string[];
  /** pid1: minictr-init stays PID 1 and reaps (minictr run); exec: the command is PID 1 (OCI) */
  initMode: 'pid1' | 'exec';
  initPath: string;
  stdio: [number, number, number];
  cgroupFd: number;
  /** v1 `tasks` files the child writes "0" to, to join its cgroups itself */
  cgroupTasks?: string[];
  explainFd: number;
  /** explain lines write these values as $name */
  explainNames?: ExplainNameRecord[];
  /** run --step: the child stops before each of its steps */
  pauseSteps?: boolean;
  dieWithParent: boolean;
  noPivot?: boolean;
  preserveFds?: number;
  /** join a fresh session keyring of this name (absent: --no-new-keyring) */
  keyring?: string;
  execFifo?: string;
  netConfig?: NetConfigRecord;
  seccomp?: { filter: Buffer; flags: number };
  /** /proc/sys/kernel/cap_last_cap */
  lastCap: number;
  /** the container's cgroup (minictr/<id>, minictr-oci/...): what /sys/fs/cgroup shows of v1
   * hierarchies when the spec gives it no cgroup namespace */
  cgroupName?: string;
}

const CLONE_OF: Record<Exclude<NamespaceType, 'time'>, number> = {
  pid: CLONE.NEWPID, network: CLONE.NEWNET, mount: CLONE.NEWNS, ipc: CLONE.NEWIPC, uts: CLONE.NEWUTS,
  user: CLONE.NEWUSER, cgroup: CLONE.NEWCGROUP,
};

const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

export function capNumbers(names: readonly string[] | undefined, where: string, lastCap: number): number[] {
  const out: number[] = [];
  for (const n of names ?? []) {
    const short = n.replace(/^CAP_/, '') as CapabilityName;
    if (!(short in CAPABILITIES)) throw new SpecError(`${where}: unknown capability ${n}`);
    // a capability newer than this kernel cannot be held: runc skips it too
    if (CAPABILITIES[short] <= lastCap) out.push(CAPABILITIES[short]);
  }
  return out;
}

export function credsRecord(p: OciProcess, o: { keyring?: string; personality: number; seccomp?: { filter: Buffer; flags: number }; lastCap: number }): CredsRecord {
  const caps = p.capabilities ?? {};
  const set = (k: keyof typeof caps): number[] => capNumbers(caps[k], `process.capabilities.${k}`, o.lastCap);
  return {
    bounding: set('bounding'),
    effective: set('effective'),
    permitted: set('permitted'),
    inheritable: set('inheritable'),
    ambient: set('ambient'),
    uid: p.user.uid,
    gid: p.user.gid,
    groups: p.user.additionalGids ?? [],
    umask: p.user.umask ?? -1,
    noNewPrivs: p.noNewPrivileges ?? false,
    rlimits: (p.rlimits ?? []).map((r, i) => {
      const resource = RLIMITS[r.type];
      if (resource === undefined) throw new SpecError(`process.rlimits[${i}].type: unknown resource ${r.type}`);
      if (r.soft > r.hard) throw new SpecError(`process.rlimits[${i}]: soft limit ${r.soft} is above the hard limit ${r.hard}`);
      return { resource, soft: r.soft, hard: r.hard };
    }),
    keyring: o.keyring,
    personality: o.personality,
    seccomp: o.seccomp,
  };
}

function hookRecords(hooks: OciHook[] | undefined): HookRecord[] {
  return (hooks ?? []).map((h) => ({ path: h.path, args: h.args ?? [h.path], env: h.env ?? [], timeout: h.timeout ?? 0 }));
}

/** A spec mount as the child does it; a "cgroup" mount becomes this host's cgroup view. */
function mountRecords(m: OciMount, i: number, bundle: string, out: { mounts: MountRecord[]; symlinks: SymlinkRecord[]; readonly: string[] }, ownCgroup?: string, copyUp: readonly string[] = []): void {
  const where = `mounts[${i}]`;
  const o = parseMountOptions(m.options ?? [], where);
  const type = m.type ?? (o.bind ? 'bind' : undefined);
  if (type === 'cgroup' || type === 'cgroup2') {
    // the host's hierarchies as the container's cgroup namespace shows them (ns-view.ts)
    const view = cgroupNamespaceView(m.destination, (o.flags & MS.RDONLY) !== 0, ownCgroup);
    out.mounts.push(...view.mounts);
    out.symlinks.push(...view.symlinks);
    out.readonly.push(...view.readonly);
    return;
  }
  if (type === 'bind' || o.bind) {
    if (!m.source) throw new SpecError(`${where}: a bind mount needs a source`);
    const source = isAbsolute(m.source) ? m.source : resolve(bundle, m.source);
    out.mounts.push({
      source, target: m.destination, fstype: 'none', flags: MS.BIND | (o.recursive ? MS.REC : 0) | o.flags,
      propagation: o.propagation, file: isFile(source), copyUp: copyUp.includes(m.destination) && !isFile(source), ...(o.data ? { data: o.data } : {}),
    });
    return;
  }
  if (!type) throw new SpecError(`${where}: no type (and no bind option)`);
  if (o.copyUp && type !== 'tmpfs') throw new SpecError(`${where}: tmpcopyup is for tmpfs mounts, not ${type}`);
  out.mounts.push({
    source: m.source ?? type, target: m.destination, fstype: type, flags: o.flags, propagation: o.propagation,
    file: false, copyUp: o.copyUp, ...(o.data ? { data: o.data } : {}),
  });
}

function deviceRecords(spec: OciSpec): DeviceRecord[] {
  const out = new Map<string, DeviceRecord>();
  for (const d of defaultDevices()) out.set(d.path, d);
  (spec.linux?.devices ?? []).forEach((d, i) => {
    const kind = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR;
    if (d.type !== 'p' && (d.major === undefined || d.minor === undefined)) throw new SpecError(`linux.devices[${i}]: ${d.path} needs a major and a minor number`);
    if (!d.path.startsWith('/dev/')) throw new SpecError(`linux.devices[${i}]: ${d.path} is not below /dev`);
    out.set(d.path, { path: d.path, mode: kind | ((d.fileMode ?? 0o666) & 0o7777), major: d.major ?? 0, minor: d.minor ?? 0, uid: d.uid ?? 0, gid: d.gid ?? 0 });
  });
  return [...out.values()];
}

export function toSpawnRecord(spec: OciSpec, o: NativeSpecOptions): SpawnRecord {
  const p = spec.process;
  if (!p) throw new SpecError('process is required to start a container');
  if (!spec.root) throw new SpecError('root is required to start a container');
  const linux = spec.linux ?? {};
  let cloneFlags = 0;
  const joins: SpawnRecord['joinNamespaces'] = [];
  const seen = new Set<string>();
  (linux.namespaces ?? []).forEach((ns, i) => {
    const where = `linux.namespaces[${i}]`;
    if (seen.has(ns.type)) throw new SpecError(`${where}: the ${ns.type} namespace is listed twice`);
    seen.add(ns.type);
    if (ns.type === 'time') throw new SpecError(`${where}: time namespaces are not supported by minictr`);
    if (!ns.path) {
      cloneFlags |= CLONE_OF[ns.type];
      return;
    }
    if (ns.type === 'pid' || ns.type === 'mount' || ns.type === 'user') {
      throw new SpecError(`${where}: joining an existing ${ns.type} namespace (path) is not supported by minictr`);
    }
    joins.push({ type: CLONE_OF[ns.type], path: ns.path });
  });
  if (!(cloneFlags & CLONE.NEWNS)) throw new SpecError('linux.namespaces: minictr needs a new mount namespace for the container');
  const hasUts = seen.has('uts');
  if ((spec.hostname || spec.domainname) && !hasUts) throw new SpecError('hostname: setting it needs a uts namespace of the container\'s own');
  if ((cloneFlags & CLONE.NEWUSER) && !(linux.uidMappings?.length && linux.gidMappings?.length)) {
    throw new SpecError('linux.uidMappings and gidMappings are required with a user namespace');
  }

  const out = { mounts: [] as MountRecord[], symlinks: defaultSymlinks(), readonly: [...(linux.readonlyPaths ?? [])] };
  const ownCgroup = cloneFlags & CLONE.NEWCGROUP ? undefined : o.cgroupName;
  (spec.mounts ?? []).forEach((m, i) => mountRecords(m, i, o.bundle, out, ownCgroup, o.volumeCopyUp));

  const sysctls = Object.entries(linux.sysctl ?? {}).map(([key, value]) => ({
    key: checkNamespacedSysctl(key, { net: !!(cloneFlags & CLONE.NEWNET) || joins.some((j) => j.type === CLONE.NEWNET), ipc: seen.has('ipc'), uts: hasUts }),
    value,
  }));
  const rootfs = isAbsolute(spec.root.path) ? spec.root.path : resolve(o.bundle, spec.root.path);
  const childHooks = spec.hooks?.createContainer?.length || spec.hooks?.startContainer?.length;
  return {
    cloneFlags: cloneFlags & ~CLONE.NEWCGROUP,
    // made after the parent placed the child in its cgroup, so that cgroup is its root
    unshareCgroupns: (cloneFlags & CLONE.NEWCGROUP) !== 0,
    joinNamespaces: joins,
    rootfs,
    ...(o.overlay ? { overlay: o.overlay } : {}),
    rootFromParent: o.rootFromParent ?? false,
    rootReadonly: spec.root.readonly ?? false,
    rootPropagation: linux.rootfsPropagation ? PROPAGATION[linux.rootfsPropagation]! : 0,
    noPivot: o.noPivot ?? false,
    mounts: out.mounts,
    devices: deviceRecords(spec),
    symlinks: out.symlinks,
    masked: linux.maskedPaths ?? [],
    readonly: out.readonly,
    sysctls,
    ...(spec.hostname !== undefined && hasUts ? { hostname: spec.hostname } : {}),
    ...(spec.domainname !== undefined && hasUts ? { domainname: spec.domainname } : {}),
    cwd: p.cwd,
    command: p.args,
    initMode: o.initMode === 'exec' ? 'exec' : p.terminal ? 'pid1-tty' : 'pid1',
    env: p.env ?? [],
    creds: credsRecord(p, { keyring: o.keyring, personality: linux.personality ? (linux.personality.domain === 'LINUX32' ? 8 : 0) : -1, seccomp: o.seccomp, lastCap: o.lastCap }),
    tty: p.terminal ?? false,
    ...(p.consoleSize ? { ttyRows: p.consoleSize.height, ttyCols: p.consoleSize.width } : {}),
    stdio: o.stdio,
    preserveFds: o.preserveFds ?? 0,
    // a network namespace of its own has only a down lo: bring it up (a joined one is the owner's)
    loopbackUp: (cloneFlags & CLONE.NEWNET) !== 0,
    ...(o.netConfig ? { netConfig: o.netConfig } : {}),
    dieWithParent: o.dieWithParent,
    cgroupFd: o.cgroupFd,
    ...(o.cgroupTasks?.length ? { cgroupTasks: o.cgroupTasks } : {}),
    initPath: o.initPath,
    ...(o.execFifo ? { execFifo: o.execFifo } : {}),
    ...(childHooks
      ? { hooks: { createContainer: hookRecords(spec.hooks?.createContainer), startContainer: hookRecords(spec.hooks?.startContainer) } }
      : {}),
    explainFd: o.explainFd,
    ...(o.explainNames?.length ? { explainNames: o.explainNames } : {}),
    ...(o.pauseSteps ? { pauseSteps: true } : {}),
  };
}

export interface EnterOptions {
  pid: number;
  nsFlags: number;
  stdio: [number, number, number];
  detach: boolean;
  preserveFds?: number;
  cgroupFd: number;
  cgroupProcs: string[];
  explainFd: number;
  initPath: string;
  keyring?: string;
  seccomp?: { filter: Buffer; flags: number };
  lastCap: number;
}

/** A process to run in a running container (`exec`, `minictr-oci exec --process`). */
export function toEnterRecord(p: OciProcess, o: EnterOptions): EnterRecord {
  return {
    pid: o.pid,
    nsFlags: o.nsFlags,
    command: p.args,
    env: p.env ?? [],
    cwd: p.cwd,
    creds: credsRecord(p, { keyring: o.keyring, personality: -1, seccomp: o.seccomp, lastCap: o.lastCap }),
    tty: p.terminal ?? false,
    stdio: o.stdio,
    detach: o.detach,
    preserveFds: o.preserveFds ?? 0,
    cgroupFd: o.cgroupFd,
    cgroupProcs: o.cgroupProcs,
    explainFd: o.explainFd,
    initPath: o.initPath,
  };
}
