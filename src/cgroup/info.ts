/**
 * `minictr info` (the cgroup part) and the cgroup part of `inspect`: which layout the host
 * has, which controllers minictr can use and where, and for one container its cgroup paths
 * and the limits in force, read back from the kernel.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readAppliedLimits, type AppliedLimits } from './apply.js';
import { CGROUP_PARENT, cgroupPaths } from './paths.js';
import { readCgroupFile } from './files.js';
import { isFrozen } from './freezer.js';
import { cgroupLayout, CONTROLLERS, controllerAvailable, controllerRoot, type Controller } from './hierarchy.js';
import type { CgroupMode } from './mode.js';

const USED_FOR: Record<Controller, string> = {
  memory: '-m, --memory-swap; OOM detection; memory in stats',
  cpu: '--cpus, --cpu-shares, --cpu-weight',
  cpuacct: 'CPU % in stats',
  pids: '--pids-limit; PIDs in stats',
  cpuset: '--cpuset-cpus',
  freezer: 'pause, unpause',
  devices: 'the device allowlist (v1 devices.allow; on cgroup v2 an eBPF program instead)',
};

export interface ControllerInfo {
  name: Controller;
  available: boolean;
  /** "v2", "v1" */
  version?: string;
  /** where the container cgroups of this controller are made */
  path?: string;
  usedFor: string;
}

export interface HostCgroupInfo {
  mode: CgroupMode;
  description: string;
  cgroup2Root?: string;
  parent: string;
  controllers: ControllerInfo[];
  swapAccounting: boolean;
}

export function hostCgroupInfo(): HostCgroupInfo {
  const layout = cgroupLayout();
  const description = {
    unified: 'cgroup v2 only: one tree, controllers enabled per subtree',
    hybrid: `cgroup v1 controllers, plus a cgroup2 tree at ${layout.v2Root} without them`,
    legacy: 'cgroup v1 only: one hierarchy per controller',
  }[layout.mode];
  const controllers = CONTROLLERS.map((name): ControllerInfo => {
    const available = controllerAvailable(name, layout);
    const root = controllerRoot(name, layout);
    return {
      name,
      available,
      version: available ? (layout.mode === 'unified' ? 'v2' : 'v1') : undefined,
      path: available && root ? join(root, CGROUP_PARENT) : undefined,
      usedFor: USED_FOR[name],
    };
  });
  const memRoot = controllerRoot('memory', layout);
  const swapAccounting = layout.mode === 'unified'
    ? !/\bswapaccount=0\b/.test(readCgroupFile('/proc/cmdline') ?? '')
    : !!memRoot && existsSync(join(memRoot, 'memory.memsw.limit_in_bytes'));
  return { mode: layout.mode, description, cgroup2Root: layout.v2Root, parent: CGROUP_PARENT, controllers, swapAccounting };
}

export function formatHostCgroupInfo(i: HostCgroupInfo): string {
  const lines = [
    `Cgroup mode:      ${i.mode} (${i.description})`,
    `Cgroup parent:    ${i.mode === 'unified' ? `${i.cgroup2Root}/${i.parent}/<container id>` : `${i.parent}/<container id> in each controller's hierarchy`}`,
    `Swap accounting:  ${i.swapAccounting ? 'yes' : 'no (--memory-swap cannot be enforced)'}`,
    'Controllers:',
  ];
  const w = Math.max(...i.controllers.map((c) => (c.path ?? '').length));
  for (const c of i.controllers) {
    lines.push(`  ${c.name.padEnd(8)} ${c.available ? `${c.version}  ${(c.path ?? '').padEnd(w)}  ${c.usedFor}` : `not available  (${c.usedFor}: unavailable)`}`);
  }
  return lines.join('\n') + '\n';
}

/** For inspect: where the container's cgroup is and which limits the kernel enforces. */
export interface ContainerCgroupInfo {
  Mode: CgroupMode;
  /** the container's cgroup: the v2 dir on a unified host, else the memory controller's */
  Path?: string;
  /** per controller (v1), or the one dir (v2) */
  Paths: Partial<Record<Controller | 'unified', string>>;
  /** whether the cgroup exists now (it goes with rm; kept while the container is stopped) */
  Exists: boolean;
  Paused: boolean;
  Limits: AppliedLimits;
}

export function cgroupInfo(name: string): ContainerCgroupInfo {
  const p = cgroupPaths(name);
  const paths: ContainerCgroupInfo['Paths'] = {};
  if (p.layout.mode === 'unified') paths.unified = p.v2;
  else {
    for (const [c, d] of p.byController) paths[c] = d;
    if (p.v2) paths.unified = p.v2;
  }
  const exists = p.dirs.some((d) => existsSync(d));
  return {
    Mode: p.layout.mode,
    Path: p.layout.mode === 'unified' ? p.v2 : (p.byController.get('memory') ?? p.v2),
    Paths: paths,
    Exists: exists,
    Paused: exists && isFrozen(name),
    Limits: exists ? stripUndefined(readAppliedLimits(p)) : {},
  };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
