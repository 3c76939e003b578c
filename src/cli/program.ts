/**
 * The CLI's core, without the table of commands: commander's program built from the command
 * files it is given, and one command line run to its exit status. main.ts runs it with the
 * commands a command line names; the one-command bundles (one-command.ts: `ps`; main-run.ts
 * for what its own parser declines) with their one, so that they do not load the other 37
 * files and their code (BENCHMARKS.md, "The CLI's own start-up").
 */
import { writeSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { Register } from './commands/index.js';
import { reportError, runToExit } from './exit-status.js';
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

/** commander's errors (it printed them already: 0 for --help and --version, 2 for a usage
 * error), then anything else as every command reports it. */
export function reportCliError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  return reportError(err);
}

/** Run the command line (argv: node, script, words) with these commands registered, and exit
 * with its status. */
export async function runProgram(argv: string[], commands: readonly Register[]): Promise<never> {
  return runToExit(argv, () => buildProgram(commands).parseAsync(argv), reportCliError);
}
