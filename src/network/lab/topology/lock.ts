/**
 * One command at a time changes a lab: `net up` and `net down` hold $MINICTR_RUN/net/LAB.lock
 * while they run. Without it, two ups of one lab truncate each other's journal (and the first
 * one's objects are named nowhere), and a down during an up removes half a lab that is still
 * being built. The lock names its holder (pid and the kernel's start time of that pid, so a
 * reused pid is not taken for the holder); a holder that is gone (an up killed with SIGKILL)
 * leaves a stale lock, which the next command takes over.
 */
import { closeSync, constants, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError } from '../../../errors.js';
import { checkName } from '../../../names.js';
import { paths } from '../../../paths.js';
import { createFileExclusive } from '../../../util/json-file.js';
import { processStartTime } from '../../../util/proc.js';
import { ensureNetDir } from './journal.js';

interface Holder {
  pid: number;
  start: string;
}

export function lockPath(lab: string): string {
  return join(paths.net(), `${checkName('lab', lab)}.lock`);
}

/** The holder a lock file names, or undefined when it names none that could be alive. */
function readHolder(file: string): Holder | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const rec = JSON.parse(buf.subarray(0, n).toString('utf8')) as Partial<Holder>;
    return Number.isSafeInteger(rec.pid) && typeof rec.start === 'string' ? { pid: rec.pid!, start: rec.start } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function alive(h: Holder): boolean {
  return processStartTime(h.pid) === h.start;
}

/** Run fn holding the lab's lock; a ConflictError, before anything is done, if another holds it. */
export async function withLabLock<T>(lab: string, fn: () => Promise<T>): Promise<T> {
  const file = lockPath(lab);
  ensureNetDir();
  const me: Holder = { pid: process.pid, start: processStartTime(process.pid) ?? '' };
  for (let attempt = 0; ; attempt++) {
    try {
      createFileExclusive(file, `${JSON.stringify(me)}\n`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(file);
      if ((holder && alive(holder)) || attempt > 0) {
        throw new ConflictError(`lab ${lab} is being changed by another minictr${holder ? ` (pid ${holder.pid})` : ''}: wait for it to end, or stop it`);
      }
      // stale: its holder is gone (killed with SIGKILL); rm of a symlink removes only the link.
      // Two commands that find it stale at once may both take it: the window is this line.
      try {
        rmSync(file, { force: true });
      } catch {
        throw new ConflictError(`${file} is not a lock minictr can take over (a directory?): look at it, and remove it by hand`);
      }
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}
