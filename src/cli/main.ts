/**
 * The CLI: commander parses, one file per command under ./commands registers it. Command files
 * are thin and import their library code lazily inside the action, so `minictr run` does not
 * pay for loading the image puller, the net toolkit, and so on.
 */
import { writeSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { MinictrError } from '../errors.js';
import { commands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('minictr')
    .description('An educational Linux container runtime and network-namespace toolkit')
    .version('0.1.0')
    .enablePositionalOptions()
    .exitOverride()
    // a usage error is one line and a hint, as docker prints it, not the whole help
    .configureOutput({ writeErr: (s) => writeSync(2, s.replace(/^error: /, 'minictr: ')) });
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
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof MinictrError) {
    writeSync(2, `minictr: ${err.message}\n`);
    return err.exitCode;
  }
  writeSync(2, `minictr: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 125;
}

export async function main(argv: string[]): Promise<void> {
  let code: number;
  try {
    const result: unknown = await buildProgram().parseAsync(argv);
    void result;
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    code = reportError(err);
  }
  process.exit(code);
}
