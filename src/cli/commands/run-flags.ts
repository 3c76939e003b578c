/**
 * `minictr run`'s options, defined once: commander builds run's command from this table
 * (run.ts defineRun, for --help, compose and every error message), and parseRunFlags reads
 * the common command line from it without commander. Building run's 55 options with
 * commander and parsing them was ~7 M instructions of each run's start, and commander's code
 * a third of what the run executes, so of the code cache V8 deserialises (BENCHMARKS.md,
 * "the run bundle's load"). No import of commander here: main-run.ts loads it only for a
 * command line this parser declines.
 */
import { profileMark } from '../../util/profile.js';
import type { LimitFlags } from '../../cgroup/limits.js';
import type { RunOptions } from '../../runtime/options.js';

/** How a flag is read, as commander reads the flags of each form (run.ts optionOf):
 * - boolean: true when given, `false` by default (--help shows "(default: false)")
 * - value: the next word, or the rest of `--flag=VALUE` / `-fVALUE`; the last one wins
 * - repeatable: each value collected, `[]` by default
 * - number: a value, Number() of it (NaN is left to the run's own check)
 * - negatable: `--no-X`, whose attribute X is true unless it is given
 * - literal: a boolean whose long name holds the `=`, no default: `--explain=full` (an
 *   optional value of --explain would eat the image) */
export type RunFlagKind = 'boolean' | 'value' | 'repeatable' | 'number' | 'negatable' | 'literal';

export interface RunFlag {
  /** commander's flags: `-s, --long` and `<value>` for the kinds that take one */
  readonly flags: string;
  readonly description: string;
  readonly kind: RunFlagKind;
}

const flag = (flags: string, kind: RunFlagKind, description: string): RunFlag => ({ flags, kind, description });

