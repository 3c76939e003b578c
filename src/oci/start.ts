/**
 * `minictr-oci start`: let a created container's process go. It is blocked opening its exec
 * fifo for writing; opening the read end releases it, it writes one byte and goes on to its
 * startContainer hooks, seccomp and execve. The fifo is removed: from then on the status is
 * running. Its write end closes on execve (close-on-exec): at that EOF the command runs, and
 * the poststart hooks run ("after the user-specified process is executed", runtime-spec).
 */
import { closeSync, constants, openSync, readSync, unlinkSync } from 'node:fs';
import type { Explainer } from '../util/explain.js';
import { processLives } from '../util/proc.js';
import { OciError } from './errors.js';
import { runHostHooks } from '../runtime/hooks.js';
import { statusOf, stateOf } from './status.js';
import { fifoPath, loadRecord } from './store.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startContainer(root: string, id: string, explain: Explainer): Promise<void> {
  const r = loadRecord(root, id);
  const status = statusOf(root, r);
  if (status === 'stopped') throw new OciError(`cannot start a container that has stopped`, 'not-running');
  if (status !== 'created') throw new OciError(`cannot start an already ${status} container`);
  const fifo = fifoPath(root, id);
  explain.step('release the container\'s process: open its exec fifo for reading', `cat ${fifo}`);
  // non-blocking: if the process died meanwhile, no writer will ever come
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    for (let waited = 0; ; waited += 5) {
      try {
        if (readSync(fd, buf, 0, 1, null) === 1) break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      if (!processLives(r.pid!, r.pidStart)) throw new OciError(`container "${id}" stopped before it could start`, 'not-running');
      if (waited > 30_000) throw new OciError(`container "${id}" did not take the start within 30 s`);
      await sleep(waited < 100 ? 1 : 5);
    }
    unlinkSync(fifo);
    // started: now wait for the exec (EOF: the write end closed), or for the process to end
    for (let waited = 0; processLives(r.pid!, r.pidStart); waited += 5) {
      try {
        if (readSync(fd, buf, 0, 1, null) === 0) break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      await sleep(waited < 100 ? 1 : 5);
    }
  } finally {
    closeSync(fd);
  }
  // a poststart hook that fails is reported, but the container runs on (runtime-spec)
  try {
    await runHostHooks('poststart', r.spec.hooks?.poststart, stateOf(root, r), explain);
  } catch (err) {
    process.stderr.write(`minictr-oci: warning: ${(err as Error).message}\n`);
  }
}
