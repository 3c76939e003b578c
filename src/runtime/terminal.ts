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

  const onInput = (chunk: Buffer): void => {
    write(master, chunk, () => undefined);
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
      output.destroy();
      native().close(master);
    },
  };
}

export function terminalSize(): { rows: number; cols: number } | undefined {
  return process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined;
}