/** In --help's order. */
export const RUN_FLAGS: readonly RunFlag[] = [
  flag('-d, --detach', 'boolean', 'run in the background and print the container id'),
  flag('-i, --interactive', 'boolean', 'keep stdin attached'),
  flag('-t, --tty', 'boolean', 'allocate a pseudo-terminal'),
  flag('--rm', 'boolean', 'remove the container when it exits'),
  flag('--name <name>', 'value', 'container name'),
  flag('-h, --hostname <name>', 'value', 'hostname inside the container (default: the short id)'),
  flag('-e, --env <KEY=VALUE>', 'repeatable', 'set an environment variable (repeatable)'),
  flag('-w, --workdir <dir>', 'value', 'working directory inside the container'),
  flag('-u, --user <user[:group]>', 'value', 'user to run as (name or uid, from the container\'s /etc/passwd)'),
  flag('-v, --volume <SRC:CTR[:ro]|CTR>', 'repeatable', 'SRC an absolute host path: bind it; else the volume SRC (made on first use; an empty one gets the image\'s files at CTR); CTR alone: an anonymous volume (repeatable)'),
  flag('--mount <type=...,src=...,dst=...>', 'repeatable', 'Docker\'s long form: type=bind|volume|tmpfs, source|src, target|dst|destination, readonly, tmpfs-size (repeatable)'),
  flag('--tmpfs <path>', 'repeatable', 'mount a tmpfs (repeatable)'),
  flag('--network <mode>', 'repeatable', 'bridge (default), a network name, none, host, container:NAME or netns:NAME; repeat it for more networks (eth1, eth2...), each NAME or name=NAME,alias=A'),
  flag('-p, --publish <[hostip:]hostport:ctrport[/proto]>', 'repeatable', 'publish a container port on the host (repeatable)'),
  flag('--network-alias <name>', 'repeatable', 'another name of the container on its first network (repeatable)'),
  flag('-l, --label <KEY=VALUE>', 'repeatable', 'a label kept in the container\'s record (repeatable)'),
  flag('--dns <ip>', 'repeatable', 'DNS server for the container (repeatable)'),
  flag('--bridge-driver <driver>', 'value', 'switch for the default network when it is first made: linux or ovs'),
  flag('--replicas <n>', 'number', 'with -d: start N identical containers named NAME-1..NAME-N'),
  flag('-m, --memory <bytes>', 'value', 'memory limit, e.g. 64m or 1g (cgroup memory.max / memory.limit_in_bytes)'),
  flag('--memory-swap <bytes>', 'value', 'memory + swap limit (-1: unlimited swap; default: twice --memory)'),
  flag('--cpus <n>', 'value', 'CPU time limit in CPUs, e.g. 0.5 (cgroup cpu.max / cpu.cfs_quota_us)'),
  flag('--cpu-shares <n>', 'value', 'relative CPU weight, cgroup v1 style (2-262144, default 1024)'),
  flag('--cpu-weight <n>', 'value', 'relative CPU weight, cgroup v2 style (1-10000, default 100)'),
  flag('--cpuset-cpus <list>', 'value', 'CPUs the container may run on, e.g. 0 or 0-1'),
  flag('--pids-limit <n>', 'value', 'maximum number of processes (-1: unlimited)'),
  flag('--userns <mode>', 'value', 'remap: container root is an unprivileged host uid range (/etc/subuid of minictr or root; auto: the same); host: the default'),
  flag('--entrypoint <command>', 'value', 'replace the image\'s ENTRYPOINT (its CMD then goes too: give the arguments after the image); "" clears it'),
  flag('--stop-signal <signal>', 'value', 'what minictr stop sends first (default: the image\'s STOPSIGNAL, else SIGTERM)'),
  flag('--stop-timeout <seconds>', 'value', 'how long minictr stop waits before SIGKILL when -t is not given (default 10; -1: for ever)'),
  flag('--restart <policy>', 'value', 'restart when it exits: no (default), on-failure[:N], always or unless-stopped (without -d: run returns at the first exit, the policy goes on)'),
  flag('--health-cmd <command>', 'value', 'command (run by /bin/sh -c in the container) that checks its health'),
  flag('--health-interval <duration>', 'value', 'time between health checks, e.g. 1s or 1m30s (default 30s)'),
  flag('--health-timeout <duration>', 'value', 'longest a health check may run (default 30s)'),
  flag('--health-retries <n>', 'value', 'failures in a row that make it unhealthy (default 3)'),
  flag('--health-start-period <duration>', 'value', 'time to start up, when failures do not count (default 0s)'),
  flag('--no-healthcheck', 'negatable', 'turn off the image\'s HEALTHCHECK'),
  flag('--cap-add <cap>', 'repeatable', 'add a Linux capability, e.g. NET_ADMIN, or ALL (repeatable)'),
  flag('--cap-drop <cap>', 'repeatable', 'drop a Linux capability, or ALL (repeatable)'),
  flag('--privileged', 'boolean', 'every capability, no seccomp filter, every device, /sys writable'),
  flag('--read-only', 'boolean', 'mount the root filesystem read-only'),
  flag('--security-opt <opt>', 'repeatable', 'seccomp=unconfined|FILE, no-new-privileges[=false], systempaths=unconfined (repeatable)'),
  flag('--ulimit <name=soft[:hard]>', 'repeatable', 'a resource limit, e.g. nofile=1024:2048 (repeatable)'),
  flag('--sysctl <key=value>', 'repeatable', 'a namespaced kernel parameter, e.g. net.ipv4.ip_forward=1 (repeatable)'),
  flag('--oom-score-adj <n>', 'value', 'how likely the OOM killer picks the container (-1000 to 1000)'),
  flag('--shm-size <bytes>', 'value', 'size of /dev/shm, e.g. 128m (default 64m)'),
  flag('--group-add <group>', 'repeatable', 'an additional group (name from the container\'s /etc/group, or a number; repeatable)'),
  flag('--device <host[:ctr][:rwm]>', 'repeatable', 'give the container a host device node (repeatable)'),
  flag('--explain', 'boolean', 'print each kernel step with its shell equivalent (long paths named once: $ID, $C, $L1)'),
  flag('--explain=full', 'literal', 'the same, every path written out in full'),
  flag('--step', 'boolean', 'class mode: before each kernel step print the container\'s pid and what to look at, wait for Enter (implies --explain)'),
];

