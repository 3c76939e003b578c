/**
 * `run`'s security flags, with Docker's meaning, checked before anything is made:
 *   --cap-add / --cap-drop CAP|ALL     the capability set (from Docker's default 14)
 *   --privileged                       every capability minictr holds, no seccomp filter, every
 *                                      device, no masked or read-only paths, /sys writable
 *   --read-only                        root.readonly (/dev, /dev/shm, --tmpfs, volumes stay writable)
 *   --security-opt seccomp=unconfined|FILE, no-new-privileges[=true|false],
 *                  systempaths=unconfined (no masked or read-only /proc and /sys paths)
 *   --ulimit NAME=SOFT[:HARD]          an rlimit; never above this process's hard limit
 *   --sysctl KEY=VALUE                 a namespaced sysctl only (src/spec/sysctl.ts)
 *   --oom-score-adj N, --shm-size SIZE, --group-add GROUP
 *   --device HOST[:CONTAINER][:rwm]    the node in the container and a device cgroup rule
 * The result, a SecurityConfig, is kept with the container (store.ts) and becomes part of
 * its OCI spec at every start (security-spec.ts). What this process holds (capabilities,
 * hard limits) comes in as HostSecurityFacts, so a bad value is refused with one line here
 * instead of failing half-way through a start.
 */
import { statSync } from 'node:fs';
import { isAbsolute, normalize, resolve } from 'node:path';
import { parseBytes } from '../cgroup/limits.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { NetworkMode } from '../network/container/mode.js';
import { readSeccompFile } from '../security/docker-profile.js';
import { checkNamespacedSysctl } from '../spec/sysctl.js';
import { normalizeCapability, type CapabilityName } from './capabilities.js';
import { deviceNumbers, type HostSecurityFacts } from './host-facts.js';

/** The flags as typed (commander's strings). */
export interface SecurityFlags {
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  readOnly?: boolean;
  securityOpt?: string[];
  ulimit?: string[];
  sysctl?: string[];
  oomScoreAdj?: string;
  shmSize?: string;
  groupAdd?: string[];
  device?: string[];
}

export type SeccompChoice =
  | { mode: 'default' }
  | { mode: 'unconfined' }
  /** the file's JSON as it was when the container was created (Docker keeps it too) */
  | { mode: 'file'; path: string; profile: unknown };

export interface Ulimit {
  /** RLIMIT_NOFILE, ... */
  type: string;
  /** -1: unlimited */
  soft: number;
  hard: number;
}

export interface DeviceMapping {
  /** the host's node, and where the container gets it */
  hostPath: string;
  path: string;
  type: 'b' | 'c';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
  /** the device cgroup rule: some of r, w, m */
  access: string;
}

export interface SecurityConfig {
  privileged: boolean;
  /** capability names without CAP_, or ALL */
  capAdd: string[];
  capDrop: string[];
  readOnly: boolean;
  seccomp: SeccompChoice;
  noNewPrivileges: boolean;
  /** systempaths=unconfined: no masked or read-only paths */
  unmaskedPaths: boolean;
  ulimits: Ulimit[];
  sysctls: Record<string, string>;
  oomScoreAdj?: number;
  /** bytes */
  shmSize?: number;
  /** group names or numbers, looked up in the container's /etc/group at start */
  groupAdd: string[];
  devices: DeviceMapping[];
}

/** What a container has without any security flag (and what one created before them gets). */
export const DEFAULT_SECURITY: Readonly<SecurityConfig> = Object.freeze<SecurityConfig>({
  privileged: false,
  capAdd: [],
  capDrop: [],
  readOnly: false,
  seccomp: { mode: 'default' },
  noNewPrivileges: true,
  unmaskedPaths: false,
  ulimits: [],
  sysctls: {},
  groupAdd: [],
  devices: [],
});

/** --ulimit's names (Docker's), as setrlimit(2) names them */
export const ULIMIT_NAMES: Record<string, string> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME',
  sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK', as: 'RLIMIT_AS',
};

