/**
 * Container lifecycle after run: start, stop, kill, restart, wait. Each takes the
 * container's lock, so two commands on one container never interleave.
 */
import { constants } from 'node:os';
import { join } from 'node:path';
import { thawIfFrozen } from '../cgroup/freezer.js';
import { ConflictError, UsageError } from '../errors.js';
import { withLock } from '../util/lock.js';
import { paths } from '../paths.js';
import { startContainer } from './start.js';
import { cgroupName, findContainer, isRunning, type Container } from './store.js';

export function withContainerLock<T>(c: Container, fn: () => Promise<T>): Promise<T> {
  return withLock(join(paths.locks(), `container-${c.config.id}.lock`), fn, { what: `container ${c.config.name}` });
}

export function parseSignal(sig: string): NodeJS.Signals | number {
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = (sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`) as NodeJS.Signals;
  if (!(name in constants.signals)) throw new UsageError(`invalid signal "${sig}"`);
  return name;
}

/** Resolves when the container has exited (polling: its init is not our child). */
export async function waitForExit(ref: string | Container, timeoutMs = Infinity): Promise<Container | undefined> {
  const id = typeof ref === 'string' ? ref : ref.config.id;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = findContainer(id);
    if (!isRunning(c)) return c;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function killContainer(ref: string, signal: NodeJS.Signals | number = 'SIGKILL'): Promise<Container> {
  const c = findContainer(ref);
  if (!isRunning(c)) throw new ConflictError(`container ${c.config.name} is not running`);
  // PID 1 (minictr-init) forwards every signal it can catch to the command
  process.kill(c.state.pid!, signal);
  if (signal === 'SIGKILL' || signal === 9) thawIfFrozen(cgroupName(c.config.id)); // frozen tasks die only once thawed
  return c;
}

/** SIGTERM, then SIGKILL after timeoutSec (docker stop). A stopped container is left as is. */
export async function stopContainer(ref: string, timeoutSec = 10): Promise<Container> {
  const c = findContainer(ref);
  return withContainerLock(c, async () => {
    if (!isRunning(c)) return c;
    process.kill(c.state.pid!, 'SIGTERM');
    thawIfFrozen(cgroupName(c.config.id)); // a paused container acts on the signal once thawed (as Docker)
    if (await waitForExit(c, timeoutSec * 1000)) return findContainer(c.config.id);
    try {
      process.kill(c.state.pid!, 'SIGKILL');
    } catch {
      /* exited just now */
    }
    return (await waitForExit(c))!;
  });
}

/** Start a stopped container again; its filesystem (the overlay upper dir) is kept. */
export async function startExisting(ref: string, opts: { attach: boolean; explain: boolean }): Promise<number | undefined> {
  const c = findContainer(ref);
  return withContainerLock(c, async () => {
    if (isRunning(c)) throw new ConflictError(`container ${c.config.name} is already running`);
    return startContainer(c, { detach: !opts.attach, explain: opts.explain });
  });
}

export async function restartContainer(ref: string, timeoutSec = 10): Promise<Container> {
  await stopContainer(ref, timeoutSec);
  await startExisting(ref, { attach: false, explain: false });
  return findContainer(ref);
}
