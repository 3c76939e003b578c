/**
 * The CLI: commander parses, one file per command under ./commands registers it. Command files
 * are thin and import their library code lazily inside the action, so `minictr run` does not
 * pay for loading the image puller, the net toolkit, and so on. `run`, `ps` and `--version`
 * start from bundles of their own (one-command.ts, version-main.ts), without this table.
 */
import { commandEntry, commands, type Register } from './commands/index.js';
import { runProgram } from './program.js';

/** bin/run-bundle.js writes a command's code cache only after a run that took its usual path
 * (util/code-cache.ts): not `tag busybox` or `compose up` building or pulling an image on
 * first use, whose code every later start of the command would load */
export { tookUsualPath as writesCodeCache } from '../util/code-cache.js';

/** What a command line needs registered: `minictr NAME ...` only NAME's entry, `minictr
 * --version` nothing; anything else (help, no command, an unknown one: its "did you mean"
 * looks at every name, an option before the command) the whole CLI. */
export function commandsFor(words: readonly string[]): readonly Register[] | undefined {
  const [first] = words;
  if (words.length === 1 && (first === '--version' || first === '-V')) return [];
  const named = first === undefined || first.startsWith('-') ? undefined : commandEntry(first);
  return named ? [named.register] : undefined;
}

export async function main(argv: string[]): Promise<void> {
  // start-up is measured against crun's and buildah's (issue 18): a command builds only
  // itself; a top-level --help before it still sees every command
  await runProgram(argv, commandsFor(argv.slice(2)) ?? commands);
}