function capabilityList(flag: string, names: string[], held: readonly CapabilityName[]): string[] {
  return names.map((raw) => {
    const n = normalizeCapability(raw);
    if (n === undefined) throw new UsageError(`invalid ${flag} "${raw}": no such capability (see capabilities(7); e.g. NET_ADMIN, SYS_ADMIN, or ALL)`);
    if (flag === '--cap-add' && n !== 'ALL' && !held.includes(n)) {
      throw new UsageError(`invalid --cap-add ${raw}: minictr itself does not hold CAP_${n}, so no container it starts can have it`);
    }
    return n;
  });
}

const limitValue = (v: string): number | undefined => (v === 'unlimited' || v === '-1' ? -1 : /^\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : undefined);
/** -1 (unlimited) is the largest */
const above = (a: number, b: number): boolean => b !== -1 && (a === -1 || a > b);

/** --ulimit NAME=SOFT[:HARD] (HARD defaults to SOFT, as Docker's). */
export function parseUlimit(spec: string, host: Pick<HostSecurityFacts, 'hardLimits' | 'heldCaps'>): Ulimit {
  const m = /^([a-z]+)=([^:]+)(?::(.+))?$/.exec(spec);
  const bad = (why: string): never => {
    throw new UsageError(`invalid --ulimit "${spec}": ${why}`);
  };
  if (!m) return bad('expected NAME=SOFT[:HARD], e.g. nofile=1024:2048');
  const type = ULIMIT_NAMES[m[1]!] ?? bad(`unknown limit "${m[1]}" (one of ${Object.keys(ULIMIT_NAMES).join(', ')})`);
  const soft = limitValue(m[2]!) ?? bad(`"${m[2]}" is not a number (or unlimited)`);
  const hard = m[3] === undefined ? soft : (limitValue(m[3]) ?? bad(`"${m[3]}" is not a number (or unlimited)`));
  if (above(soft, hard)) bad(`the soft limit ${m[2]} is above the hard limit ${m[3] ?? m[2]}`);
  const ours = host.hardLimits[type];
  if (ours !== undefined && above(hard, ours) && !host.heldCaps.includes('SYS_RESOURCE')) {
    bad(`the hard limit ${hard === -1 ? 'unlimited' : hard} is above minictr's own (${ours}) for ${type}, and raising it needs CAP_SYS_RESOURCE, which minictr does not hold`);
  }
  return { type, soft, hard };
}

/** --device HOST[:CONTAINER][:PERMISSIONS], as Docker reads it. */
export function parseDevice(spec: string): DeviceMapping {
  const parts = spec.split(':');
  const bad = (why: string): never => {
    throw new UsageError(`invalid --device "${spec}": ${why}`);
  };
  const perms = (p: string): boolean => /^[rwm]{1,3}$/.test(p) && new Set(p).size === p.length;
  let [hostPath, path, access] = [parts[0]!, parts[0]!, 'rwm'];
  if (parts.length === 3) [hostPath, path, access] = parts as [string, string, string];
  else if (parts.length === 2) {
    if (perms(parts[1]!)) access = parts[1]!;
    else path = parts[1]!;
  } else if (parts.length !== 1) bad('expected HOST[:CONTAINER][:PERMISSIONS]');
  if (!hostPath || !isAbsolute(hostPath)) bad('the host path must be absolute');
  if (!perms(access)) bad(`permissions "${access}" must be some of r (read), w (write) and m (mknod)`);
  let st;
  try {
    st = statSync(hostPath);
  } catch {
    throw new NotFoundError(`--device ${hostPath}: no such device on the host`);
  }
  if (st.isDirectory()) bad(`${hostPath} is a directory: name its device nodes one by one`);
  if (!st.isCharacterDevice() && !st.isBlockDevice()) bad(`${hostPath} is not a device node`);
  if (!path || !isAbsolute(path)) bad('the container path must be absolute');
  if (!normalize(path).startsWith('/dev/')) bad('the container path must be below /dev');
  return { hostPath, path: normalize(path), type: st.isBlockDevice() ? 'b' : 'c', ...deviceNumbers(st.rdev), fileMode: st.mode & 0o777, uid: st.uid, gid: st.gid, access };
}

