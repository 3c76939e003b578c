/**
 * `run -t`: the container's pty master arrives from the C child; here it is joined to the
 * user's terminal. The user's terminal goes raw, so Ctrl-C is just a byte that the pty's line
 * discipline inside the container turns into SIGINT for the foreground job, not for minictr.
 */
import { createReadStream, write } from 'node:fs';
import { native } from '../native/index.js';

export interface TerminalSession {
  /** resolves when the pty has no more output (the container's side closed) */
  drained: Promise<void>;
  restore(): void;
}

export function attachTerminal(master: number, forwardInput: boolean): TerminalSession {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (forwardInput && stdin.isTTY) stdin.setRawMode(true);

  // The master is closed by the output stream (destroy() closes its fd, autoClose or not),
  // once nothing is in flight on it: a write still queued in the thread pool, or a second
  // close, would reach whatever file took the fd's number next (a closed-under-it fd made
  // node abort in readFileSync's close while minictr-oci run read a cgroup file).
  let writing = 0;
  let closing = false;
  const closeWhenIdle = (): void => {
    if (closing && writing === 0) output.destroy();
  };
  const onInput = (chunk: Buffer): void => {
    writing++;
    write(master, chunk, () => {
      writing--;
      closeWhenIdle();
    });
  };
  if (forwardInput) {
    stdin.on('data', onInput);
    stdin.resume();
  }
  const onResize = (): void => {
    if (stdout.isTTY) native().setWinsize(master, stdout.rows, stdout.columns);
  };
  stdout.on('resize', onResize);

  const output = createReadStream('', { fd: master, autoClose: false, highWaterMark: 65536 });
  const drained = new Promise<void>((resolve) => {
    output.on('data', (chunk) => stdout.write(chunk));
    // EIO is how a pty master says "every slave fd is closed": the normal end
    output.on('error', () => resolve());
    output.on('end', () => resolve());
  });

  return {
    drained,
    restore() {
      stdout.off('resize', onResize);
      if (forwardInput) {
        stdin.off('data', onInput);
        stdin.pause();
        if (stdin.isTTY) stdin.setRawMode(wasRaw);
      }
      closing = true;
      closeWhenIdle();
    },
  };
}

export function terminalSize(): { rows: number; cols: number } | undefined {
  return process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined;
}
