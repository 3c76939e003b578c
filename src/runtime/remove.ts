/**
 * `minictr rm`: delete a stopped container (or, with force, kill a running one first). Also
 * the cleanup for containers whose `minictr run` was killed: their process died with it
 * (PDEATHSIG), so only files and the cgroup are left.
 */
import { thawIfFrozen } from '../cgroup/freezer.js';
import { BrokenRecordError, ConflictError } from '../errors.js';
import { destroyContainer, destroyBroken } from './destroy.js';
import { stoppedByUser, withContainerLock } from './lifecycle.js';
import { existsSync } from 'node:fs';
import { cgroupName, exitFile, findBroken, findContainer, isRunning, type Container } from './store.js';

/** Removes the container; returns its name (or, for a broken record, its id). */
export async function removeContainer(ref: string, force: boolean, opts: { volumes?: boolean } = {}): Promise<string> {
  let c: Container;
  try {
    c = findContainer(ref);
  } catch (err) {
    // a broken record goes only when asked for by force: its process may still run
    const broken = err instanceof BrokenRecordError && force ? findBroken(ref) : undefined;
    if (!broken) throw err;
    await destroyBroken(broken);
    return broken.id;
  }
  return withContainerLock(c, async () => {
    await removeLocked(findContainer(c.config.id), force, opts.volumes ?? false);
    return c.config.name;
  });
}

async function removeLocked(c: Container, force: boolean, volumes: boolean): Promise<void> {
  if (isRunning(c) && !force) throw new ConflictError(`container ${c.config.name} is running: stop it first or use rm -f`);
  // rm wins over the restart policy: a pending restart is ended, the exit below never undone
  stoppedByUser(c);
  if (isRunning(c)) {
    try {
      process.kill(c.state.pid!, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    thawIfFrozen(cgroupName(c.config.id)); // a paused container dies only once thawed (cgroup v1)
    await waitGone(c.state.pid!);
    // a detached container's monitor still writes its last log bytes and exit.json
    if (c.state.detached) await waitFor(() => existsSync(exitFile(c.dir)), 2000);
  }
  await destroyContainer(c, undefined, { volumes });
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
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
