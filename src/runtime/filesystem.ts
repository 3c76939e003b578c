/**
 * What a container's filesystem looks like besides its image: the kernel filesystems, /dev,
 * and the paths hidden or write-protected. These are Docker's (and runc's `spec`) defaults,
 * written as OCI mounts, so a student can compare `minictr inspect` with `runc spec` and
 * `minictr run --explain` with `docker run` line by line. The device nodes and /dev symlinks
 * every container gets are the runtime-spec's "default devices".
 */
import { statSync } from 'node:fs';
import type { OciMount } from '../spec/config.js';
import type { DeviceRecord, SymlinkRecord } from '../native/index.js';

const S_IFCHR = 0o020000;

export function kernelMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

/** The runtime-spec's default devices: every container has them, whatever its spec says. */
export function defaultDevices(): DeviceRecord[] {
  const dev = (path: string, major: number, minor: number): DeviceRecord => ({ path, mode: S_IFCHR | 0o666, major, minor, uid: 0, gid: 0 });
  return [dev('/dev/null', 1, 3), dev('/dev/zero', 1, 5), dev('/dev/full', 1, 7), dev('/dev/random', 1, 8), dev('/dev/urandom', 1, 9), dev('/dev/tty', 5, 0)];
}

export function defaultSymlinks(): SymlinkRecord[] {
  return [
    { target: '/proc/self/fd', path: '/dev/fd' },
    { target: '/proc/self/fd/0', path: '/dev/stdin' },
    { target: '/proc/self/fd/1', path: '/dev/stdout' },
    { target: '/proc/self/fd/2', path: '/dev/stderr' },
    { target: 'pts/ptmx', path: '/dev/ptmx' },
    { target: '/proc/kcore', path: '/dev/core' },
  ];
}

/** Hidden: they leak host information or let root reach the kernel. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** Visible but read-only: writing there would change the host's kernel. */
export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** A bind mount of a file needs a file as its mount point, not a directory. */
export function isFile(p: string): boolean {
  try {
    return !statSync(p).isDirectory();
  } catch {
    return false;
  }
}
