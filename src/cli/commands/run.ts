import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { RunOptions } from '../../runtime/options.js';
import { defaultOf, RUN_FLAGS, runFromFlags, runOptionsFrom, type RunFlag } from './run-flags.js';

/** A flag of run-flags.ts's table as commander's option: the value of each kind is read by
 * commander as parseRunFlags reads it (test/unit/run-flags.test.ts parses both ways). */
function optionOf(f: RunFlag): Option {
  const option = new Option(f.flags, f.description);
  if (f.kind === 'repeatable') option.argParser((value: string, previous: string[]) => [...previous, value]);
  if (f.kind === 'number') option.argParser((value: string) => Number(value));
  // a negatable's true is commander's own default (not shown in --help), as is no default
  const d = defaultOf(f);
  if (d !== undefined && f.kind !== 'negatable') option.default(d);
  return option;
}

/** The run command line: its arguments and options (shared by `run` and compose, which
 * parses the `run` argv it plans with it, so what it prints is what runs). Its options are
 * run-flags.ts's table, which the run bundle also parses without commander (main-run.ts). */
export function defineRun(cmd: Command): Command {
  cmd
    .description('create and run a container from an image')
    .argument('<image>', 'image name[:tag], e.g. busybox or ubuntu')
    .argument('[command...]', 'command and arguments (default: the image\'s)');
  for (const f of RUN_FLAGS) cmd.addOption(optionOf(f));
  return cmd
    .passThroughOptions()
    .helpOption('--help', 'display help for command');
}

export function register(program: Command): void {
  defineRun(program.command('run')).action(runFromFlags);
}

/** `minictr run ARGV` (without "run") as RunOptions; a bad flag is a one-line UsageError. */
export function parseRunArgv(argv: string[]): RunOptions {
  let out: RunOptions | undefined;
  const cmd = defineRun(new Command('run'))
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .action((image: string, command: string[], o: Record<string, unknown>) => {
      out = runOptionsFrom(image, command, o);
    });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    throw new UsageError(`minictr run ${argv.join(' ')}: ${(e as Error).message.replace(/^error: /, '')}`);
  }
  return out!;
}
