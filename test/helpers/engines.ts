/**
 * The real engines for the minictr-oci tests, from Debian's packages: a containerd of the
 * test's own (with `ctr`), podman and buildah with storage of their own, each pointed at
 * bin/minictr-oci, and a busybox root filesystem for them to run.
 *
 * Everything an engine keeps lives under one temp dir below the suite's MINICTR_TEST_BASE (so
 * its path contains "minictr", and the suite's leak check sees its mounts). Each engine's
 * stop()/cleanup() removes what it made and returns what it had to clean up by force, which
 * the tests expect to be nothing: no process (containerd, shim, conmon, podman's cleanup
 * process), no mount, no cgroup below minictr-oci/, no state dir of minictr-oci.
 *
 * Every minictr-oci call is recorded (a trace.jsonl in each state root turns on
 * minictr-oci's call trace), so the ids it created are known and their cgroups checked.
 *
 * MINICTR_TEST_OCI_RUNTIME=/usr/sbin/runc runs the same tests against runc (the oracle:
 * they must pass there too); =/bin/false shows that they fail when the runtime does nothing.
 */
import { execa, type Options, type Result } from 'execa';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findStaticBusybox } from '../../src/image/busybox.js';
import { cgroupDirsNamed } from './cgroup.js';
import { uniq } from './cli.js';
import { testBase } from './image-fixtures.js';

export const OCI_BIN = fileURLToPath(new URL('../../bin/minictr-oci', import.meta.url));
/** The OCI runtime the engines are given: minictr-oci, unless the environment says otherwise. */
export const OCI_RUNTIME = process.env.MINICTR_TEST_OCI_RUNTIME || OCI_BIN;

/** One engine command that hangs is killed (and fails its test) rather than the whole file. */
const CMD_TIMEOUT_MS = 60_000;

export type EngineResult = Result<{ reject: false }>;

async function tool(file: string, args: string[], opts: Options = {}): Promise<EngineResult> {
  const stdin = opts.input !== undefined || opts.inputFile !== undefined ? {} : { stdin: 'ignore' as const };
  return (await execa(file, args, { reject: false, timeout: CMD_TIMEOUT_MS, killSignal: 'SIGKILL', ...stdin, ...opts } as Options)) as unknown as EngineResult;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until check() returns something truthy; undefined after ms. */
export async function waitFor<T>(check: () => T | Promise<T>, ms = 10_000, every = 50): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) return undefined;
    await sleep(every);
  }
}

export async function engineDir(prefix: string): Promise<string> {
  return mkdtemp(join(testBase(), prefix));
}

// ---------------------------------------------------------------------------------------------
// What is left on the host

/** Host processes whose command line mentions text (every engine process has its dir in it). */
export function processesMentioning(text: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue; // gone meanwhile
    }
    if (cmd.includes(text)) out.push({ pid: Number(e), cmd });
  }
  return out;
}

/** Mount points (in this mount namespace, the host's) at or below dir. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Unmount everything at or below dir, deepest first; returns what was mounted. */
export async function unmountUnder(dir: string): Promise<string[]> {
  const mounts = mountsUnder(dir);
  for (const m of [...mounts].sort((a, b) => b.length - a.length)) await tool('umount', ['-l', m]);
  return mounts;
}

