/**
 * `minictr run ...` from a bundle of its own (bin/run-bundle.js picks it). Its common command
 * line is parsed from run's table of flags without commander (run-flags.ts): building run's
 * options with commander and running its code was ~1/3 of the JavaScript a run executes
 * (BENCHMARKS.md, "Where the time of one `run` goes"). Whatever that parser declines (--help,
 * a bad flag, a missing value...) goes to commander, loaded only then, which prints what it
 * always printed. Any other command returns false, and bin/minictr runs main.cjs for it.
 */
import { parseRunFlags, runFromFlags } from './commands/run-flags.js';
import { runToExit } from './exit-status.js';
import { leftUsualPath } from '../util/code-cache.js';

/** bin/run-bundle.js writes the bundle's code cache only after a run that took the usual
 * path (util/code-cache.ts): not one that needed commander, so the cache holds none of its code */
export { tookUsualPath as writesCodeCache } from '../util/code-cache.js';

export async function main(argv: string[]): Promise<boolean> {
  if (argv[2] !== 'run') return false;
  const parsed = parseRunFlags(argv.slice(3));
  if (parsed) return runToExit(argv, () => runFromFlags(parsed.image, parsed.command, parsed.values));
  leftUsualPath();
  const [{ register }, { runProgram }] = await Promise.all([import('./commands/run.js'), import('./program.js')]);
  return runProgram(argv, [register]);
}