/** --sysctl KEY=VALUE: only the container's own namespaces' (net.* needs a network of its own). */
export function parseSysctl(spec: string, network: NetworkMode): [string, string] {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`invalid --sysctl "${spec}": expected KEY=VALUE`);
  const ownNet = network.kind !== 'host' && network.kind !== 'container' && network.kind !== 'netns';
  return [checkNamespacedSysctl(spec.slice(0, eq), { net: ownNet, ipc: true, uts: true }, '--sysctl'), spec.slice(eq + 1)];
}

function parseSecurityOpt(spec: string, into: SecurityConfig): void {
  const m = /^([a-z-]+)(?:[=:](.*))?$/.exec(spec);
  const [key, value] = [m?.[1], m?.[2]];
  if (key === 'seccomp' && value) {
    if (value === 'unconfined') into.seccomp = { mode: 'unconfined' };
    else {
      const path = resolve(value);
      into.seccomp = { mode: 'file', path, profile: readSeccompFile(path) };
    }
    return;
  }
  if (key === 'no-new-privileges' && (value === undefined || value === 'true' || value === 'false')) {
    into.noNewPrivileges = value !== 'false';
    return;
  }
  if (key === 'systempaths' && value === 'unconfined') {
    into.unmaskedPaths = true;
    return;
  }
  if (key === 'apparmor' || key === 'label') throw new UsageError(`--security-opt ${spec}: not supported: minictr applies no ${key === 'label' ? 'SELinux labels' : 'AppArmor profiles'}`);
  throw new UsageError(`invalid --security-opt "${spec}": expected seccomp=unconfined|FILE, no-new-privileges[=true|false] or systempaths=unconfined`);
}

/** Every security flag checked (a seccomp=FILE profile is read here, and judged by the caller
 * once the capabilities it is converted for are known). */
export function parseSecurityFlags(f: SecurityFlags, network: NetworkMode, host: HostSecurityFacts, oomAllowed: (v: number) => boolean): SecurityConfig {
  const out: SecurityConfig = { ...DEFAULT_SECURITY, seccomp: { mode: 'default' }, ulimits: [], sysctls: {}, groupAdd: [], devices: [] };
  out.privileged = f.privileged ?? false;
  out.readOnly = f.readOnly ?? false;
  out.capAdd = capabilityList('--cap-add', f.capAdd ?? [], host.heldCaps);
  out.capDrop = capabilityList('--cap-drop', f.capDrop ?? [], host.heldCaps);
  for (const o of f.securityOpt ?? []) parseSecurityOpt(o, out);
  for (const u of f.ulimit ?? []) {
    const l = parseUlimit(u, host);
    out.ulimits = [...out.ulimits.filter((x) => x.type !== l.type), l];
  }
  for (const s of f.sysctl ?? []) {
    const [k, v] = parseSysctl(s, network);
    out.sysctls[k] = v;
  }
  if (f.oomScoreAdj !== undefined) {
    const v = f.oomScoreAdj.trim();
    if (!/^-?\d+$/.test(v) || Number(v) < -1000 || Number(v) > 1000) throw new UsageError(`invalid --oom-score-adj "${f.oomScoreAdj}": an integer from -1000 to 1000`);
    if (!oomAllowed(Number(v))) throw new UsageError(`invalid --oom-score-adj ${v}: lowering it below minictr's own needs CAP_SYS_RESOURCE, which minictr does not hold`);
    out.oomScoreAdj = Number(v);
  }
  if (f.shmSize !== undefined) {
    out.shmSize = parseBytes('--shm-size', f.shmSize);
    if (out.shmSize < 1) throw new UsageError(`invalid --shm-size "${f.shmSize}": must be more than 0`);
  }
  for (const g of f.groupAdd ?? []) {
    if (!/^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/.test(g) || (/^\d+$/.test(g) && Number(g) > 0xfffffffe)) throw new UsageError(`invalid --group-add "${g}": a group name or number`);
    out.groupAdd.push(g);
  }
  out.devices = (f.device ?? []).map(parseDevice);
  return out;
}

