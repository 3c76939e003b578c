import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { profileMark } from '../../util/profile.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

import type { RunOptions } from '../../runtime/options.js';

/** The run command line: its arguments and options (shared by `run` and compose, which
 * parses the `run` argv it plans with it, so what it prints is what runs). */
export function defineRun(cmd: Command): Command {
  return cmd
    .description('create and run a container from an image')
    .argument('<image>', 'image name[:tag], e.g. busybox or ubuntu')
    .argument('[command...]', 'command and arguments (default: the image\'s)')
    .option('-d, --detach', 'run in the background and print the container id', false)
    .option('-i, --interactive', 'keep stdin attached', false)
    .option('-t, --tty', 'allocate a pseudo-terminal', false)
    .option('--rm', 'remove the container when it exits', false)
    .option('--name <name>', 'container name')
    .option('-h, --hostname <name>', 'hostname inside the container (default: the short id)')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user to run as (name or uid, from the container\'s /etc/passwd)')
    .option('-v, --volume <SRC:CTR[:ro]|CTR>', 'SRC an absolute host path: bind it; else the volume SRC (made on first use; an empty one gets the image\'s files at CTR); CTR alone: an anonymous volume (repeatable)', collect, [])
    .option('--mount <type=...,src=...,dst=...>', 'Docker\'s long form: type=bind|volume|tmpfs, source|src, target|dst|destination, readonly, tmpfs-size (repeatable)', collect, [])
    .addOption(new Option('--tmpfs <path>', 'mount a tmpfs (repeatable)').argParser(collect).default([]))
    .option('--network <mode>', 'bridge (default), a network name, none, host, container:NAME or netns:NAME; repeat it for more networks (eth1, eth2...), each NAME or name=NAME,alias=A', collect, [])
    .option('-p, --publish <[hostip:]hostport:ctrport[/proto]>', 'publish a container port on the host (repeatable)', collect, [])
    .option('--network-alias <name>', 'another name of the container on its first network (repeatable)', collect, [])
    .option('-l, --label <KEY=VALUE>', 'a label kept in the container\'s record (repeatable)', collect, [])
    .option('--dns <ip>', 'DNS server for the container (repeatable)', collect, [])
    .option('--bridge-driver <driver>', 'switch for the default network when it is first made: linux or ovs')
    .option('--replicas <n>', 'with -d: start N identical containers named NAME-1..NAME-N', (v) => Number(v))
    .option('-m, --memory <bytes>', 'memory limit, e.g. 64m or 1g (cgroup memory.max / memory.limit_in_bytes)')
    .option('--memory-swap <bytes>', 'memory + swap limit (-1: unlimited swap; default: twice --memory)')
    .option('--cpus <n>', 'CPU time limit in CPUs, e.g. 0.5 (cgroup cpu.max / cpu.cfs_quota_us)')
    .option('--cpu-shares <n>', 'relative CPU weight, cgroup v1 style (2-262144, default 1024)')
    .option('--cpu-weight <n>', 'relative CPU weight, cgroup v2 style (1-10000, default 100)')
    .option('--cpuset-cpus <list>', 'CPUs the container may run on, e.g. 0 or 0-1')
    .option('--pids-limit <n>', 'maximum number of processes (-1: unlimited)')
    .option('--userns <mode>', 'remap: container root is an unprivileged host uid range (/etc/subuid of minictr or root; auto: the same); host: the default')
    .option('--entrypoint <command>', 'replace the image\'s ENTRYPOINT (its CMD then goes too: give the arguments after the image); "" clears it')
    .option('--stop-signal <signal>', 'what minictr stop sends first (default: the image\'s STOPSIGNAL, else SIGTERM)')
    .option('--stop-timeout <seconds>', 'how long minictr stop waits before SIGKILL when -t is not given (default 10; -1: for ever)')
    .option('--restart <policy>', 'restart when it exits: no (default), on-failure[:N], always or unless-stopped (without -d: run returns at the first exit, the policy goes on)')
    .option('--health-cmd <command>', 'command (run by /bin/sh -c in the container) that checks its health')
    .option('--health-interval <duration>', 'time between health checks, e.g. 1s or 1m30s (default 30s)')
    .option('--health-timeout <duration>', 'longest a health check may run (default 30s)')
    .option('--health-retries <n>', 'failures in a row that make it unhealthy (default 3)')
    .option('--health-start-period <duration>', 'time to start up, when failures do not count (default 0s)')
    .option('--no-healthcheck', 'turn off the image\'s HEALTHCHECK')
    .option('--cap-add <cap>', 'add a Linux capability, e.g. NET_ADMIN, or ALL (repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a Linux capability, or ALL (repeatable)', collect, [])
    .option('--privileged', 'every capability, no seccomp filter, every device, /sys writable', false)
    .option('--read-only', 'mount the root filesystem read-only', false)
    .option('--security-opt <opt>', 'seccomp=unconfined|FILE, no-new-privileges[=false], systempaths=unconfined (repeatable)', collect, [])
    .option('--ulimit <name=soft[:hard]>', 'a resource limit, e.g. nofile=1024:2048 (repeatable)', collect, [])
    .option('--sysctl <key=value>', 'a namespaced kernel parameter, e.g. net.ipv4.ip_forward=1 (repeatable)', collect, [])
    .option('--oom-score-adj <n>', 'how likely the OOM killer picks the container (-1000 to 1000)')
    .option('--shm-size <bytes>', 'size of /dev/shm, e.g. 128m (default 64m)')
    .option('--group-add <group>', 'an additional group (name from the container\'s /etc/group, or a number; repeatable)', collect, [])
    .option('--device <host[:ctr][:rwm]>', 'give the container a host device node (repeatable)', collect, [])
    .option('--explain', 'print each kernel step with its shell equivalent (long paths named once: $ID, $C, $L1)', false)
    // commander takes "--explain=full" as an option of its own (an optional value would eat the image)
    .addOption(new Option('--explain=full', 'the same, every path written out in full'))
    .option('--step', 'class mode: before each kernel step print the container\'s pid and what to look at, wait for Enter (implies --explain)', false)
    .passThroughOptions()
    .helpOption('--help', 'display help for command');
}

export function register(program: Command): void {
  defineRun(program.command('run')).action(async (image: string, command: string[], o: Record<string, unknown>) => {
    const { runContainer } = await import('../../runtime/run.js');
    profileMark('run-loaded');
    process.exitCode = await runContainer(runOptionsFrom(image, command, o));
  });
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

function runOptionsFrom(image: string, command: string[], o: Record<string, unknown>): RunOptions {
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
    limits: {
      memory: o.memory as string | undefined,
      memorySwap: o.memorySwap as string | undefined,
      cpus: o.cpus as string | undefined,
      cpuShares: o.cpuShares as string | undefined,
      cpuWeight: o.cpuWeight as string | undefined,
      cpusetCpus: o.cpusetCpus as string | undefined,
      pidsLimit: o.pidsLimit as string | undefined,
    },
  };
}
