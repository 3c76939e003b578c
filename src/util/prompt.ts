/**
 * Class mode (`net demo --step`, `run --step`): wait for Enter before the next step. Ctrl-C
 * at the prompt is an InterruptedError (status 130): the caller undoes what it made. On a
 * terminal readline sees Ctrl-C as a key; from a pipe it is a real SIGINT, caught the same way
 * for as long as the prompt waits.
 */
import { createInterface } from 'node:readline';
import { InterruptedError } from '../errors.js';

export async function waitForEnter(title: string): Promise<void> {
  if (!process.stdin.readable) return;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  let onSignal: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onSignal = () => reject(new InterruptedError());
      process.once('SIGINT', onSignal);
      rl.question(`\n-- press Enter for: ${title} --`, () => resolve());
      rl.once('close', () => resolve());
      rl.once('SIGINT', onSignal);
    });
  } finally {
    if (onSignal) process.off('SIGINT', onSignal);
    rl.close();
  }
}