/** What a parse gives: the values by attribute name, as commander's opts() has them. */
export type RunFlagValues = Record<string, unknown>;

/** `run`'s words, parsed: the image, the command after it, the options' values. */
export interface RunArgv {
  readonly image: string;
  readonly command: string[];
  readonly values: RunFlagValues;
}

/** A flag's names and its key in the values: `-e, --env <KEY=VALUE>` is -e, --env and env,
 * `--no-healthcheck` is healthcheck, `--network-alias` networkAlias (commander's
 * attributeName; test/unit/run-flags.test.ts compares them). */
export function flagNames(f: RunFlag): { short?: string; long: string; key: string } {
  // string operations, not regexes: V8 compiles each regex on its first use, and these run
  // for every flag at each run's start
  const [first, second] = f.flags.split(' ', 2) as [string, string?];
  const short = first.startsWith('--') ? undefined : first.slice(0, -1);
  const long = short === undefined ? first : second!;
  const name = f.kind === 'negatable' && long.startsWith('--no-') ? long.slice(5) : long.slice(2);
  const words = name.split('-');
  let key = words[0]!;
  for (let i = 1; i < words.length; i++) key += words[i]!.charAt(0).toUpperCase() + words[i]!.slice(1);
  return { short, long, key };
}

/** The value a flag has when it is not given (commander: its default, or a negatable's true). */
export function defaultOf(f: RunFlag): false | true | [] | undefined {
  return f.kind === 'boolean' ? false : f.kind === 'repeatable' ? [] : f.kind === 'negatable' ? true : undefined;
}

const takesValue = (f: RunFlag): boolean => f.kind === 'value' || f.kind === 'repeatable' || f.kind === 'number';

interface NamedFlag { readonly flag: RunFlag; readonly key: string }

/** Each flag with its key, and the flags by name (-e and --env), made once on first use:
 * parseRunFlags needs every key for the defaults and then a name per word (once for each,
 * with regexes, parsing was 1.50 M instructions of each run's start, now 1.15 M:
 * BENCHMARKS.md, "the run module's start, counted by module"). */
let named: { readonly all: readonly NamedFlag[]; readonly byName: ReadonlyMap<string, NamedFlag> } | undefined;

function namedFlags(): NonNullable<typeof named> {
  if (!named) {
    const all: NamedFlag[] = [];
    const byName = new Map<string, NamedFlag>();
    for (const f of RUN_FLAGS) {
      const { short, long, key } = flagNames(f);
      const n = { flag: f, key };
      all.push(n);
      byName.set(long, n);
      if (short) byName.set(short, n);
    }
    named = { all, byName };
  }
  return named;
}

function lookup(name: string): NamedFlag | undefined {
  return namedFlags().byName.get(name);
}

function set(values: RunFlagValues, f: NamedFlag, value?: string): void {
  const k = f.flag.kind;
  values[f.key] = k === 'repeatable' ? [...(values[f.key] as string[]), value] : k === 'number' ? Number(value) : k === 'value' ? value : k !== 'negatable';
}

/**
 * `minictr run ARGS` read as commander reads it (run.ts defineRun: options up to the image,
 * all after it the command's, `--` ends the options, `--flag=V`, `--flag V`, `-eV`, `-e V`,
 * short booleans grouped with at most one value flag last, as in `-ite K=V`), or undefined
 * for anything else: an unknown flag (--help too), a missing value, no image, a word it is
 * not sure of. It never guesses: commander then parses the same words and prints its help or
 * its error, exactly as before.
 */