/** The SecurityOpt strings Docker's inspect shows for this config. */
export function securityOptStrings(s: SecurityConfig): string[] {
  return [
    ...(s.seccomp.mode === 'unconfined' ? ['seccomp=unconfined'] : s.seccomp.mode === 'file' ? [`seccomp=${s.seccomp.path}`] : []),
    ...(s.noNewPrivileges ? [] : ['no-new-privileges=false']),
    ...(s.unmaskedPaths ? ['systempaths=unconfined'] : []),
  ];
}

/** What is wrong with a stored SecurityConfig (the container's record, store.ts), or
 * undefined: a record that a crash or a hand edit broke is reported, never started with
 * capabilities or devices nobody asked for. */
export function securityConfigProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  const s = v as Record<string, unknown>;
  const strings = (x: unknown): boolean => Array.isArray(x) && x.every((e) => typeof e === 'string');
  const int = (x: unknown): boolean => Number.isSafeInteger(x);
  for (const k of ['privileged', 'readOnly', 'noNewPrivileges', 'unmaskedPaths']) {
    if (typeof s[k] !== 'boolean') return `${k} is not true or false`;
  }
  for (const k of ['capAdd', 'capDrop', 'groupAdd']) if (!strings(s[k])) return `${k} is not a list of strings`;
  const badCap = [...(s.capAdd as string[]), ...(s.capDrop as string[])].find((c) => normalizeCapability(c) !== c);
  if (badCap !== undefined) return `${JSON.stringify(badCap)} is not a capability`;
  const sc = s.seccomp as Record<string, unknown> | null | undefined;
  if (typeof sc !== 'object' || sc === null) return 'seccomp is not an object';
  if (sc.mode !== 'default' && sc.mode !== 'unconfined' && !(sc.mode === 'file' && typeof sc.path === 'string' && 'profile' in sc)) {
    return `seccomp ${JSON.stringify(sc.mode)} is not default, unconfined or a file with its profile`;
  }
  const knownLimits = Object.values(ULIMIT_NAMES);
  const limit = (x: unknown): boolean => x === -1 || (int(x) && (x as number) >= 0);
  if (!Array.isArray(s.ulimits) || !s.ulimits.every((u: Record<string, unknown> | null) => u && knownLimits.includes(u.type as string) && limit(u.soft) && limit(u.hard))) {
    return 'ulimits is not a list of { type: RLIMIT_*, soft, hard }';
  }
  if (typeof s.sysctls !== 'object' || s.sysctls === null || Array.isArray(s.sysctls) || !Object.values(s.sysctls).every((x) => typeof x === 'string')) {
    return 'sysctls is not an object of strings';
  }
  if (s.oomScoreAdj !== undefined && !(int(s.oomScoreAdj) && Math.abs(s.oomScoreAdj as number) <= 1000)) return 'oomScoreAdj is not from -1000 to 1000';
  if (s.shmSize !== undefined && !(int(s.shmSize) && (s.shmSize as number) > 0)) return 'shmSize is not a positive number of bytes';
  const device = (d: Record<string, unknown> | null): boolean =>
    !!d && typeof d.hostPath === 'string' && isAbsolute(d.hostPath) && typeof d.path === 'string' && normalize(d.path).startsWith('/dev/')
    && (d.type === 'b' || d.type === 'c') && [d.major, d.minor, d.fileMode, d.uid, d.gid].every((n) => int(n) && (n as number) >= 0)
    && typeof d.access === 'string' && /^[rwm]{1,3}$/.test(d.access);
  if (!Array.isArray(s.devices) || !s.devices.every(device)) return 'devices is not a list of device nodes below /dev with r, w, m';
  return undefined;
}
