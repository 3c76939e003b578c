/**
 * The container-facing cgroup commands: `update` (change limits, live if it runs, and keep
 * them for its next start), `pause` and `unpause` (the freezer), and the pause that `commit`
 * holds while it reads a running container's files.
 */
import { existsSync } from 'node:fs';
import { ConflictError, UsageError } from '../errors.js';
import type { Explainer } from '../util/explain.js';
import { applyLimits, checkLimitsSupported, readAppliedLimits } from '../cgroup/apply.js';
import { cgroupPaths } from '../cgroup/paths.js';
import { isFrozen, setFrozen } from '../cgroup/freezer.js';
import { checkMemorySwap, hasLimits, parseLimits, type CgroupLimits, type LimitFlags } from '../cgroup/limits.js';
import { cgroupName, findContainer, isRunning, saveConfig, saveState, type Container } from './store.js';

export async function updateContainer(ref: string, flags: LimitFlags, explain: Explainer): Promise<Container> {
  const limits = parseLimits(flags);
  if (!hasLimits(limits)) throw new UsageError('update needs at least one limit: -m, --memory-swap, --cpus, --cpu-shares, --cpu-weight, --cpuset-cpus or --pids-limit');
  const c = findContainer(ref);
  checkLimitsSupported(limits);
  const { withContainerLock } = await import('./lifecycle.js');
  return withContainerLock(c, async () => {
    const cur = findContainer(c.config.id);
    const p = cgroupPaths(cgroupName(cur.config.id));
    const live = isRunning(cur) && p.dirs.every((d) => existsSync(d));
    const before: CgroupLimits = { ...(cur.config.resources ?? {}) };
    // --memory-swap is memory+swap: check it against the memory limit that will be in force
    const memory = limits.memory ?? before.memory ?? (live ? readAppliedLimits(p).memory : undefined);
    checkMemorySwap({ ...limits, memory });
    if (live) applyLimits(p, limits.memorySwap !== undefined && limits.memory === undefined ? { ...limits, memory } : limits, explain, { initial: false, swapFollowsMemory: true });
    else explain.note(`container ${cur.config.name} is not running: the limits apply at its next start`);
    const merged: CgroupLimits = { ...before, ...limits };
    // -m without --memory-swap: swap follows memory again (Docker's default)
    if (limits.memory !== undefined && limits.memorySwap === undefined) delete merged.memorySwap;
    // one CPU weight, in the unit last given
    if (limits.cpuShares !== undefined) delete merged.cpuWeight;
    if (limits.cpuWeight !== undefined) delete merged.cpuShares;
    cur.config.resources = merged;
    saveConfig(cur);
    return cur;
  });
}

export async function pauseContainer(ref: string, paused: boolean, explain: Explainer): Promise<Container> {
  const c = findContainer(ref);
  const { withContainerLock } = await import('./lifecycle.js');
  return withContainerLock(c, async () => {
    const cur = findContainer(c.config.id);
    if (!isRunning(cur)) throw new ConflictError(`container ${cur.config.name} is not running`);
    if (paused && cur.state.paused) throw new ConflictError(`container ${cur.config.name} is already paused`);
    // the kernel's word too: a commit killed while it held the container frozen left it so
    if (!paused && !cur.state.paused && !isFrozen(cgroupName(cur.config.id))) throw new ConflictError(`container ${cur.config.name} is not paused`);
    setFrozen(cgroupName(cur.config.id), paused, explain);
    cur.state = { ...cur.state, paused };
    saveState(cur);
    return cur;
  });
}

/**
 * Run `read` with the container frozen, as `docker commit` does: its processes cannot
 * change its files meanwhile (swap a directory of its upper dir for a symlink to the host
 * between commit's walk and tar). Under the container's lock, so `unpause` cannot thaw it
 * midway; thawed afterwards whatever `read` did, and on SIGINT/SIGTERM before this process
 * exits. A container that is not running, or that is paused already, is left as it is.
 */
export async function whilePaused<T>(c: Container, explain: Explainer, read: () => Promise<T>): Promise<T> {
  const { withContainerLock } = await import('./lifecycle.js');
  return withContainerLock(c, async () => {
    const cur = findContainer(c.config.id);
    const name = cgroupName(cur.config.id);
    if (!isRunning(cur) || cur.state.paused || isFrozen(name)) return read();
    const thaw = (): void => {
      try {
        setFrozen(name, false, explain);
      } catch (err) {
        if (isRunning(findContainer(cur.config.id))) throw err; // else its cgroup went with it
      }
    };
    const onSignal = (sig: NodeJS.Signals): void => {
      thaw();
      process.exit(sig === 'SIGINT' ? 130 : 143); // the scratch dir is swept by the next commit
    };
    setFrozen(name, true, explain);
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
    try {
      return await read();
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      thaw();
    }
  });
}
