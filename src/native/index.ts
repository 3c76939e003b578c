/**
 * The C addon (native/), loaded lazily with typed boundaries. Everything from clone() to
 * execve() happens in C; this module only describes what to do.
 */
import { join } from 'node:path';
import { besideModule } from '../util/module-path.js';
import { profileMark } from '../util/profile.js';
import type { DeviceRuleRecord, EnterRecord, IdmapRecord, SpawnRecord } from './contract.js';

export type * from './contract.js';
export { PAUSE_POINTS } from './contract.js';

const BUILD_DIR = besideModule(import.meta.url, '..', '..', 'build', 'Release');

/** Linux clone flags (include/uapi/linux/sched.h). */
export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

/** mount(2) flags (include/uapi/linux/mount.h). */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  REMOUNT: 32,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 1 << 15,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  SYNCHRONOUS: 16,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

/** start()'s answer: the child exec'd (syncFd is closed), or (run --step, pauseSteps) it
 * stopped before a step of its own and waits for resume(syncFd). */
export interface StartResult {
  ptyMaster: number;
  paused?: string;
}

export interface WaitResult {
  exitCode: number;
  signal?: number;
}

/** A failed kernel step in the child or parent: `step` like "pivot_root(/x)", errno number. */
export interface NativeStepError extends Error {
  step: string;
  errno: number;
}

export function isStepError(e: unknown): e is NativeStepError {
  return e instanceof Error && typeof (e as Partial<NativeStepError>).step === 'string';
}

/** compileSeccomp's result: the BPF program (struct sock_filter[]) with what seccomp() needs. */
export type NativeSeccompFilter = Buffer & {
  /** SECCOMP_FILTER_FLAG_* word for seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) */
  flags: number;
  /** distinct syscalls of this machine's architecture that got an ALLOW rule */
  allowed: number;
};

/** A file type as lstat(2) tells it. */
export type FileType = 'file' | 'directory' | 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device' | 'unknown';

/** readFileInRoot's answer (native/src/addon-files.c). */
export type RootFileRead =
  | { kind: 'file'; data: Buffer }
  /** ENOENT, or a parent is not a directory */
  | { kind: 'missing' }
  /** refused before it was opened for reading: a FIFO, a device, a directory... */
  | { kind: 'not-regular'; type: FileType }
  | { kind: 'too-large'; size: number };

/** lstatInRoot's answer: the entry itself, its last component not followed. */
export interface RootEntry {
  type: FileType;
  /** device numbers (0 for anything but a device: a char device 0:0 is an overlay whiteout) */
  major: number;
  minor: number;
  /** a directory whose trusted.overlay.opaque is "y" (hides the lower layers' content) */
  opaque: boolean;
  /** a symlink's target, as written */
  target?: string;
}