/** Every cgroup directory below minictr-oci/ (in any hierarchy) whose name is one of names. */
export function ociCgroupDirs(names: string[]): string[] {
  const out: string[] = [];
  // /sys/fs/cgroup/minictr-oci (v2), /sys/fs/cgroup/<controller>/minictr-oci (v1, hybrid)
  const tops = [join('/sys/fs/cgroup', 'minictr-oci'), ...safeReaddir('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c, 'minictr-oci'))];
  for (const t of tops) if (existsSync(t)) out.push(...cgroupDirsNamed(names, t, 4));
  return out.sort();
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** rmdir cgroup dirs, deepest first (they must be empty of processes). */
function removeCgroupDirs(dirs: string[]): void {
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(d);
    } catch {
      /* still busy: reported anyway */
    }
  }
}

/** SIGKILL these processes (ours: they mention our dir) and wait until they are gone. */
async function killAll(procs: { pid: number }[]): Promise<void> {
  for (const p of procs) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitFor(() => procs.every((p) => !existsSync(`/proc/${p.pid}`)), 5000);
}

// ---------------------------------------------------------------------------------------------
// minictr-oci's own record of its calls

/** A state root for minictr-oci, with its call trace turned on. */
function traceRoot(root: string): void {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  writeFileSync(join(root, 'trace.jsonl'), '', { flag: 'a' });
}

export interface OciCall {
  /** the arguments after the program */
  args: string[];
  exitCode: number;
  verb: string;
}

/** Global flags that take a value as the next argument (--root DIR, --log FILE ...). */
const GLOBAL_WITH_VALUE = new Set(['--root', '--log', '--log-format', '--criu', '--rootless']);

/** Every minictr-oci call under this state root, in order. */
export function ociCalls(root: string): OciCall[] {
  let text: string;
  try {
    text = readFileSync(join(root, 'trace.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map((l) => {
    const rec = JSON.parse(l) as { argv: string[]; exitCode: number };
    const args = rec.argv.slice(1); // argv[0] is bin/minictr-oci itself
    let i = 0;
    while (i < args.length && args[i]!.startsWith('-')) i += GLOBAL_WITH_VALUE.has(args[i]!) ? 2 : 1;
    return { args, exitCode: rec.exitCode, verb: args[i] ?? '' };
  });
}

/** Container ids minictr-oci created under this root. */
export function createdIds(root: string): string[] {
  // `create [flags] ID`: the id comes last
  return [...new Set(ociCalls(root).filter((c) => c.verb === 'create').map((c) => c.args[c.args.length - 1]!))];
}

/** Containers still recorded under a runtime's state root (one dir each). */
function ociStateLeft(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** What a runtime's state root still holds, removed with `RUNTIME delete --force`. */
async function cleanOciRoot(root: string, cgroupNames: string[]): Promise<string[]> {
  const leaks: string[] = [];
  for (const id of ociStateLeft(root)) {
    leaks.push(`runtime state: ${join(root, id)}`);
    await tool(OCI_RUNTIME, ['--root', root, 'delete', '--force', id]);
  }
  const cgroups = ociCgroupDirs(cgroupNames);
  for (const d of cgroups) leaks.push(`cgroup: ${d}`);
  removeCgroupDirs(cgroups);
  return leaks;
}

// ---------------------------------------------------------------------------------------------
// A busybox root filesystem

export interface RootfsFile {
  /** copy this host file */
  from?: string;
  content?: string;
  mode?: number;
}

/** The host's static busybox as a root filesystem in dir: every applet a relative symlink,
 * root in /etc/passwd, and any extra files (path inside -> file). */
export async function busyboxRootfs(dir: string, extra: Record<string, RootfsFile> = {}): Promise<string> {
  const busybox = await findStaticBusybox();
  for (const [d, mode] of [['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['proc', 0o555], ['root', 0o700], ['run', 0o755], ['sys', 0o555], ['tmp', 0o1777], ['usr', 0o755], ['var', 0o755]] as const) {
    mkdirSync(join(dir, d), { recursive: true });
    chmodSync(join(dir, d), mode);
  }
  copyFileSync(busybox, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = (await execa(busybox, ['--list-full'])).stdout
    .split('\n')
    .map((l) => l.trim().replace(/^\/+/, ''))
    .filter((l) => l && l !== 'bin/busybox' && !l.split('/').includes('..'));
  for (const a of new Set(applets)) {
    mkdirSync(dirname(join(dir, a)), { recursive: true });
    symlinkSync(relative(dirname(`/${a}`), '/bin/busybox'), join(dir, a));
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  for (const [path, f] of Object.entries(extra)) {
    const to = join(dir, path);
    mkdirSync(dirname(to), { recursive: true });
    if (f.from) copyFileSync(f.from, to);
    else writeFileSync(to, f.content ?? '');
    chmodSync(to, f.mode ?? 0o644);
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// A terminal

export { ptyDrive, type PtyStep } from './pty.js';

// ---------------------------------------------------------------------------------------------
// containerd

export interface Containerd {
  dir: string;
  /** its gRPC socket */
  address: string;
  /** the ctr namespace of this run */
  namespace: string;
  /** where the runc shim keeps runtime state: minictr-oci gets it as --root */
  runtimeRoot: string;
  /** `ctr -a ADDRESS -n NAMESPACE ...args` */
  ctr(args: string[], opts?: Options): Promise<EngineResult>;
  /** Remove every task and container, stop containerd; returns what had to be cleaned by force. */
  stop(): Promise<string[]>;
}

const SHIM_SOCKETS = '/run/containerd/s';

/** containerd 1.6's shim socket for a container (runtime/v2/shim.SocketAddress). */
function shimSocket(address: string, namespace: string, id: string): string {
  return join(SHIM_SOCKETS, createHash('sha256').update(join(address, namespace, id)).digest('hex'));
}

/** A containerd of this test's own: its own socket, root and state under a temp dir, the CRI
 * plugin (and the snapshotters --rootfs does not need) off, and a ctr namespace of this run,
 * so the shim's `--root /run/containerd/runc/<namespace>` is this run's alone. */
export async function startContainerd(): Promise<Containerd> {
  const dir = await engineDir('containerd-');
  const address = join(dir, 'c.sock');
  const namespace = uniq('minictr-', 10);
  const runtimeRoot = join('/run/containerd/runc', namespace);
  const config = join(dir, 'config.toml');
  writeFileSync(config, [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
    '[grpc]',
    `  address = "${address}"`,
    '[ttrpc]',
    `  address = "${address}.ttrpc"`,
    '[debug]',
    '  level = "warn"',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${dir}/opt"`,
    '',
  ].join('\n'));
  // the shim makes this dir; made first, so minictr-oci's trace file is in it from the start
  if (OCI_RUNTIME === OCI_BIN) traceRoot(runtimeRoot);
  const child = execa('containerd', ['--config', config], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: { file: join(dir, 'containerd.log') } });
  let exited = false;
  void child.then(() => (exited = true));
  const ctr = (args: string[], opts: Options = {}): Promise<EngineResult> => tool('ctr', ['-a', address, '-n', namespace, ...args], opts);
  const ready = await waitFor(async () => exited || (existsSync(address) && (await ctr(['version'])).exitCode === 0), 15_000);
  if (!ready || exited) {
    child.kill('SIGKILL');
    await child;
    const log = readFileSync(join(dir, 'containerd.log'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    rmSync(runtimeRoot, { recursive: true, force: true });
    throw new Error(`containerd did not start:\n${log.slice(-2000)}`);
  }

  return {
    dir,
    address,
    namespace,
    runtimeRoot,
    ctr,
    async stop() {
      const leaks: string[] = [];
      // what the tests left: tasks first (killed, then deleted), then containers
      const tasks = (await ctr(['task', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
      for (const t of tasks) {
        leaks.push(`task: ${t}`);
        await ctr(['task', 'kill', '-s', 'SIGKILL', t]);
        await ctr(['task', 'rm', '-f', t]);
      }
      const containers = (await ctr(['container', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
      for (const c of containers) {
        leaks.push(`container: ${c}`);
        await ctr(['container', 'rm', c]);
      }
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await child;
      clearTimeout(t);
      // shims outlive containerd by design: any still there is a task that never ended
      const shims = processesMentioning(dir);
      for (const p of shims) leaks.push(`process: ${p.pid} ${p.cmd}`);
      await killAll(shims);
      for (const p of shims) {
        const id = /-id (\S+)/.exec(p.cmd)?.[1];
        if (id) rmSync(shimSocket(address, namespace, id), { force: true });
      }
      const ids = OCI_RUNTIME === OCI_BIN ? createdIds(runtimeRoot) : [];
      leaks.push(...(await cleanOciRoot(runtimeRoot, [namespace, ...ids])));
      for (const id of ids) if (existsSync(shimSocket(address, namespace, id))) leaks.push(`shim socket: ${shimSocket(address, namespace, id)}`);
      rmSync(runtimeRoot, { recursive: true, force: true });
      // another runtime (the oracle, runc) leaves the namespace's parent cgroup /<namespace>
      if (OCI_RUNTIME !== OCI_BIN) removeCgroupDirs(safeReaddir('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c, namespace)).filter((d) => existsSync(d)));
      for (const m of await unmountUnder(dir)) leaks.push(`mount: ${m}`);
      rmSync(dir, { recursive: true, force: true });
      return leaks;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// podman

/** podman's default ulimits exceed this machine's hard limits: every run gets both. */
export const PODMAN_RUN_FLAGS = ['--network', 'none', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096'];

export interface Podman {
  dir: string;
  /** minictr-oci's --root for this podman */
  stateRoot: string;
  /** `podman GLOBAL-FLAGS ...args` */
  podman(args: string[], opts?: Options): Promise<EngineResult>;
  /** the command line, for a terminal */
  argv(args: string[]): string[];
  env: Record<string, string>;
  /** Remove every container, image and the storage; returns what had to be cleaned by force. */
  cleanup(): Promise<string[]>;
}

/**
 * The runtime podman is given: a two-line script named minictr-oci that adds this run's
 * --root unless the call has one, then execs the real runtime. podman passes
 * `--runtime-flag root=DIR` on every call it makes itself, but the exit command conmon runs
 * when a container ends (`podman container cleanup [--rm]`, which calls `RUNTIME delete
 * --force ID`) is built without the runtime flags (podman 4.3.1; the same with runc): without
 * the script that delete would look in the default root and leave the container behind.
 */
function runtimeWrapper(dir: string, stateRoot: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const path = join(bin, 'minictr-oci');
  writeFileSync(path, [
    '#!/bin/sh',
    'for a; do case "$a" in --root|--root=*) exec "$MINICTR_REAL_RUNTIME" "$@";; esac; done',
    `exec "$MINICTR_REAL_RUNTIME" --root ${stateRoot} "$@"`,
    '',
  ].join('\n').replace(/\$MINICTR_REAL_RUNTIME/g, OCI_RUNTIME), { mode: 0o755 });
  return path;
}

export async function startPodman(): Promise<Podman> {
  const dir = await engineDir('podman-');
  const stateRoot = join(dir, 'oci');
  if (OCI_RUNTIME === OCI_BIN) traceRoot(stateRoot);
  for (const d of ['tmp', 'net', 'volumes', 'imagetmp']) mkdirSync(join(dir, d), { recursive: true });
  const global = [
    '--root', join(dir, 'root'),
    '--runroot', join(dir, 'runroot'),
    '--tmpdir', join(dir, 'tmp'),
    '--volumepath', join(dir, 'volumes'),
    '--network-config-dir', join(dir, 'net'),
    '--storage-driver', 'overlay',
    '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'file',
    '--runtime', runtimeWrapper(dir, stateRoot),
    '--runtime-flag', `root=${stateRoot}`,
  ];
  // image copies and imports go to $TMPDIR (default /var/tmp)
  const env = { TMPDIR: join(dir, 'imagetmp') };
  // podman's conmon joins <controller>/libpod_parent/conmon: podman's own, removed if we made it
  const hadLibpodParent = existsSync('/sys/fs/cgroup/pids/libpod_parent') || existsSync('/sys/fs/cgroup/libpod_parent');
  const podman = (args: string[], opts: Options = {}): Promise<EngineResult> => tool('podman', [...global, ...args], { env, ...opts });
  return {
    dir,
    stateRoot,
    podman,
    env,
    argv: (args) => ['podman', ...global, ...args],
    async cleanup() {
      const leaks: string[] = [];
      const left = (await podman(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
      for (const c of left) leaks.push(`podman container: ${c}`);
      if (left.length) await podman(['rm', '-af', '-t', '0']);
      // conmon and its exit command (podman container cleanup) end on their own: wait for them
      const settled = await waitFor(() => processesMentioning(dir).length === 0, 15_000);
      if (!settled) {
        const procs = processesMentioning(dir);
        for (const p of procs) leaks.push(`process: ${p.pid} ${p.cmd}`);
        await killAll(procs);
      }
      const reset = await podman(['system', 'reset', '-f']);
      if (reset.exitCode !== 0) leaks.push(`podman system reset: ${reset.stderr}`);
      for (const m of await unmountUnder(dir)) leaks.push(`mount: ${m}`);
      const ids = OCI_RUNTIME === OCI_BIN ? createdIds(stateRoot) : [];
      leaks.push(...(await cleanOciRoot(stateRoot, ids.flatMap((id) => [id, `libpod-${id}`]))));
      if (!hadLibpodParent) {
        removeCgroupDirs(safeReaddir('/sys/fs/cgroup').flatMap((c) => [join('/sys/fs/cgroup', c, 'libpod_parent', 'conmon'), join('/sys/fs/cgroup', c, 'libpod_parent')]).filter((d) => existsSync(d)));
      }
      rmSync(dir, { recursive: true, force: true });
      return leaks;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// buildah

export interface Buildah {
  dir: string;
  stateRoot: string;
  /** `buildah GLOBAL-FLAGS ...args` */
  buildah(args: string[], opts?: Options): Promise<EngineResult>;
  /** `buildah run` flags: the runtime, its --root, no network */
  runFlags: string[];
  cleanup(): Promise<string[]>;
}

export async function startBuildah(): Promise<Buildah> {
  const dir = await engineDir('buildah-');
  const stateRoot = join(dir, 'oci');
  if (OCI_RUNTIME === OCI_BIN) traceRoot(stateRoot);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const global = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', 'overlay'];
  // buildah run writes each container's bundle (config.json) in $TMPDIR (default /var/tmp)
  const env = { TMPDIR: join(dir, 'tmp') };
  const buildah = (args: string[], opts: Options = {}): Promise<EngineResult> => tool('buildah', [...global, ...args], { env, ...opts });
  return {
    dir,
    stateRoot,
    buildah,
    // buildah passes --runtime-flag to every call (create, start, state, delete) as --root=DIR
    runFlags: ['--runtime', OCI_RUNTIME, '--runtime-flag', `root=${stateRoot}`, '--network', 'none'],
    async cleanup() {
      const leaks: string[] = [];
      const procs = processesMentioning(dir);
      for (const p of procs) leaks.push(`process: ${p.pid} ${p.cmd}`);
      await killAll(procs);
      const rm = await buildah(['rm', '--all']);
      if (rm.exitCode !== 0) leaks.push(`buildah rm --all: ${rm.stderr}`);
      await buildah(['rmi', '--all', '--force']);
      for (const m of await unmountUnder(dir)) leaks.push(`mount: ${m}`);
      const ids = OCI_RUNTIME === OCI_BIN ? createdIds(stateRoot) : [];
      leaks.push(...(await cleanOciRoot(stateRoot, ids)));
      rmSync(dir, { recursive: true, force: true });
      return leaks;
    },
  };
}

/** The pid namespace of a host process, as its /proc/PID/ns/pid link ("pid:[4026532...]"). */
export function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** Every host process in this pid namespace. */
export function processesInPidNamespace(ns: string): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((p) => pidNamespaceOf(p) === ns).sort((a, b) => a - b);
}
