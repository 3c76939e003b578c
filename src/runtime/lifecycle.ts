/**
 * Container lifecycle after run: start, stop, kill, restart, wait. Each takes the
 * container's lock, so two commands on one container never interleave.
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { thawIfFrozen } from '../cgroup/freezer.js';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import { withLock } from '../util/lock.js';
import { paths } from '../paths.js';
import { processStartTime } from '../util/proc.js';
import { nextBackoff, shouldRestart } from './restart-policy.js';
import { startContainer } from './start.js';
import { cgroupName, EXIT_RECORD_GRACE_MS, exitFile, findContainer, isRestarting, isRunning, processAlive, saveState, type Container } from './store.js';

export function withContainerLock<T>(c: Container, fn: () => Promise<T>): Promise<T> {
  return withLock(join(paths.locks(), `container-${c.config.id}.lock`), fn, { what: `container ${c.config.name}` });
}

export function parseSignal(sig: string): NodeJS.Signals | number {
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = (sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`) as NodeJS.Signals;
  if (!(name in constants.signals)) throw new UsageError(`invalid signal "${sig}"`);
  return name;
}

/** Resolves when the container has exited (polling: its init is not our child). A detached
 * one's exit code is what its monitor records (exit.json) a moment after the process is
 * gone: until then its record can only say 137 (killed from outside), so the record is
 * waited for, up to EXIT_RECORD_GRACE_MS (a monitor killed with it writes none). */
