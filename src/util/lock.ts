/**
 * A small inter-process lock: a lock file created with O_EXCL that records its owner as
 * "PID STARTTIME". A lock whose owner is gone (killed with -9, machine crashed mid-command) is
 * stale, and the next command breaks it, so an interrupted command never wedges the store.
 *
 * Why not flock(2)? Node has no flock, and a lock file readable by `cat` is easier to teach and
 * to debug. PID reuse is handled by also recording the process start time from /proc.
 */
import { open, readFile, unlink, mkdir, stat } from 'node:fs/promises';
import { ownerTag, processStartTime } from './proc.js';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MinictrError } from '../errors.js';

/** "PID STARTTIME" of this process (util/proc.ts): written into lock files and temp dir names. */
export { ownerTag, processStartTime };

/** Is the process recorded as "PID STARTTIME" still the same running process? */
export function ownerAlive(owner: string): boolean {
  const [pidText, start] = owner.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const now = processStartTime(pid);
  return now !== undefined && now === start;
}

export interface LockOptions {
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /** What the lock protects, for the timeout message. */
  what?: string;
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o644);
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function readOwner(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Remove a stale lock, but only if it still holds the dead owner we saw: two waiters may both
 * find the same stale lock, and the slower one must not delete the lock the faster one has just
 * taken. A short-lived guard file serialises the check-and-unlink.
 */
async function breakStale(path: string, seen: string): Promise<void> {
  const guard = `${path}.break`;
  if (!(await tryCreate(guard, ownerTag()))) {
    // A guard is held only for a few microseconds; an old one belongs to a killed breaker.
    if (await olderThan(guard, 10_000)) await unlink(guard).catch(() => undefined);
    return;
  }
  try {
    if ((await readOwner(path)) === seen) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  return st !== undefined && Date.now() - st.mtimeMs > ms;
}

/** Run fn while holding the lock file at `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const me = `${ownerTag()}\n`;
  await mkdir(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    if (await tryCreate(path, me)) break;
    const owner = await readOwner(path);
    if (owner !== undefined) {
      // An empty file is a lock being written right now (open and write are two steps), unless
      // it is old: then its creator was killed between the two.
      const stale = owner === '' ? await olderThan(path, 5_000) : !ownerAlive(owner);
      if (stale) {
        await breakStale(path, owner);
        continue;
      }
      if (Date.now() > deadline) {
        throw new MinictrError(
          `timed out waiting for the ${opts.what ?? 'lock'} (${path}), held by pid ${owner.trim().split(/\s+/)[0] || '?'}`,
        );
      }
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 200);
  }
  try {
    return await fn();
  } finally {
    // Only remove the lock if it is still ours (it always should be).
    if ((await readOwner(path)) === me) await unlink(path).catch(() => undefined);
  }
}
