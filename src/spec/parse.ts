/**
 * Reading a config.json: every field is checked against what minictr carries out, before
 * anything is made. A field of the runtime-spec that minictr does not support is refused by
 * its path ("linux.intelRdt is not supported"), and so is a key the spec does not have: a
 * runtime that ignored either would run a container other than the one asked for.
 */
import { UsageError } from '../errors.js';
import type { OciResources, OciSeccomp, OciSpec } from './config.js';

/** A config.json minictr cannot carry out as written. */
export class SpecError extends UsageError {}

type Check = (v: unknown, path: string) => void;

const at = (p: string, k: string): string => (p ? `${p}.${k}` : k);

const kind = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v === 'number' ? `the number ${v}` : `a ${typeof v}`;
const bad = (path: string, what: string, v: unknown): never => {
  throw new SpecError(`${path}: expected ${what}, got ${kind(v)}`);
};

const str: Check = (v, p) => void (typeof v === 'string' || bad(p, 'a string', v));
const bool: Check = (v, p) => void (typeof v === 'boolean' || bad(p, 'a boolean', v));
const int: Check = (v, p) => void ((typeof v === 'number' && Number.isInteger(v)) || bad(p, 'an integer', v));
/** uint32 values (uids, gids, sizes) */
const uint: Check = (v, p) => void ((typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) || bad(p, 'an integer from 0 to 4294967295', v));
/** numbers as Go's JSON writes uint64/int64 (RLIM_INFINITY comes as 18446744073709551615) */
const num: Check = (v, p) => void ((typeof v === 'number' && Number.isFinite(v)) || bad(p, 'a number', v));
const absPath: Check = (v, p) => {
  str(v, p);
  if (!(v as string).startsWith('/')) throw new SpecError(`${p}: "${v as string}" is not an absolute path`);
  if ((v as string).includes('\0')) throw new SpecError(`${p}: holds a NUL byte`);
};
const arrayOf = (c: Check): Check => (v, p) => {
  if (!Array.isArray(v)) bad(p, 'an array', v);
  (v as unknown[]).forEach((e, i) => c(e, `${p}[${i}]`));
};
const record = (c: Check): Check => (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(p, 'an object', v);
  for (const [k, e] of Object.entries(v as object)) c(e, at(p, k));
};
const oneOf = (...values: string[]): Check => (v, p) => {
  if (typeof v !== 'string' || !values.includes(v)) throw new SpecError(`${p}: "${String(v)}" is not one of ${values.join(', ')}`);
};

