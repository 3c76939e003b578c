/**
 * `minictr rm`: delete a stopped container (or, with force, kill a running one first). Also
 * the cleanup for containers whose `minictr run` was killed: their process died with it
 * (PDEATHSIG), so only files and the cgroup are left.
 */
import { ConflictError } from '../errors.js';
import { removeContainerCgroup } from '../cgroup/container-cgroup.js';
import { deleteContainerFiles, findContainer, type Container } from './store.js';

export async function removeContainer(ref: string, force: boolean): Promise<Container> {
  const c = findContainer(ref);
  if (c.state.status === 'running' && c.state.pid) {
    if (!force) throw new ConflictError(`container ${c.config.name} is running: stop it first or use rm -f`);
    try {
      process.kill(c.state.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    await waitGone(c.state.pid);
  }
  await removeContainerCgroup(c.config.id);
  deleteContainerFiles(c);
  return c;
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
