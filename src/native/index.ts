/**
 * The C addon (native/), loaded lazily with typed boundaries. Everything from clone() to
 * execve() happens in C; this module only describes what to do.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { DeviceRule } from '../cgroup/devices.js';

const BUILD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'Release');

/** Linux clone flags (include/uapi/linux/sched.h). */
export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
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
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
} as const;

export const MNT_DETACH = 2;

export interface NativeMount {
  source: string;
  /** path inside the container; resolved inside the new root, never on the host */
  target: string;
  fstype?: string;
  flags: number;
  data?: string;
  /** the mount point is a file (bind of a file), not a directory */
  file?: boolean;
}

export interface NativeDevice {
  path: string;
  mode: number; // S_IFCHR | perms
  major: number;
  minor: number;
}

export interface NativeSymlink {
  target: string;
  path: string;
}

export interface NativeSpawnSpec {
  cloneFlags: number;
  unshareCgroupns: boolean;
  rootfs: string;
  /** overlay mount options; absent: rootfs is used as it is (bind-mounted onto itself) */
  overlay?: string;
  mounts: NativeMount[];
  devices: NativeDevice[];
  symlinks: NativeSymlink[];
  masked: string[];
  readonly: string[];
  hostname?: string;
  cwd: string;
  /** argv of minictr-init: ['minictr-init', ('--tty')?, '--', cmd, ...args] */
  argv: string[];
  env: string[];
  caps: number[];
  /** run as this user; a non-root user keeps no capabilities */
  uid?: number;
  gid?: number;
  noNewPrivs: boolean;
  tty: boolean;
  ttyRows?: number;
  ttyCols?: number;
  stdio: [number, number, number];
  loopbackUp: boolean;
  /** give eth0 (created by the host side in our netns) an address and a default route */
  netConfig?: { ifname: string; address: string; prefix: number; gateway?: string; txChecksumOff?: boolean };
  /** join this network namespace instead of making one (e.g. /proc/PID/ns/net, /run/netns/red) */
  joinNetns?: string;
  dieWithParent: boolean;
  cgroupFd: number;
  initPath: string;
  explainFd: number;
  /** run -d: the container's parent becomes minictr-monitor, which logs and records the exit */
  detach?: NativeDetach;
}

export interface NativeDetach {
  monitorPath: string;
  logPath: string;
  exitPath: string;
  /** argv the monitor execs once the container has exited (run -d --rm) */
  onExit?: string[];
  /** -di: the container's stdin is a pipe the monitor keeps open */
  keepStdin?: boolean;
}

export interface NativeEnterSpec {
  pid: number;
  nsFlags: number;
  argv: string[];
  env: string[];
  cwd?: string;
  caps?: number[];
  uid?: number;
  gid?: number;
  noNewPrivs?: boolean;
  tty?: boolean;
  stdio?: [number, number, number];
  cgroupFd?: number;
  cgroupProcs?: string[];
  explainFd?: number;
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

export interface NativeAddon {
  /** ctlFd (detached only, else -1): socket to the monitor, to hand it the pty master */
  spawn(spec: NativeSpawnSpec): { pid: number; syncFd: number; intoCgroup: boolean; ctlFd: number };
  sendFd(socket: number, fd: number): void;
  start(syncFd: number): { ptyMaster: number };
  enter(spec: NativeEnterSpec): { pid: number; innerPid: number; ptyMaster: number; error?: string };
  wait(pid: number): Promise<WaitResult>;
  setWinsize(fd: number, rows: number, cols: number): void;
  close(fd: number): void;
  // Thin wrappers acting on the calling process: for teaching scripts and tests run in a
  // throwaway child process, never in the minictr CLI itself.
  unshare(flags: number): void;
  setns(fd: number, nstype: number): void;
  chroot(path: string): void;
  pivotRoot(newRoot: string, putOld: string): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  sethostname(name: string): void;
  /** cgroup v2 device allowlist (native/src/devices.c): build an eBPF program from the rules,
   * load it and attach it to the cgroup2 directory (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), in
   * place of the one minictr attached there before (replaced: true; atomic, BPF_F_REPLACE).
   * id: the kernel's program id (bpftool prog show id N). Rules must be checked first
   * (validateDeviceRules in src/cgroup/devices.ts); bad ones throw a TypeError. */
  attachDeviceFilter(cgroupDir: string, rules: DeviceRule[]): { instructions: number; id: number; replaced: boolean };
  /** Detach every device filter minictr attached to the cgroup2 directory (others stay). */
  detachDeviceFilter(cgroupDir: string): { detached: number };
}

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    addon = require(join(BUILD_DIR, 'minictr_native.node')) as NativeAddon;
  }
  return addon;
}

/** minictr-monitor, the static keeper of a detached container. */
export function monitorBinaryPath(): string {
  return join(BUILD_DIR, 'minictr-monitor');
}

/** The static init binary built next to the addon; exec'd from a sealed memfd as PID 1. */
export function initBinaryPath(): string {
  return join(BUILD_DIR, 'minictr-init');
}
