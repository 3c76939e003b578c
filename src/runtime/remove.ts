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
import { rm } from 'node:fs/promises';
import { mapLimited } from '../util/limited.js';
import { cgroupName, exitFile, findBroken, findContainer, isRunning, type Container } from './store.js';

/** How many containers one `rm` removes at once: their waits (the kill, the monitor's last
 * write) and the file system's journal commits overlap instead of adding up. */
const REMOVE_CONCURRENCY = 16;

/**
 * `rm` of many containers: each is removed by removeContainer, up to REMOVE_CONCURRENCY at a
 * time. The outcome of each ref, in the order given: its name, or the error.
 */
export async function removeContainers(refs: readonly string[], force: boolean, opts: { volumes?: boolean } = {}): Promise<({ name: string } | { error: unknown })[]> {
  return mapLimited(refs, REMOVE_CONCURRENCY, async (ref) => {
    try {
      return { name: await removeContainer(ref, force, opts) };
    } catch (error) {
      return { error };
    }
  });
}

/**
 * Removes the container; returns its name (or, for a broken record, its id). Its dir is
 * moved out of the store under its lock and deleted after: deleted in place, a file made in
 * it meanwhile by path failed the delete (ENOTEMPTY), and such writers outlive the kill (a
 * killed container's `minictr restart-policy`, started by its monitor, reads the half-deleted
 * record and appends its failure to container.log; compose down failed so now and then).
 * Should this process die before the moved dir is deleted, the next command's sweep of stale
 * temp dirs removes it.
 */
export async function removeContainer(ref: string, force: boolean, opts: { volumes?: boolean } = {}): Promise<string> {
  const { name, left } = await removeContainerFiles(ref, force, opts);
  if (left) await rm(left, { recursive: true, force: true, maxRetries: 3 });
  return name;
}

/** removeContainer but for the delete of its dir: that is moved out of the store and
 * returned as left, for the caller to delete. */
async function removeContainerFiles(ref: string, force: boolean, opts: { volumes?: boolean }): Promise<{ name: string; left?: string }> {
  let c: Container;
  try {
    c = findContainer(ref);
  } catch (err) {
    // a broken record goes only when asked for by force: its process may still run
    const broken = err instanceof BrokenRecordError && force ? findBroken(ref) : undefined;
    if (!broken) throw err;
    await destroyBroken(broken);
    return { name: broken.id };
  }
  return withContainerLock(c, async () => {
    const left = await removeLocked(findContainer(c.config.id), force, opts.volumes ?? false);
    return { name: c.config.name, left };
  });
}

async function removeLocked(c: Container, force: boolean, volumes: boolean): Promise<string | undefined> {
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
  return (await destroyContainer(c, undefined, { volumes, deferDir: true })).dir;
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
