/**
 * `minictr run`'s command line is read two ways from one table (src/cli/commands/run-flags.ts):
 * by commander (run.ts defineRun: --help, compose's parseRunArgv, every error) and, for the
 * common command line, by parseRunFlags without commander (main-run.ts). For each argv below
 * the fast parser either declines it (commander then runs) or gives exactly the RunOptions
 * commander gives; the common forms it must take.
 */
import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { defineRun, parseRunArgv, register } from '../../src/cli/commands/run.js';
import { flagNames, parseRunFlags, RUN_FLAGS, runOptionsFrom } from '../../src/cli/commands/run-flags.js';
import { buildProgram } from '../../src/cli/program.js';
import type { RunOptions } from '../../src/runtime/options.js';

/** the fast parser's RunOptions, or undefined when it declines */
function fast(args: string[]): RunOptions | undefined {
  const p = parseRunFlags(args);
  return p && runOptionsFrom(p.image, p.command, p.values);
}

/** commander's, as compose parses a run argv */
function commander(args: string[]): RunOptions | { error: string } {
  try {
    return parseRunArgv(args);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** commander's, as `minictr run ARGS` parses (the program, run a subcommand of it) */
async function program(args: string[]): Promise<RunOptions | { error: string }> {
  const prog = buildProgram([register]).configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  let out: RunOptions | undefined;
  prog.commands[0]!
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .action((image: string, command: string[], o: Record<string, unknown>) => void (out = runOptionsFrom(image, command, o)));
  try {
    await prog.parseAsync(['node', 'minictr', 'run', ...args]);
  } catch (e) {
    return { error: (e as Error).message };
  }
  return out ?? { error: 'no action ran' };
}

/** every flag in each of its forms: --x v, --x=v, -x v, -xv; booleans long and short */
const everyFlag: string[][] = RUN_FLAGS.flatMap((f) => {
  const { short, long } = flagNames(f);
  const names = short ? [long, short] : [long];
  if (f.kind === 'boolean' || f.kind === 'negatable' || f.kind === 'literal') return names.map((n) => [n, 'busybox', 'true']);
  const v = f.kind === 'number' ? '3' : `v-${long.slice(2)}`;
  return [[long, v, 'busybox'], [`${long}=${v}=x`, 'busybox'], ...(short ? [[short, v, 'busybox'], [`${short}${v}`, 'busybox']] : [])];
});

/** the common forms: the fast parser must take each */
const taken: string[][] = [
  ['busybox'],
  ['--rm', '--network', 'none', 'busybox', 'true'],
  ['--rm', '--network=none', 'busybox', 'true'],
  ['-it', 'busybox', 'sh'],
  ['-dit', '--name', 'web', 'nginx'],
  ['-ite', 'K=V', 'busybox', 'env'],
  ['-ieK=V', 'busybox'],
  ['-e', 'A=1', '-e', 'B=2', '--env=C=3', '-eD=4', 'busybox', 'env'],
  ['-v', '/a:/b', '-v', 'vol:/c:ro', '--mount', 'type=tmpfs,dst=/t', '--tmpfs', '/x', 'busybox'],
  ['-p', '8080:80', '-p80', '--publish=1:2/udp', 'nginx'],
  ['--network', 'n1', '--network', 'n2', '--network-alias', 'a', 'busybox'],
  ['-d', '--replicas', '3', 'busybox', 'sleep', '9'],
  ['-d', '--replicas=abc', 'busybox'],
  ['--replicas', '', 'busybox'],
  ['--no-healthcheck', 'busybox'],
  ['--health-cmd', 'true', '--health-interval', '1s', '--health-retries', '2', 'busybox'],
  ['--explain', 'busybox', 'true'],
  ['--explain=full', 'busybox', 'true'],
  ['--explain', '--explain=full', '--step', 'busybox'],
  ['--entrypoint', '', 'busybox'],
  ['--entrypoint=', 'busybox', 'echo', 'x'],
  ['--name', 'a', '--name', 'b', 'busybox'],
  ['--name', '-x', 'busybox'],
  ['--name', '--', 'busybox'],
  ['-h', 'host', '-w', '/tmp', '-u', '1000:1000', '-l', 'k=v', 'busybox'],
  ['-hhost', 'busybox'],
  ['-m', '64m', '--memory-swap', '-1', '--cpus', '0.5', '--pids-limit', '10', 'busybox'],
  ['--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL', '--privileged', '--read-only', 'busybox'],
  ['--security-opt', 'seccomp=unconfined', '--ulimit', 'nofile=1:2', '--sysctl', 'a.b=1', 'busybox'],
  ['--group-add', 'wheel', '--device', '/dev/null', '--shm-size', '1m', '--oom-score-adj', '-5', 'busybox'],
  ['--', 'busybox', 'true'],
  ['--rm', '--', 'busybox', '--rm', '-it'],
  ['busybox', '--rm', '-it', '--help', '--', 'x'],
  ['busybox', 'sh', '-c', 'echo -e "a"'],
  ['-', 'x'],
  ['-d', '-', '-x'],
  ['--', '--rm', 'x'],
  ['--restart', 'always', '-d', 'busybox'],
  ['--userns=remap', '--bridge-driver', 'ovs', '--dns', '1.1.1.1', 'busybox'],
  ['--stop-signal', 'SIGINT', '--stop-timeout', '3', 'busybox'],
  ['--cpu-shares', '2', '--cpu-weight', '5', '--cpuset-cpus', '0', 'busybox'],
  ['-e', '', 'busybox'],
  ['-i', '-t', '-d', 'busybox'],
];

/** what the fast parser must leave to commander (its help or its error) */
const declined: string[][] = [
  [],
  ['--help'],
  ['--help', 'busybox'],
  ['--rm', '--help', 'busybox'],
  ['--bogus', 'busybox'],
  ['--bogus', '--help'],
  ['-x', 'busybox'],
  ['-ix', 'busybox'],
  ['-i=x', 'busybox'],
  ['--rm=1', 'busybox'],
  ['--explain=short', 'busybox'],
  ['--no-healthcheck=1', 'busybox'],
  ['--healthcheck', 'busybox'],
  ['--name'],
  ['--name=x'],
  ['-e'],
  ['-ite'],
  ['--replicas'],
  ['--rm'],
  ['--rm', '--'],
  ['--'],
  ['---rm', 'busybox'],
  ['-V'],
  ['--version', 'busybox'],
  ['--detach=true', 'busybox'],
];

/** forms commander takes that the fast parser declines all the same, as too odd to be sure of:
 * `-i-` is -i and then "--", `-1` an image named -1 */
const odd: string[][] = [['-i-', 'busybox'], ['-1', 'busybox'], ['-d', '-1.5']];

describe("run's flags: the fast parser (run-flags.ts) against commander's (run.ts)", () => {
  const each = (list: string[][]): [string[]][] => list.map((args) => [args]);

  it.each(each([...everyFlag, ...taken]))('takes %j as commander does', async (args) => {
    const mine = fast(args);
    expect(mine, 'the fast parser declined it').toBeDefined();
    expect(mine).toEqual(commander(args));
    expect(mine).toEqual(await program(args));
  });

  it.each(each(declined))('leaves %j to commander', async (args) => {
    expect(fast(args)).toBeUndefined();
    // each is commander's help or one of its errors, which the fast parser must not guess
    expect(commander(args)).toHaveProperty('error');
    expect(await program(args)).toHaveProperty('error');
  });

  it.each(each(odd))('leaves %j to commander, which takes it', async (args) => {
    expect(fast(args)).toBeUndefined();
    expect(commander(args)).toHaveProperty('image');
  });

  it('the corpus names every flag of the table in each of its forms', () => {
    const words = new Set([...everyFlag, ...taken].flat());
    for (const f of RUN_FLAGS) expect(words.has(flagNames(f).long), f.flags).toBe(true);
    expect(everyFlag.length + taken.length + declined.length).toBeGreaterThanOrEqual(60);
  });
});

describe("run's table is commander's options", () => {
  const options = (defineRun(new Command('run')) as unknown as { options: Option[] }).options;

  it('every option commander knows is in the table, with the same names, key and kind of value', () => {
    expect(options.map((o) => o.flags)).toEqual(RUN_FLAGS.map((f) => f.flags));
    for (const [i, o] of options.entries()) {
      const f = RUN_FLAGS[i]!;
      const { short, long, key } = flagNames(f);
      expect({ short: o.short, long: o.long, key: o.attributeName(), required: o.required, negate: o.negate, variadic: o.variadic }, f.flags).toEqual({
        short, long, key, required: f.kind === 'value' || f.kind === 'repeatable' || f.kind === 'number', negate: f.kind === 'negatable', variadic: false,
      });
    }
  });

  it("every short flag is one letter and none is used twice, nor commander's --help", () => {
    const names = RUN_FLAGS.flatMap((f) => { const n = flagNames(f); return n.short ? [n.short, n.long] : [n.long]; });
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain('--help');
  });
});
