/**
 * Class mode (`net demo --step`, `run --step`): wait for Enter before the next step. Ctrl-C
 * at the prompt is an InterruptedError (status 130): the caller undoes what it made.
 */
import { createInterface } from 'node:readline';
import { InterruptedError } from '../errors.js';

export async function waitForEnter(title: string): Promise<void> {
  if (!process.stdin.readable) return;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    await new Promise<void>((resolve, reject) => {
      rl.question(`\n-- press Enter for: ${title} --`, () => resolve());
      rl.once('close', () => resolve());
      rl.once('SIGINT', () => reject(new InterruptedError()));
    });
  } finally {
    rl.close();
  }
}
