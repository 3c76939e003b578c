/**
 * The TypeScript <-> C contract, TypeScript half: the records the addon's spawn(), enter()
 * and idmappedOverlay() take. native/src/contract.c reads them with the same field lists and refuses a key that is
 * unknown, missing or mistyped; test/unit/native-contract.test.ts holds the two together.
 * Only src/runtime/native-spec.ts builds these records (from an OCI spec).
 */

export interface SpawnRecord {
  /** CLONE_NEW* made by clone() */
  cloneFlags: number;
  /** unshare the cgroup namespace after the parent placed the child in its cgroup */
  unshareCgroupns: boolean;
  /** existing namespaces joined with setns() after clone (net, ipc, uts, cgroup) */
  joinNamespaces: NamespaceJoinRecord[];
  rootfs: string;
  /** overlay mount options; absent: rootfs is used as it is (bound onto itself) */
  overlay?: string;
  /** the root arrives with "go" as a mount (start()'s rootFd: the overlay of idmapped layers
   * idmappedOverlay() made) and is attached at rootfs; overlay must then be absent */
  rootFromParent: boolean;
  rootReadonly: boolean;
  /** MS_* propagation for / after pivot_root; 0: private */
  rootPropagation: number;
  noPivot: boolean;
  mounts: MountRecord[];
  devices: DeviceRecord[];
  symlinks: SymlinkRecord[];
  masked: string[];
  readonly: string[];
  sysctls: SysctlRecord[];
  hostname?: string;
  domainname?: string;
  cwd: string;
  /** the command; run through minictr-init (from a sealed memfd) as initMode says */
  command: string[];
  /** pid1: init is PID 1 and runs the command as its child; exec: init execs the command */
  initMode: 'pid1' | 'pid1-tty' | 'exec';
  env: string[];
  creds: CredsRecord;
  tty: boolean;
  ttyRows?: number;
  ttyCols?: number;
  stdio: [number, number, number];
  /** fds 3 .. 3+N-1 stay open in the container */
  preserveFds: number;
  loopbackUp: boolean;
  /** give eth0 (created by the host side in our netns) an address and a default route */
  netConfig?: NetConfigRecord;
  dieWithParent: boolean;
  cgroupFd: number;
  /** v1 `tasks` files the child writes "0" to before its other steps (it joins itself) */
  cgroupTasks?: string[];
  initPath: string;
  /** OCI create: the child reports ready, then waits until this fifo is opened (start) */
  execFifo?: string;
  /** OCI createContainer/startContainer hooks, run by the child */
  hooks?: ChildHooksRecord;
  explainFd: number;
  /** explain lines write these values as $name (sorted longest first; src/util/explain.ts) */
  explainNames?: ExplainNameRecord[];
  /** run --step: the child stops before each of its steps (PAUSE_POINTS) until resume() */
  pauseSteps?: boolean;
  /** run -d: the container's parent becomes minictr-monitor, which logs and records the exit */
  detach?: DetachRecord;
}

/** In explain output, value (a long path) is written $name. */
export interface ExplainNameRecord {
  name: string;
  value: string;
}

/**
 * run --step: the steps the child stops before, in its order, as native/src/minictr.h's enum
 * ctr_pause names them (the child sends the name, then waits for resume()).
 */
export const PAUSE_POINTS = ['rootfs', 'pivot_root', 'hostname', 'network', 'creds', 'exec'] as const;
export type PausePoint = (typeof PAUSE_POINTS)[number];

export interface CredsRecord {
  bounding: number[];
  effective: number[];
  permitted: number[];
  inheritable: number[];
  ambient: number[];
  uid: number;
  gid: number;
  groups: number[];
  /** -1: leave */
  umask: number;
  noNewPrivs: boolean;
  rlimits: RlimitRecord[];
  /** join a new session keyring of this name */
  keyring?: string;
  /** -1: leave */
  personality: number;
  seccomp?: { filter: Buffer; flags: number };
}

export interface RlimitRecord {
  resource: number;
  soft: number;
  hard: number;
}

export interface NamespaceJoinRecord {
  type: number;
  path: string;
}

export interface MountRecord {
  source: string;
  /** path inside the container; resolved inside the new root, never on the host */
  target: string;
  fstype: string;
  flags: number;
  propagation: number;
  data?: string;
  /** the mount point is a file (bind of a file), not a directory */
  file: boolean;
  /** OCI tmpcopyup: the new tmpfs starts with a copy of the directory it covers */
  copyUp: boolean;
}

export interface DeviceRecord {
  path: string;
  /** S_IFCHR/S_IFBLK/S_IFIFO | permissions */
  mode: number;
  major: number;
  minor: number;
  uid: number;
  gid: number;
}

export interface SymlinkRecord {
  target: string;
  path: string;
}

export interface SysctlRecord {
  key: string;
  value: string;
}

export interface NetConfigRecord {
  ifname: string;
  address: string;
  prefix: number;
  gateway?: string;
}

export interface HookRecord {
  path: string;
  args: string[];
  env: string[];
  timeout: number;
}

/** The state JSON the hooks read on stdin is sent with "go" (start()), once the pid is known. */
export interface ChildHooksRecord {
  createContainer: HookRecord[];
  startContainer: HookRecord[];
}

export interface DetachRecord {
  monitorPath: string;
  logPath: string;
  exitPath: string;
  /** argv the monitor execs once the container has exited (run -d --rm) */
  onExit?: string[];
  /** -di: the container's stdin is a pipe the monitor keeps open */
  keepStdin: boolean;
  /** --health-cmd: argv the monitor runs every healthIntervalMs while the container runs
   * (`minictr health-probe ID`, which runs the check and records it) */
  healthProbe?: string[];
  healthIntervalMs?: number;
}

export interface EnterRecord {
  pid: number;
  nsFlags: number;
  command: string[];
  env: string[];
  cwd?: string;
  /** absent: keep the caller's (tests) */
  creds?: CredsRecord;
  tty: boolean;
  stdio: [number, number, number];
  /** the middle process exits once the command runs: the caller's subreaper adopts it */
  detach: boolean;
  preserveFds: number;
  cgroupFd: number;
  cgroupProcs: string[];
  explainFd: number;
  initPath: string;
}

/** --userns=remap: the overlay of idmapped layers a helper makes outside the container's user
 * namespace (native/src/idmap.c), once the child's id maps are written. */
export interface IdmapRecord {
  /** the container's child: its user namespace is the mapping */
  pid: number;
  /** lowerdirs, top first */
  layers: string[];
  upperdir: string;
  workdir: string;
  /** the container's root dir: the helper mounts the overlay there, in its namespace only, to clone it */
  rootfs: string;
  explainFd: number;
}

/** One device rule as the cgroup v2 eBPF program is built from it (native/src/addon-devices.c),
 * every field given: src/cgroup/devices.ts checks and fills them in. */
export interface DeviceRuleRecord {
  allow: boolean;
  /** a: char and block devices, b: block, c: char */
  type: 'a' | 'b' | 'c';
  /** -1: any */
  major: number;
  /** -1: any */
  minor: number;
  /** some of r, w, m */
  access: string;
}
