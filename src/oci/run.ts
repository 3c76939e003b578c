/**
 * `minictr-oci run ID`: create, start, wait, delete, for people at a terminal (as `runc
 * run`): this command stays the container's parent, relays its terminal and signals, and
 * exits with its status.
 */
import { native } from '../native/index.js';
import { attachTerminal } from '../runtime/terminal.js';
import { forwardSignals } from '../runtime/signals.js';
import { createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { startContainer } from './start.js';

export async function runContainer(o: CreateOptions): Promise<number> {
  const { pid, ptyMaster } = await createContainer({ ...o, attached: true });
  const exited = native().wait(pid);
  const stop = forwardSignals(pid);
  const terminal = ptyMaster >= 0 ? attachTerminal(ptyMaster, true) : undefined;
  try {
    await startContainer(o.root, o.id, o.explain);
    const { exitCode } = await exited;
    if (terminal) await Promise.race([terminal.drained, new Promise((r) => setTimeout(r, 500))]);
    return exitCode;
  } finally {
    terminal?.restore();
    stop();
    await deleteContainer(o.root, o.id, true, o.explain).catch(() => undefined);
  }
}
