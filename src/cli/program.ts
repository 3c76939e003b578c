/**
 * The CLI's core, without the table of commands: commander's program built from the command
 * files it is given, and one command line run to its exit status. main.ts runs it with the
 * commands a command line names; the one-command bundles (one-command.ts: `run`, `ps`) with
 * their one, so that they do not load the other 37 files and their code (BENCHMARKS.md, "The
 * CLI's own start-up").
 */
import { writeSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { InterruptedError, MinictrError } from '../errors.js';
import { checkStateRoots } from '../paths.js';
import { profileMark } from '../util/profile.js';
import type { Register } from './commands/index.js';
import { VERSION } from './version.js';

/** The CLI with the commands given: `minictr ps ...` parses the same with ps alone, and
 * registering all 38 commands (their options and help) was 10-17 ms of every command
 * (BENCHMARKS.md, bench/startup.sh). */
export function buildProgram(commands: readonly Register[]): Command {
  const program = new Command('minictr')
    .description('An educational Linux container runtime and network-namespace toolkit')
    .version(VERSION)
    .enablePositionalOptions()
    .exitOverride()
    // a usage error is one line and a hint, as docker prints it, not the whole help;
    // --version and help written as the commands write (process.stdout's stream: ~1 ms)
    .configureOutput({ writeOut: (s) => writeSync(1, s), writeErr: (s) => writeSync(2, s.replace(/^error: /, 'minictr: ').replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')) });
  for (const register of commands) register(program);
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

/** Run the command line (argv: node, script, words) with these commands registered, and exit
 * with its status. */
export async function runProgram(argv: string[], commands: readonly Register[]): Promise<never> {
  let code: number;
  try {
    checkStateRoots();
    const result: unknown = await buildProgram(commands).parseAsync(argv);
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