export async function waitForExit(ref: string | Container, timeoutMs = Infinity): Promise<Container | undefined> {
  const id = typeof ref === 'string' ? ref : ref.config.id;
  const deadline = Date.now() + timeoutMs;
  let goneAt: number | undefined;
  for (;;) {
    const c = findContainer(id);
    if (!isRunning(c)) {
      goneAt ??= Date.now();
      if (!c.state.detached || existsSync(exitFile(c.dir)) || Date.now() - goneAt >= EXIT_RECORD_GRACE_MS) return findContainer(id);
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function killContainer(ref: string, signal: NodeJS.Signals | number = 'SIGKILL'): Promise<Container> {
  let c = findContainer(ref);
  const policy = c.config.restartPolicy && c.config.restartPolicy.Name !== 'no';
  // recorded before the signal (and a pending policy restart cancelled, as docker kill does)
  if (policy) {
    c = await withContainerLock(c, async () => {
      const now = findContainer(ref);
      stoppedByUser(now);
      return now;
    });
  }
  if (!isRunning(c)) {
    if (policy) return c;
    throw new ConflictError(`container ${c.config.name} is not running`);
  }
  // PID 1 (minictr-init) forwards every signal it can catch to the command
  process.kill(c.state.pid!, signal);
  if (signal === 'SIGKILL' || signal === 9) thawIfFrozen(cgroupName(c.config.id)); // frozen tasks die only once thawed
  return c;
}

/** The container's stop signal (--stop-signal or the image's STOPSIGNAL; else SIGTERM), then
 * SIGKILL after timeoutSec (else its --stop-timeout, else 10; -1: never) as docker stop. A
 * stopped container is left as is. */
export async function stopContainer(ref: string, timeoutSec?: number): Promise<Container> {
  return withContainerLock(findContainer(ref), async () => {
    // read again under the lock (a policy restart may have made a new process), and
    // recorded before the signal: the exit it causes is never undone by the restart policy
    const c = findContainer(ref);
    stoppedByUser(c);
    if (!isRunning(c)) return c;
    process.kill(c.state.pid!, c.config.stopSignal ? parseSignal(c.config.stopSignal) : 'SIGTERM');
    thawIfFrozen(cgroupName(c.config.id)); // a paused container acts on the signal once thawed (as Docker)
    const t = timeoutSec ?? c.config.stopTimeout ?? 10;
    if (await waitForExit(c, t < 0 ? Infinity : t * 1000)) return findContainer(c.config.id);
    try {
      process.kill(c.state.pid!, 'SIGKILL');
    } catch {
      /* exited just now */
    }
    return (await waitForExit(c))!;
  });
}

/** Start a stopped container again; its filesystem (the overlay upper dir) is kept. */
export async function startExisting(ref: string, opts: { attach: boolean; explain: boolean; explainFull?: boolean }): Promise<number | undefined> {
  const c = findContainer(ref);
  return withContainerLock(c, async () => {
    if (isRunning(c)) throw new ConflictError(`container ${c.config.name} is already running`);
    // a start by hand: the policy counts again from 0 (as docker start does)
    cancelPendingRestart(c);
    c.state = { ...c.state, restartCount: undefined, backoffMs: undefined, stoppedByUser: undefined };
    return startContainer(c, { detach: !opts.attach, explain: opts.explain, explainFull: opts.explainFull });
  });
}

export async function restartContainer(ref: string, timeoutSec?: number): Promise<Container> {
  await stopContainer(ref, timeoutSec);
  await startExisting(ref, { attach: false, explain: false });
  return findContainer(ref);
}

/** A pending policy restart (the process waiting out the back-off) is ended; the state is
 * the caller's to save. Called with the container's lock held. */
function cancelPendingRestart(c: Container): void {
  const r = c.state.restarting;
  if (!r) return;
  if (r.pid !== process.pid && processAlive(r.pid, r.pidStart)) {
    try {
      process.kill(r.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  c.state = { ...c.state, restarting: undefined };
}

/** `stop`, `kill`, `rm -f`: the container stays stopped whatever its restart policy says.
 * Called with the container's lock held, before the signal is sent. */
export function stoppedByUser(c: Container): void {
  if (!c.config.restartPolicy || c.config.restartPolicy.Name === 'no') return;
  cancelPendingRestart(c);
  c.state = { ...c.state, stoppedByUser: true };
  saveState(c);
}

/**
 * `minictr restart-policy ID` (hidden): what minictr-monitor execs when a container with a
 * --restart policy has exited and its exit is recorded (exit.json), the way it execs
 * `minictr rm` for --rm. Design: the monitor stays a small C program that only reports the
 * exit; the decision is made here, under the container's lock, the same lock `stop`, `kill`,
 * `start` and `rm` take, so none of them can race with it: they either come first (and this
 * sees stoppedByUser, or no container) or find this process registered in state.restarting
 * and kill it (it is only sleeping out the back-off then). The restart itself is an ordinary
 * detached start: a new container process under a new monitor, which runs this again on its
 * exit. The cost: a node process lives while the back-off runs (100 ms .. 1 min).
 */
export async function restartByPolicy(id: string): Promise<void> {
  const c = findIfThere(id);
  const policy = c?.config.restartPolicy;
  if (!c || !policy) return;
  const delay = await withContainerLock(c, async () => {
    const now = findIfThere(id);
    if (!now || isRunning(now) || isRestarting(now)) return undefined; // started, or already handled
    const s = now.state;
    if (!shouldRestart(policy, { exitCode: s.exitCode ?? 0, restartCount: s.restartCount ?? 0, stoppedByUser: s.stoppedByUser ?? false })) {
      saveState(now); // the exit, as exit.json told it, is the record now
      return undefined;
    }
    const ranMs = s.startedAt ? Date.now() - Date.parse(s.startedAt) : 0;
    const delayMs = nextBackoff(s.backoffMs, ranMs);
    now.state = { ...s, backoffMs: delayMs, restarting: { pid: process.pid, pidStart: processStartTime(process.pid), delayMs, since: new Date().toISOString() } };
    saveState(now);
    return delayMs;
  });
  if (delay === undefined) return;
  await new Promise((r) => setTimeout(r, delay));
  await withContainerLock(c, async () => {
    const now = findIfThere(id);
    // cancelled (stop, kill, start, rm) while this slept
    if (!now || now.state.restarting?.pid !== process.pid || now.state.stoppedByUser || isRunning(now)) return;
    now.state = { ...now.state, restarting: undefined, restartCount: (now.state.restartCount ?? 0) + 1 };
    saveState(now);
    await startContainer(now, { detach: true, explain: false });
  });
}

/** The container, or undefined once `rm` has removed it. */
function findIfThere(id: string): Container | undefined {
  try {
    return findContainer(id);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
