/**
 * What a container sees at /sys/fs/cgroup. It is in its own cgroup namespace (unshared after
 * the parent placed it in its cgroup), so a cgroup filesystem mounted there has the
 * container's own cgroup as its root: `cat /sys/fs/cgroup/memory.max` shows its limit, and
 * the host's tree is out of sight. Read-only, as Docker does: the limits are the host's to set.
 *   v2:        cgroup2 on /sys/fs/cgroup
 *   hybrid/v1: a tmpfs on /sys/fs/cgroup with one v1 mount per hierarchy minictr uses
 *              (memory, cpu, ...; co-mounted ones like cpu,cpuacct get symlinks), plus the
 *              cgroup2 tree at unified/ on a hybrid host
 */
import { basename } from 'node:path';
import { MS, type NativeMount, type NativeSymlink } from '../native/index.js';
import { cgroupLayout } from './hierarchy.js';

export interface CgroupView {
  mounts: NativeMount[];
  symlinks: NativeSymlink[];
  /** paths to make read-only once everything is mounted (the tmpfs of the v1 layout) */
  readonly: string[];
}

const RO = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RELATIME;
const TARGET = '/sys/fs/cgroup';

export function cgroupNamespaceView(): CgroupView {
  const layout = cgroupLayout();
  if (layout.mode === 'unified') {
    return { mounts: [{ source: 'cgroup2', target: TARGET, fstype: 'cgroup2', flags: RO }], symlinks: [], readonly: [] };
  }
  const mounts: NativeMount[] = [
    { source: 'tmpfs', target: TARGET, fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: 'mode=755,size=64k' },
  ];
  const symlinks: NativeSymlink[] = [];
  const seen = new Set<string>();
  for (const h of layout.v1.values()) {
    if (seen.has(h.mountPoint)) continue;
    seen.add(h.mountPoint);
    const name = h.controllers.join(',');
    mounts.push({ source: 'cgroup', target: `${TARGET}/${name}`, fstype: 'cgroup', flags: RO, data: h.options });
    // cpu,cpuacct mounted together: /sys/fs/cgroup/cpu -> cpu,cpuacct (and the host's name)
    for (const alias of new Set([...h.controllers, basename(h.mountPoint)])) {
      if (alias !== name) symlinks.push({ target: name, path: `${TARGET}/${alias}` });
    }
  }
  if (layout.v2Root) mounts.push({ source: 'cgroup2', target: `${TARGET}/unified`, fstype: 'cgroup2', flags: RO });
  return { mounts, symlinks, readonly: [TARGET] };
}
