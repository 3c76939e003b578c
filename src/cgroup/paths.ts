/**
 * Where a cgroup of a given name lives: the same relative path (`minictr/<id>`,
 * `minictr-oci/default/web`) in every hierarchy the host has. A name must lie below a top
 * minictr owns (OWNED_TOPS): minictr never writes into cgroups it did not make.
 */
import { join } from 'node:path';
import { CgroupError } from './files.js';
import { cgroupLayout, CONTROLLERS, type CgroupLayout, type Controller } from './hierarchy.js';

/** Where `minictr run` puts its containers: minictr/<id>. */
export const CGROUP_PARENT = 'minictr';
/** The tops minictr owns, one per tool: everything it writes is below one of them. */
export const OWNED_TOPS: readonly string[] = [CGROUP_PARENT, 'minictr-oci'];

const SEGMENT = /^[A-Za-z0-9_.:@+-]+$/;

/** A name is a relative path below an owned top; anything else is refused before any write. */
export function checkCgroupName(name: string): string[] {
  const parts = name.split('/');
  if (parts.length < 2 || !OWNED_TOPS.includes(parts[0]!) || parts.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new CgroupError(`cgroup "${name}" is not below a cgroup minictr owns (${OWNED_TOPS.join('/, ')}/)`);
  }
  return parts;
}

export interface CgroupPaths {
  name: string;
  layout: CgroupLayout;
  /** the container's cgroup2 dir, if the host has a cgroup2 hierarchy (unified or hybrid) */
  v2?: string;
  /** the dir holding each available controller's files for this container */
  byController: Map<Controller, string>;
  /** every dir of the container, one per hierarchy */
  dirs: string[];
}

export function cgroupPaths(name: string, layout: CgroupLayout = cgroupLayout()): CgroupPaths {
  checkCgroupName(name);
  const v2 = layout.v2Root ? join(layout.v2Root, name) : undefined;
  const byController = new Map<Controller, string>();
  for (const c of CONTROLLERS) {
    if (layout.mode === 'unified') byController.set(c, v2!);
    else {
      const h = layout.v1.get(c);
      if (h) byController.set(c, join(h.mountPoint, name));
    }
  }
  const dirs = [...new Set([...byController.values(), ...(v2 ? [v2] : [])])];
  return { name, layout, v2, byController, dirs };
}

