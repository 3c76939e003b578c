/**
 * Which cgroup layout the host has, detected the way runc and crun do: by the filesystem
 * magic of /sys/fs/cgroup (cgroup2 => unified) and of /sys/fs/cgroup/unified (cgroup2 there
 * => hybrid: v1 controllers plus an empty v2 tree), else legacy (v1 only).
 */
import { statfsSync } from 'node:fs';

export type CgroupMode = 'unified' | 'hybrid' | 'legacy';

export const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP2_SUPER_MAGIC = 0x63677270;

function isCgroup2(path: string): boolean {
  try {
    return statfsSync(path).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

let cached: CgroupMode | undefined;

export function detectCgroupMode(): CgroupMode {
  if (!cached) {
    if (isCgroup2(CGROUP_ROOT)) cached = 'unified';
    else if (isCgroup2(`${CGROUP_ROOT}/unified`)) cached = 'hybrid';
    else cached = 'legacy';
  }
  return cached;
}

/** The mount point of the cgroup2 hierarchy, if the host has one. */
export function cgroup2Root(mode: CgroupMode = detectCgroupMode()): string | undefined {
  if (mode === 'unified') return CGROUP_ROOT;
  if (mode === 'hybrid') return `${CGROUP_ROOT}/unified`;
  return undefined;
}
