/**
 * Where each controller lives on this host. Unified (cgroup v2 only): every controller is in
 * the one tree at /sys/fs/cgroup, usable below minictr/ once enabled in the root's
 * cgroup.subtree_control. Hybrid and legacy: each v1 controller has its own hierarchy, found
 * in /proc/self/mountinfo (cpu and cpuacct are often mounted together as "cpu,cpuacct").
 * On a hybrid host the cgroup2 tree (/sys/fs/cgroup/unified) holds no controllers we use, but
 * minictr still gives each container a cgroup there: clone3(CLONE_INTO_CGROUP) and cgroup.kill
 * work on it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_ROOT, cgroup2Root, detectCgroupMode, type CgroupMode } from './mode.js';

/** The controllers minictr manages. */
export const CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'cpuset', 'freezer', 'devices'] as const;
export type Controller = (typeof CONTROLLERS)[number];

/** A mounted v1 hierarchy: where, and which controllers it carries ("cpu,cpuacct"). */
export interface V1Hierarchy {
  mountPoint: string;
  /** the mount's super options naming its controllers, e.g. "cpu,cpuacct" or "name=systemd" */
  options: string;
  controllers: string[];
}

export interface CgroupLayout {
  mode: CgroupMode;
  /** the cgroup2 mount (unified: /sys/fs/cgroup; hybrid: /sys/fs/cgroup/unified) */
  v2Root?: string;
  /** v1 hierarchies of the controllers minictr uses, by controller (hybrid, legacy) */
  v1: Map<Controller, V1Hierarchy>;
}

/** Parse /proc/self/mountinfo for cgroup (v1) mounts whose root is the hierarchy's root. */
export function v1Hierarchies(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): V1Hierarchy[] {
  const out: V1Hierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fstype, , superOpts] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup' || pre[3] !== '/') continue;
    const mountPoint = pre[4]!.replace(/\\040/g, ' ');
    const opts = (superOpts ?? '').split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent=') && o !== 'clone_children' && o !== 'noprefix' && o !== 'xattr');
    const controllers = opts.filter((o) => !o.startsWith('name='));
    out.push({ mountPoint, options: opts.join(','), controllers });
  }
  return out;
}

let cached: CgroupLayout | undefined;

export function cgroupLayout(): CgroupLayout {
  if (cached) return cached;
  const mode = detectCgroupMode();
  const v1 = new Map<Controller, V1Hierarchy>();
  if (mode !== 'unified') {
    for (const h of v1Hierarchies()) {
      // the canonical mount under /sys/fs/cgroup wins over any other (e.g. a bind elsewhere)
      for (const c of h.controllers) {
        if (!(CONTROLLERS as readonly string[]).includes(c)) continue;
        const prev = v1.get(c as Controller);
        if (!prev || (!prev.mountPoint.startsWith(`${CGROUP_ROOT}/`) && h.mountPoint.startsWith(`${CGROUP_ROOT}/`))) v1.set(c as Controller, h);
      }
    }
  }
  cached = { mode, v2Root: cgroup2Root(mode), v1 };
  return cached;
}

/** The v2 controllers the root offers to its children (what minictr/ can enable). */
export function v2DelegatedControllers(layout: CgroupLayout = cgroupLayout()): Set<string> {
  if (layout.mode !== 'unified' || !layout.v2Root) return new Set();
  return new Set(readWords(join(layout.v2Root, 'cgroup.subtree_control')));
}

export function readWords(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** Is a controller usable for containers here? (v2 freezer: cgroup.freeze is in the core) */
export function controllerAvailable(c: Controller, layout: CgroupLayout = cgroupLayout()): boolean {
  if (layout.mode === 'unified') {
    if (c === 'freezer') return existsSync(join(layout.v2Root!, 'cgroup.stat')); // core file: always
    if (c === 'cpuacct') return true; // cpu.stat usage_usec is in the core
    if (c === 'devices') return true; // no controller: an eBPF program on the cgroup (devices.ts)
    return v2DelegatedControllers(layout).has(c);
  }
  return layout.v1.has(c);
}

/** Where a controller's (or, on v2, every) file of a cgroup below the hierarchy root lives. */
export function controllerRoot(c: Controller, layout: CgroupLayout = cgroupLayout()): string | undefined {
  if (layout.mode === 'unified') return layout.v2Root;
  return layout.v1.get(c)?.mountPoint;
}
