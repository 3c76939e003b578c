/**
 * The CLI: commander parses, one file per command under ./commands registers it. Command files
 * are thin and import their library code lazily inside the action, so `minictr run` does not
 * pay for loading the image puller, the net toolkit, and so on.
 */
import { writeSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { InterruptedError, MinictrError } from '../errors.js';
import { checkStateRoots } from '../paths.js';
import { profileMark } from '../util/profile.js';
import { commandEntry, commands, type Register } from './commands/index.js';

/** The whole CLI, or only the commands given: `minictr ps ...` parses the same with ps alone,
 * and registering all 38 commands (their options and help) was 10-17 ms of every command
 * (BENCHMARKS.md, bench/startup.sh). */
export function buildProgram(only?: readonly Register[]): Command {
  const program = new Command('minictr')
    .description('An educational Linux container runtime and network-namespace toolkit')
    .version('0.1.0')
    .enablePositionalOptions()
    .exitOverride()
    // a usage error is one line and a hint, as docker prints it, not the whole help;
    // --version and help written as the commands write (process.stdout's stream: ~1 ms)
    .configureOutput({ writeOut: (s) => writeSync(1, s), writeErr: (s) => writeSync(2, s.replace(/^error: /, 'minictr: ').replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')) });
  for (const register of only ?? commands) register(program);
  hintOnError(program);
  return program;
}

/** "See 'minictr run --help'." after a usage error of each command. */
function hintOnError(cmd: Command, path = 'minictr'): void {
  cmd.showHelpAfterError(`See '${path} --help'.`);
  for (const sub of cmd.commands) hintOnError(sub, `${path} ${sub.name()}`);
}

export function reportError(err: unknown): number {
  // the reader went away (`minictr view --help | head`): as a shell tool, stop quietly with
  // SIGPIPE's status instead of reporting an error nobody can read
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return 141;
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof MinictrError) {
    writeSync(2, `minictr: ${err.message}\n`);
    return err.exitCode;
  }
  // a bug, or a system error no layer turned into a message: still one line for the user
  // (Docker's 125), the stack only when asked for
  const debug = Boolean(process.env.MINICTR_DEBUG);
  const message = err instanceof Error ? err.message : String(err);
  const detail = debug && err instanceof Error ? (err.stack ?? message) : `${message.split('\n')[0]} (MINICTR_DEBUG=1 shows where)`;
  writeSync(2, `minictr: internal error: ${detail}\n`);
  return 125;
}

/** The command word (argv is node, script, then the words). */
function verbOf(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

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
  let code: number;
  try {
    checkStateRoots();
    // start-up is measured against crun's and buildah's (issue 18): a command builds only
    // itself; a top-level --help before it still sees every command
    const result: unknown = await buildProgram(commandsFor(argv.slice(2))).parseAsync(argv);
    void result;
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    code = reportError(err);
    // docker run's contract: 125 when the runtime fails (a bad flag or name, no such image,
    // a step that failed), 126/127 when the command cannot be run, else the command's status
    // (Ctrl-C at a run --step pause is the shell's 130)
    if (verbOf(argv) === 'run' && code !== 0 && code !== 126 && code !== 127 && !(err instanceof InterruptedError)) code = 125;
  }
  profileMark('exit');
  process.exit(code);
}
