/**
 * The OCI runtime-spec `config.json` (versions 1.0 to 1.2), as far as minictr carries it out.
 * One record describes every container: `minictr-oci` reads it from an engine's bundle, and
 * `minictr run` builds one (src/runtime/spec.ts). What a field means is the spec's
 * (https://github.com/opencontainers/runtime-spec/blob/main/config.md); which fields are
 * accepted is decided in ./parse.ts, which refuses the rest by name.
 */

export const OCI_VERSION = '1.2.0';

/** A container's PATH when its image sets none (Docker's and runc's). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface OciSpec {
  ociVersion: string;
  process?: OciProcess;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts?: OciMount[];
  hooks?: OciHooks;
  annotations?: Record<string, string>;
  linux?: OciLinux;
}

export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: OciUser;
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  /** refused: no AppArmor/SELinux support (parse.ts says so) */
  apparmorProfile?: string;
  selinuxLabel?: string;
}

export interface OciUser {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

export type CapabilitySet = 'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient';
export type OciCapabilities = Partial<Record<CapabilitySet, string[]>>;

export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export type HookName = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';
export type OciHooks = Partial<Record<HookName, OciHook[]>>;

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface OciNamespace {
  type: NamespaceType;
  /** join this namespace (a /proc/PID/ns/X or bind-mounted file) instead of making one */
  path?: string;
}

export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciDevice {
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciResources {
  devices?: OciDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; swappiness?: number; disableOOMKiller?: boolean; kernel?: number; kernelTCP?: number; useHierarchy?: boolean; checkBeforeUpdate?: boolean };
  cpu?: { shares?: number; quota?: number; burst?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number; cpus?: string; mems?: string; idle?: number };
  pids?: { limit: number };
  blockIO?: Record<string, unknown>;
  hugepageLimits?: { pageSize: string; limit: number }[];
  network?: Record<string, unknown>;
  rdma?: Record<string, unknown>;
  /** cgroup v2 files by name, e.g. {"memory.high": "64M"} */
  unified?: Record<string, string>;
}

export type OciSeccompAction =
  | 'SCMP_ACT_KILL' // = SCMP_ACT_KILL_THREAD
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY'; // refused: minictr has no seccomp listener

export type OciSeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export type OciSeccompFlag = 'SECCOMP_FILTER_FLAG_TSYNC' | 'SECCOMP_FILTER_FLAG_LOG' | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW';

/** One comparison of a syscall argument; MASKED_EQ: (arg & value) == valueTwo. */
export interface OciSeccompArg {
  /** which argument, 0 to 5 */
  index: number;
  /** a uint64: numbers are exact up to 2^53, larger values need a bigint */
  value: number | bigint;
  valueTwo?: number | bigint;
  op: OciSeccompOperator;
}

export interface OciSeccompSyscall {
  names: string[];
  action: OciSeccompAction;
  /** SCMP_ACT_ERRNO: the errno returned (default EPERM); SCMP_ACT_TRACE: the value the tracer sees */
  errnoRet?: number;
  /** all must hold (AND); two on the same argument become one rule each (OR), as in runc */
  args?: OciSeccompArg[];
}

export interface OciSeccomp {
  defaultAction: OciSeccompAction;
  defaultErrnoRet?: number;
  /** e.g. SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32; this machine's own is always in */
  architectures?: string[];
  flags?: OciSeccompFlag[];
  /** for SCMP_ACT_NOTIFY, which minictr does not support: must be absent or empty */
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSeccompSyscall[];
}

export interface OciLinux {
  namespaces?: OciNamespace[];
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  devices?: OciDevice[];
  resources?: OciResources;
  cgroupsPath?: string;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  rootfsPropagation?: string;
  seccomp?: OciSeccomp;
  personality?: { domain: string; flags?: string[] };
  mountLabel?: string;
}

/** The state a runtime reports (`minictr-oci state`) and gives hooks on stdin. */
export interface OciState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped' | 'paused';
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}
