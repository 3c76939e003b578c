/**
 * What a container sees at /sys/fs/cgroup. It is in its own cgroup namespace (unshared after
 * the parent placed it in its cgroup), so a cgroup filesystem mounted there has the
 * container's own cgroup as its root: `cat /sys/fs/cgroup/memory.max` shows its limit, and
 * the host's tree is out of sight. Read-only, as Docker does: the limits are the host's to set.
 *   v2:        cgroup2 on /sys/fs/cgroup
 *   hybrid/v1: a tmpfs on /sys/fs/cgroup with one v1 mount per hierarchy minictr uses
 *              (memory, cpu, ...; co-mounted ones like cpu,cpuacct get symlinks), plus the
 *              cgroup2 tree at unified/ on a hybrid host
 * This is what an OCI mount of type "cgroup" becomes (src/runtime/native-spec.ts).
 *
 * A container without a cgroup namespace of its own (an OCI spec may have none: ctr's
 * default, buildah's, podman's on cgroup v1) would see each v1 hierarchy's root there: the
 * host's whole tree, and the root's limits instead of its own. So, as runc does, its own
 * cgroup directory in each v1 hierarchy (and a hybrid host's unified/) is bind-mounted
 * instead (`own`: its cgroup name). On a unified host cgroup2 is mounted as it is (as runc).
 */
import { basename, join } from 'node:path';
import { MS, type MountRecord, type SymlinkRecord } from '../native/index.js';
import { cgroupLayout } from './hierarchy.js';

export interface CgroupView {
  mounts: MountRecord[];
  symlinks: SymlinkRecord[];
  /** paths to make read-only once everything is mounted (the tmpfs of the v1 layout) */
  readonly: string[];
}

const BASE = MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RELATIME;

export function cgroupNamespaceView(target = '/sys/fs/cgroup', readonly = true, own?: string): CgroupView {
  const flags = BASE | (readonly ? MS.RDONLY : 0);
  const layout = cgroupLayout();
  const mount = (source: string, at: string, fstype: string, f: number, data?: string): MountRecord => ({
    source, target: at, fstype, flags: f, propagation: 0, file: false, copyUp: false, ...(data ? { data } : {}),
  });
  if (layout.mode === 'unified') return { mounts: [mount('cgroup2', target, 'cgroup2', flags)], symlinks: [], readonly: [] };
  const mounts: MountRecord[] = [mount('tmpfs', target, 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755,size=64k')];
  const symlinks: SymlinkRecord[] = [];
  const seen = new Set<string>();
  for (const h of layout.v1.values()) {
    if (seen.has(h.mountPoint)) continue;
    seen.add(h.mountPoint);
    const name = h.controllers.join(',');
    if (own) mounts.push(mount(join(h.mountPoint, own), `${target}/${name}`, 'none', MS.BIND | flags));
    else mounts.push(mount('cgroup', `${target}/${name}`, 'cgroup', flags, h.options));
    // cpu,cpuacct mounted together: /sys/fs/cgroup/cpu -> cpu,cpuacct (and the host's name)
    for (const alias of new Set([...h.controllers, basename(h.mountPoint)])) {
      if (alias !== name) symlinks.push({ target: name, path: `${target}/${alias}` });
    }
  }
  if (layout.v2Root) mounts.push(own ? mount(join(layout.v2Root, own), `${target}/unified`, 'none', MS.BIND | flags) : mount('cgroup2', `${target}/unified`, 'cgroup2', flags));
  return { mounts, symlinks, readonly: readonly ? [target] : [] };
}