export function parseRunFlags(args: readonly string[]): RunArgv | undefined {
  const values: RunFlagValues = {};
  for (const { flag: f, key } of namedFlags().all) {
    const d = defaultOf(f);
    if (d !== undefined) values[key] = d;
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return args.length > i + 1 ? { image: args[i + 1]!, command: args.slice(i + 2), values } : undefined;
    // commander's operand: "-" alone, or any word that does not start with "-"
    if (arg.length < 2 || arg[0] !== '-') return { image: arg, command: args.slice(i + 1), values };
    if (arg[1] === '-') {
      const exact = lookup(arg);
      const eq = arg.indexOf('=');
      if (exact) {
        if (!takesValue(exact.flag)) set(values, exact);
        else if (i + 1 < args.length) set(values, exact, args[++i]);
        else return undefined;
        continue;
      }
      const named = eq > 2 ? lookup(arg.slice(0, eq)) : undefined;
      if (!named || !takesValue(named.flag)) return undefined;
      set(values, named, arg.slice(eq + 1));
      continue;
    }
    // a group of short flags: booleans, then perhaps one that takes the rest or the next word
    for (let j = 1; j < arg.length; j++) {
      const short = lookup(`-${arg[j]}`);
      if (!short) return undefined;
      if (!takesValue(short.flag)) {
        set(values, short);
        continue;
      }
      if (j + 1 < arg.length) set(values, short, arg.slice(j + 1));
      else if (i + 1 < args.length) set(values, short, args[++i]);
      else return undefined;
      break;
    }
  }
  return undefined;
}

/** Run the parsed command line (from commander's action or parseRunFlags). */
export async function runFromFlags(image: string, command: string[], values: RunFlagValues): Promise<void> {
  const { runContainer } = await import('../../runtime/run.js');
  profileMark('run-loaded');
  process.exitCode = await runContainer(runOptionsFrom(image, command, values));
}

const LIMIT_FLAGS = ['memory', 'memorySwap', 'cpus', 'cpuShares', 'cpuWeight', 'cpusetCpus', 'pidsLimit'] as const satisfies readonly (keyof LimitFlags)[];

/** RunOptions from the parsed command line (either parser's values). */
export function runOptionsFrom(image: string, command: string[], o: RunFlagValues): RunOptions {
  return {
    image,
    command,
    interactive: Boolean(o.interactive),
    tty: Boolean(o.tty),
    rm: Boolean(o.rm),
    name: o.name as string | undefined,
    hostname: o.hostname as string | undefined,
    env: o.env as string[],
    workdir: o.workdir as string | undefined,
    volumes: o.volume as string[],
    mounts: o.mount as string[],
    tmpfs: o.tmpfs as string[],
    explain: Boolean(o.explain) || Boolean(o['explain=full']),
    explainFull: Boolean(o['explain=full']),
    step: Boolean(o.step),
    detach: Boolean(o.detach),
    user: o.user as string | undefined,
    replicas: o.replicas as number | undefined,
    network: o.network as string[],
    publish: o.publish as string[],
    dns: o.dns as string[],
    networkAliases: o.networkAlias as string[],
    labels: o.label as string[],
    bridgeDriver: o.bridgeDriver as string | undefined,
    userns: o.userns as string | undefined,
    restart: o.restart as string | undefined,
    entrypoint: o.entrypoint as string | undefined,
    stopSignal: o.stopSignal as string | undefined,
    stopTimeout: o.stopTimeout as string | undefined,
    health: {
      cmd: o.healthCmd as string | undefined,
      interval: o.healthInterval as string | undefined,
      timeout: o.healthTimeout as string | undefined,
      retries: o.healthRetries as string | undefined,
      startPeriod: o.healthStartPeriod as string | undefined,
      none: o.healthcheck === false,
    },
    security: {
      capAdd: o.capAdd as string[],
      capDrop: o.capDrop as string[],
      privileged: Boolean(o.privileged),
      readOnly: Boolean(o.readOnly),
      securityOpt: o.securityOpt as string[],
      ulimit: o.ulimit as string[],
      sysctl: o.sysctl as string[],
      oomScoreAdj: o.oomScoreAdj as string | undefined,
      shmSize: o.shmSize as string | undefined,
      groupAdd: o.groupAdd as string[],
      device: o.device as string[],
    },
    // the limit flags' attributes are LimitFlags' own names
    limits: Object.fromEntries(LIMIT_FLAGS.map((k) => [k, o[k] as string | undefined])),
  };
}
