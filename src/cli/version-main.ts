/**
 * `minictr --version` (or -V) alone, from a bundle without commander: what commander prints
 * for it (program.ts gives it the same VERSION), after the same check of the state roots that
 * every command makes first. Anything else, a bad MINICTR_ROOT or a failed write (which
 * main.cjs reports as it reports them), returns false and bin/minictr runs main.cjs.
 */
import { writeSync } from 'node:fs';
import { checkStateRoots } from '../paths.js';
import { VERSION } from './version.js';

export function main(argv: string[]): boolean {
  if (argv.length !== 3 || (argv[2] !== '--version' && argv[2] !== '-V')) return false;
  try {
    checkStateRoots();
    writeSync(1, `${VERSION}\n`);
  } catch {
    return false; // main.cjs reports it (EPIPE: quietly, 141)
  }
  process.exit(0);
}
