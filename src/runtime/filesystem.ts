/**
 * What a container's filesystem looks like besides its image: the kernel filesystems, /dev,
 * and the paths hidden or write-protected. These are Docker's (and runc's spec) defaults, so
 * a student can compare `minictr run --explain` with `docker run` line by line.
 */
import { MS, type NativeDevice, type NativeMount, type NativeSymlink } from '../native/index.js';

const S_IFCHR = 0o020000;

export function kernelMounts(): NativeMount[] {
  return [
    { source: 'proc', target: '/proc', fstype: 'proc', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV },
    { source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: MS.NOSUID | MS.STRICTATIME, data: 'mode=755,size=65536k' },
    {
      source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: MS.NOSUID | MS.NOEXEC,
      data: 'newinstance,ptmxmode=0666,mode=0620,gid=5',
    },
    { source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: 'mode=1777,size=65536k' },
    { source: 'mqueue', target: '/dev/mqueue', fstype: 'mqueue', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV },
    { source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY },
  ];
}

export function defaultDevices(): NativeDevice[] {
  const dev = (path: string, major: number, minor: number): NativeDevice => ({ path, mode: S_IFCHR | 0o666, major, minor });
  return [dev('/dev/null', 1, 3), dev('/dev/zero', 1, 5), dev('/dev/full', 1, 7), dev('/dev/random', 1, 8), dev('/dev/urandom', 1, 9), dev('/dev/tty', 5, 0)];
}

export function defaultSymlinks(): NativeSymlink[] {
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
