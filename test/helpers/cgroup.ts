/**
 * Helpers for the cgroup tests: the host's cgroup mode (by filesystem magic, as runc does),
 * the path of a controller's file as the container sees it in its own cgroup namespace, and
 * every directory a container's cgroup has on the host.
 */
import { execa } from 'execa';
import { readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP2_SUPER_MAGIC = 0x63677270;

function isCgroup2(path: string): boolean {
  try {
    return statfsSync(path).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

export const unified = isCgroup2('/sys/fs/cgroup');

/** The path, inside the container, of a controller's file: /sys/fs/cgroup/pids.max on v2,
 * /sys/fs/cgroup/pids/pids.max on v1. */
export function inside(controller: string, file: string): string {
  return unified ? `/sys/fs/cgroup/${file}` : `/sys/fs/cgroup/${controller}/${file}`;
}

export const files = {
  memoryLimit: unified ? inside('memory', 'memory.max') : inside('memory', 'memory.limit_in_bytes'),
  pidsMax: inside('pids', 'pids.max'),
  pidsCurrent: inside('pids', 'pids.current'),
  /** "max N": forks refused because of pids.max */
  pidsEvents: inside('pids', 'pids.events'),
  /** v2: "usage_usec N" (first line of cpu.stat); v1: nanoseconds */
  cpuUsage: unified ? inside('cpu', 'cpu.stat') : inside('cpuacct', 'cpuacct.usage'),
};

/** Every cgroup directory below `top` (at most `maxDepth` levels down) whose name is one of names. */
export function cgroupDirsNamed(names: Iterable<string>, top = '/sys/fs/cgroup', maxDepth = 4): string[] {
  const wanted = new Set(names);
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > maxDepth) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (wanted.has(e.name)) out.push(p);
      walk(p, depth + 1);
    }
  };
  walk(top, 0);
  return out;
}

/** Every directory named after the container id below any cgroup hierarchy on the host. */
export function hostCgroupDirs(id: string): string[] {
  return cgroupDirsNamed([id]);
}

/** A real fork bomb (every process forks forever and ignores failures), built static so it
 * runs in the busybox image. A shell bomb is no good: ash exits when a fork fails. */
export async function buildForkBomb(dir: string): Promise<string> {
  const src = join(dir, 'forkbomb.c');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(src, '#include <unistd.h>\nint main(void) { for (;;) if (fork() < 0) usleep(10000); }\n');
  await execa('cc', ['-static', '-O2', '-o', join(dir, 'forkbomb'), src]);
  return join(dir, 'forkbomb');
}