/** A field minictr knows from the spec but does not do: refused unless it asks for nothing. */
const unsupported = (why: string): Check => (v, p) => {
  const empty = v === undefined || v === null || v === '' || v === false || v === 0 ||
    (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
  if (!empty) throw new SpecError(`${p} is not supported by minictr: ${why}`);
};

interface Fields {
  [key: string]: Check;
}

const object = (fields: Fields, required: string[] = []): Check => (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(p, 'an object', v);
  const o = v as Record<string, unknown>;
  // null is absent (as Go writes a nil pointer): for a required field too
  for (const r of required) if (o[r] === undefined || o[r] === null) throw new SpecError(`${at(p, r)} is required`);
  for (const [k, e] of Object.entries(o)) {
    const c = fields[k];
    if (!c) throw new SpecError(`${at(p, k)}: unknown field (known: ${Object.keys(fields).join(', ')})`);
    if (e !== undefined && e !== null) c(e, at(p, k));
  }
};

/** uint64 values: JSON numbers are exact up to 2^53; beyond that a bigint is needed */
const uint64: Check = (v, p) => {
  if (typeof v === 'bigint') {
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new SpecError(`${p}: must be 0 to 2^64-1`);
    return;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(p, 'a whole number from 0 to 2^64-1', v);
  if ((v as number) > Number.MAX_SAFE_INTEGER) throw new SpecError(`${p}: ${v as number} is above 2^53 and not exact as a number`);
};
const nonEmpty = (c: Check): Check => (v, p) => {
  c(v, p);
  if ((v as unknown[]).length === 0) throw new SpecError(`${p}: must list at least one`);
};
/** The shape of linux.seccomp; its names (actions, operators, architectures) are judged by
 * the compiler (src/security/seccomp.ts, libseccomp), which knows them. */
const seccompArg = object({ index: uint, value: uint64, valueTwo: uint64, op: str }, ['index', 'value', 'op']);
const seccomp = object({
  defaultAction: str, defaultErrnoRet: uint, architectures: arrayOf(str), flags: arrayOf(str),
  listenerPath: unsupported('seccomp notify listeners'), listenerMetadata: unsupported('seccomp notify listeners'),
  syscalls: arrayOf(object({ names: nonEmpty(arrayOf(str)), action: str, errnoRet: uint, args: arrayOf(seccompArg) }, ['names', 'action'])),
}, ['defaultAction']);

/** The checks of a whole config.json and of linux.resources, made on first use: a run
 * checks only its seccomp profile (parseSeccomp, above), and making these ~150 closures and
 * object literals at each run's start was ~1.2 M instructions (BENCHMARKS.md, "the run
 * module's start, counted by module"). */
let fullChecks: { spec: Check; resources: Check } | undefined;

function specChecks(): { spec: Check; resources: Check } {
  return (fullChecks ??= makeSpecChecks());
}

function makeSpecChecks(): { spec: Check; resources: Check } {
  const capList = arrayOf((v, p) => {
    str(v, p);
    if (!/^CAP_[A-Z_]+$/.test(v as string)) throw new SpecError(`${p}: "${v as string}" is not a capability name (CAP_...)`);
  });

  const hook = object({ path: absPath, args: arrayOf(str), env: arrayOf(str), timeout: (v, p) => {
    int(v, p);
    if ((v as number) < 1) throw new SpecError(`${p}: must be at least 1 second`);
  } }, ['path']);

  const idMapping = object({ containerID: uint, hostID: uint, size: uint }, ['containerID', 'hostID', 'size']);

  const deviceRule = object({
    allow: bool, type: oneOf('a', 'b', 'c'), major: int, minor: int, access: (v, p) => {
      str(v, p);
      if (!/^[rwm]*$/.test(v as string)) throw new SpecError(`${p}: "${v as string}" is not made of r, w and m`);
    },
  }, ['allow']);

  const resources = object({
    devices: arrayOf(deviceRule),
    memory: object({
      limit: num, reservation: num, swap: num, swappiness: unsupported('memory.swappiness'),
      kernel: unsupported('kernel memory limits are deprecated'), kernelTCP: unsupported('kernel TCP memory limits are deprecated'),
      disableOOMKiller: unsupported('the OOM killer cannot be disabled'), useHierarchy: bool, checkBeforeUpdate: bool,
    }),
    cpu: object({
      shares: num, quota: num, period: num, cpus: str, mems: str,
      burst: unsupported('cpu.max.burst'), realtimeRuntime: unsupported('realtime scheduling'),
      realtimePeriod: unsupported('realtime scheduling'), idle: unsupported('cpu.idle'),
    }),
    pids: object({ limit: num }, ['limit']),
    blockIO: unsupported('block I/O limits'),
    hugepageLimits: unsupported('hugepage limits'),
    network: unsupported('network class and priority'),
    rdma: unsupported('RDMA limits'),
    unified: record(str),
  });

  const linux = object({
    namespaces: arrayOf(object({ type: oneOf('pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'), path: absPath }, ['type'])),
    uidMappings: arrayOf(idMapping),
    gidMappings: arrayOf(idMapping),
    timeOffsets: unsupported('time namespaces'),
    devices: arrayOf(object({
      type: oneOf('c', 'b', 'u', 'p'), path: absPath, major: int, minor: int, fileMode: uint, uid: uint, gid: uint,
    }, ['type', 'path'])),
    resources,
    cgroupsPath: str,
    sysctl: record(str),
    maskedPaths: arrayOf(absPath),
    readonlyPaths: arrayOf(absPath),
    rootfsPropagation: oneOf('private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'),
    seccomp,
    personality: object({ domain: oneOf('LINUX', 'LINUX32'), flags: unsupported('personality flags') }, ['domain']),
    mountLabel: unsupported('SELinux labels'),
    intelRdt: unsupported('Intel RDT'),
    memoryPolicy: unsupported('NUMA memory policies'),
    netDevices: unsupported('moving network devices into the container'),
  });

  const processObject = object({
    terminal: bool,
    consoleSize: object({ height: uint, width: uint }, ['height', 'width']),
    user: object({ uid: uint, gid: uint, umask: uint, additionalGids: arrayOf(uint), username: unsupported('Windows users') }, ['uid', 'gid']),
    args: (v, p) => {
      arrayOf(str)(v, p);
      if ((v as string[]).length === 0) throw new SpecError(`${p}: the command is empty`);
    },
    commandLine: unsupported('Windows command lines'),
    env: arrayOf((v, p) => {
      str(v, p);
      if (!(v as string).includes('=')) throw new SpecError(`${p}: "${v as string}" is not KEY=VALUE`);
    }),
    cwd: absPath,
    capabilities: object({ bounding: capList, effective: capList, permitted: capList, inheritable: capList, ambient: capList }),
    rlimits: arrayOf(object({ type: str, soft: num, hard: num }, ['type', 'soft', 'hard'])),
    noNewPrivileges: bool,
    oomScoreAdj: (v, p) => {
      int(v, p);
      if ((v as number) < -1000 || (v as number) > 1000) throw new SpecError(`${p}: must be between -1000 and 1000`);
    },
    apparmorProfile: unsupported('AppArmor profiles (this runtime applies none)'),
    selinuxLabel: unsupported('SELinux labels'),
    scheduler: unsupported('scheduling policies'),
    ioPriority: unsupported('I/O priorities'),
    execCPUAffinity: unsupported('exec CPU affinity'),
  }, ['args', 'cwd', 'user']);

  const spec = object({
    ociVersion: (v, p) => {
      str(v, p);
      if (!/^1\.[0-2]\.\d+/.test(v as string)) throw new SpecError(`${p}: version "${v as string}" is not runtime-spec 1.0 to 1.2`);
    },
    process: processObject,
    root: object({ path: str, readonly: bool }, ['path']),
    hostname: str,
    domainname: str,
    mounts: arrayOf(object({
      destination: absPath, type: str, source: str, options: arrayOf(str),
      uidMappings: unsupported('idmapped mounts'), gidMappings: unsupported('idmapped mounts'),
    }, ['destination'])),
    hooks: object({
      prestart: arrayOf(hook), createRuntime: arrayOf(hook), createContainer: arrayOf(hook),
      startContainer: arrayOf(hook), poststart: arrayOf(hook), poststop: arrayOf(hook),
    }),
    annotations: record(str),
    linux,
    windows: unsupported('Windows containers'),
    solaris: unsupported('Solaris zones'),
    vm: unsupported('virtual-machine containers'),
    zos: unsupported('z/OS'),
  }, ['ociVersion']);

  return { spec, resources };
}

/** Check a parsed config.json completely; it is then an OciSpec minictr can carry out. */
export function parseSpec(json: unknown, where = 'config.json'): OciSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SpecError(`${where}: expected a JSON object`);
  try {
    specChecks().spec(json, '');
  } catch (err) {
    if (err instanceof UsageError) throw new SpecError(`${where}: ${err.message}`);
    throw err;
  }
  return json as OciSpec;
}

/** A linux.seccomp object alone (a profile file given on its own). */
export function parseSeccomp(json: unknown, where = 'linux.seccomp'): OciSeccomp {
  seccomp(json, where);
  return json as OciSeccomp;
}

/** `update --resources`: the linux.resources object alone. */
export function parseResources(json: unknown): OciResources {
  specChecks().resources(json, 'resources');
  return json as OciResources;
}
