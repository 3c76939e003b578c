/**
 * Everything a container owns on the host, released in one place: its cgroup, its address
 * and published ports, its entry in its network's /etc/hosts files, and its directory. Used
 * by rm, by --rm, by a failed start and by system prune.
 */
import { removeCgroup } from '../cgroup/cgroup.js';
import { silent, type Explainer } from '../util/explain.js';
import { cgroupName, deleteContainerFiles, findContainer, type Container } from './store.js';

export async function destroyContainer(c: Container, explain: Explainer = silent): Promise<void> {
  await removeCgroup(cgroupName(c.config.id));
  const n = c.config.network;
  if (n?.network) {
    const { disconnectContainer, refreshHosts } = await import('../network/container/attach.js');
    await disconnectContainer(c.config.id, n, explain);
    deleteContainerFiles(c);
    refreshHosts(n.network, hostsEntry);
    return;
  }
  deleteContainerFiles(c);
}

export function hostsEntry(id: string): { dir: string; name: string; hostname: string } | undefined {
  try {
    const c = findContainer(id);
    return { dir: c.dir, name: c.config.name, hostname: c.config.hostname };
  } catch {
    return undefined;
  }
}
