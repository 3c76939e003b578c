/**
 * What a container uses right now, from its cgroup files (the numbers `minictr stats` shows):
 *   CPU time:  cpu.stat usage_usec (v2)         cpuacct.usage, in ns (v1)
 *   memory:    memory.current (v2)              memory.usage_in_bytes (v1)
 *              minus inactive file cache, as Docker counts it (memory.stat)
 *   processes: pids.current, against pids.max
 */
import { join } from 'node:path';
import { readKeyed, readLimit, readNumber } from './files.js';
import { cgroupPaths, type CgroupPaths } from './paths.js';

export interface CgroupUsage {
  /** total CPU time used, in nanoseconds */
  cpuNs?: number;
  memoryBytes?: number;
  /** undefined: no limit */
  memoryLimit?: number;
  pids?: number;
  pidsLimit?: number;
}

export function readUsage(name: string, p: CgroupPaths = cgroupPaths(name)): CgroupUsage {
  const file = (c: Parameters<CgroupPaths['byController']['get']>[0], name: string): string => join(p.byController.get(c) ?? '/nonexistent', name);
  const out: CgroupUsage = {};
  if (p.layout.mode === 'unified') {
    const usec = readKeyed(file('cpu', 'cpu.stat')).get('usage_usec');
    out.cpuNs = usec === undefined ? undefined : usec * 1000;
    const current = readNumber(file('memory', 'memory.current'));
    const inactive = readKeyed(file('memory', 'memory.stat')).get('inactive_file') ?? 0;
    out.memoryBytes = current === undefined ? undefined : Math.max(0, current - inactive);
    out.memoryLimit = readLimit(file('memory', 'memory.max'));
  } else {
    out.cpuNs = readNumber(file('cpuacct', 'cpuacct.usage'));
    const current = readNumber(file('memory', 'memory.usage_in_bytes'));
    const inactive = readKeyed(file('memory', 'memory.stat')).get('total_inactive_file') ?? 0;
    out.memoryBytes = current === undefined ? undefined : Math.max(0, current - inactive);
    out.memoryLimit = readLimit(file('memory', 'memory.limit_in_bytes'));
  }
  out.pids = readNumber(file('pids', 'pids.current'));
  out.pidsLimit = readLimit(file('pids', 'pids.max'));
  return out;
}