export interface NativeAddon {
  /** a container's child, waiting for start() (a record with detach goes to spawnDetached) */
  spawn(spec: SpawnRecord): { pid: number; syncFd: number; intoCgroup: boolean; ctlFd: number };
  /** `run -d` (--replicas N): the containers of these records (each with its detach part)
   * cloned under one minictr-monitor, in the records' order; ctlFd: the socket to hand it the
   * pty masters (sendFd with the container's index). A failure leaves none of them. */
  spawnDetached(specs: SpawnRecord[]): { ctlFd: number; children: { pid: number; syncFd: number; intoCgroup: boolean }[] };
  /** hand the monitor on socket the pty master of its container number index (default 0) */
  sendFd(socket: number, fd: number, index?: number): void;
  /** release the child (state: the JSON its hooks read; rootFd: its root, with
   * rootFromParent); returns once it exec'd (or, with execFifo, is ready) */
  start(syncFd: number, state?: string, rootFd?: number): StartResult;
  /** run --step: let a child that paused (start() or resume() said paused) go on */
  resume(syncFd: number): StartResult;
  /** --userns=remap: the child's root, an overlay of idmapped layers made by a helper in a
   * mount namespace of its own (node's never changes): a detached mount, for start() */
  idmappedOverlay(record: IdmapRecord): { mountFd: number };
  /** error, errorStep, errno: a step of the child failed (it exits; the caller reaps it) */
  enter(spec: EnterRecord): { pid: number; innerPid: number; ptyMaster: number; error?: string; errorStep?: string; errno?: number };
  wait(pid: number): Promise<WaitResult>;
  setWinsize(fd: number, rows: number, cols: number): void;
  close(fd: number): void;
  /** Compile an OCI linux.seccomp object with libseccomp, in this process (no side effects).
   *  Throws a one-line Error naming the field; code 'ERR_SECCOMP_PROFILE' when the profile is at fault.
   *  short false: libseccomp's program as it writes it, without the range fast path
   *  (native/src/seccomp-short.c), for the tests that compare the two. */
  compileSeccomp(profile: object, short?: boolean): NativeSeccompFilter;
  // Probes acting on the calling process, for the seccomp tests (test/seccomp.test.ts) run
  // in a throwaway child process: never called by the minictr CLI itself.
  unshare(flags: number): void;
  sethostname(name: string): void;
  mkfifo(path: string, mode: number): void;
  /** connect to a unix socket and send fd (SCM_RIGHTS) with the pty's name; no reply awaited */
  sendFdToSocket(path: string, fd: number): void;
  /** native/src/contract.c's field lists ("key?" when optional), for the contract test */
  contract(): Record<string, string[]>;
  /** no_new_privs, then load the filter into the calling thread (every thread with TSYNC): tests only */
  seccompLoad(filter: Buffer, flags: number): void;
  /** cgroup v2 device allowlist (native/src/devices.c): build an eBPF program from the rules,
   * load it and attach it to the cgroup2 directory (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), in
   * place of the one minictr attached there before (replaced: true; atomic, BPF_F_REPLACE).
   * id: the kernel's program id (bpftool prog show id N). Rules must be checked first
   * (validateDeviceRules in src/cgroup/devices.ts); bad ones throw a TypeError. */
  attachDeviceFilter(cgroupDir: string, rules: DeviceRuleRecord[]): { instructions: number; id: number; replaced: boolean };
  /** Detach every device filter minictr attached to the cgroup2 directory (others stay). */
  detachDeviceFilter(cgroupDir: string): { detached: number };
  /** Read a file of a container or an image from the host: path is resolved as if root were
   * "/" (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS; root may be /proc/PID/root), only a
   * regular file is opened, at most maxBytes are read. Other failures throw a NativeStepError. */
  readFileInRoot(root: string, path: string, maxBytes: number): RootFileRead;
  /** lstat of path resolved inside root (undefined: missing), with its overlay attributes. */
  lstatInRoot(root: string, path: string): RootEntry | undefined;
  /** Run a program of per-namespace operations (src/network/host/netns-ops.ts) in a forked C
   *  child; rejects with an Error carrying step, errno, op (the failed one's index) and reason. */
  netnsApply(program: Buffer, how?: 'inplace'): Promise<void>;
  /** A --rm run's cleaner (native/src/cleaner.c): one detached C process, in a session of its
   *  own, that runs program (of the host's namespace: a port's release) and then removes dir
   *  without following a symlink or crossing a mount. Returns once it is started; what it
   *  fails is not reported (the next command's sweeps find what it left). */
  cleanAfterExit(program: Buffer | null, dir: string | null): void;
  /** SHA-256 as 64 hex digits (a string is hashed as UTF-8): native/src/sha256.c, for the
   *  seccomp cache without node:crypto. */
  sha256Hex(data: Buffer | string): string;
  /** Each namespace's loopback facts (src/network/host/netns-ops.ts), or the errno of one that
   *  cannot be entered; one forked C child for all. */
  netnsInspect(paths: string[]): Promise<({ links: number; loUp: boolean; loAlias: string; loAddresses: number } | { errno: number })[]>;
}

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (!addon) {
    profileMark('before-addon');
    // process.dlopen, not createRequire: node:module would load node's ESM loader on every run
    const mod = { exports: {} };
    process.dlopen(mod, addonPath());
    addon = mod.exports as NativeAddon;
    // for bin/run-bundle.js's exit (exitNow), which runs outside the bundle
    (globalThis as Record<symbol, unknown>)[Symbol.for('minictr.native')] = addon;
    profileMark('addon-loaded');
  }
  return addon;
}

/** The addon's file (its identity keys the seccomp cache: src/security/seccomp-cache.ts). */
export function addonPath(): string {
  return join(BUILD_DIR, 'minictr_native.node');
}

/** minictr-monitor, the static keeper of a detached container. */
export function monitorBinaryPath(): string {
  return join(BUILD_DIR, 'minictr-monitor');
}

/** minictr-netwatch, the static listener to namespaces the host has no nsid for (src/view/watch.ts). */
export function netwatchBinaryPath(): string {
  return join(BUILD_DIR, 'minictr-netwatch');
}

/** The static init binary built next to the addon; exec'd from a sealed memfd as PID 1. */
export function initBinaryPath(): string {
  return join(BUILD_DIR, 'minictr-init');
}
