/**
 * Helpers for the OCI runtime tests (test/oci-*.test.ts): bundles made from the host's static
 * busybox, a config.json like `runc spec` writes (no terminal), minictr-oci and runc called with
 * a --root of the test's own, and a look at what a container left on the host, found through
 * the kernel (cgroup dirs named after the id, mounts naming the bundle, processes carrying the
 * test's marker in their environment) rather than through the runtime's own report.
 *
 * Every call of a runtime gets OCI_TEST_MARK=<id> in its environment, and so does the
 * container's process (config.json): a process of the container, or a copy of the runtime
 * still waiting to become one, is found by it in /proc/PID/environ. Other engineers' tests on
 * the same machine have no such mark, so the checks see only this test's objects.
 */
import { execa, type Options, type Result } from 'execa';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniq } from './cli.js';
import { hostCgroupDirs } from './cgroup.js';
import { sleep, until } from './until.js';

export const OCI = fileURLToPath(new URL('../../bin/minictr-oci', import.meta.url));
export const RUNC = '/usr/sbin/runc';
export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? 'busybox';

export type Runtime = 'minictr-oci' | 'runc';
export type OciResult = Result<{ reject: false }>;

/** A scratch dir of this test file below the suite's base (removed with it). */
export function workDir(prefix: string): string {
  const base = process.env.MINICTR_TEST_BASE ?? tmpdir();
  return mkdtempSync(join(base, prefix));
}

let applets: string[] | undefined;
async function busyboxApplets(): Promise<string[]> {
  applets ??= (await execa(BUSYBOX, ['--list'])).stdout.split('\n').filter((a) => a && a !== 'busybox');
  return applets;
}

/** A root filesystem: the static busybox and its applets. */
export async function makeRootfs(dir: string): Promise<string> {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc', 'out']) mkdirSync(join(dir, d), { recursive: true });
  // a copy, not a hard link: a container must never be able to write the host's binary
  copyFileSync(BUSYBOX, join(bin, 'busybox'), constants.COPYFILE_FICLONE);
  chmodSync(join(bin, 'busybox'), 0o755);
  for (const a of await busyboxApplets()) symlinkSync('busybox', join(bin, a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\n');
  return dir;
}

// What `runc spec` writes (runtime-spec's defaults), with no terminal, plus the cgroup
// namespace. Docker's 14 capabilities, as engines ask for them.
export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const MASKED = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/sys/devices/virtual/powercap',
];
export const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export type Spec = Record<string, any>;

export function baseSpec(id: string, rootfs: string, args: string[]): Spec {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm', `OCI_TEST_MARK=${id}`],
      cwd: '/',
      capabilities: { bounding: [...DEFAULT_CAPS], effective: [...DEFAULT_CAPS], permitted: [...DEFAULT_CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: true },
    hostname: 'oci-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      maskedPaths: [...MASKED],
      readonlyPaths: [...READONLY],
    },
  };
}

/** RLIM_INFINITY and other uint64s above 2^53, as Go writes them in JSON (a JS number cannot
 * hold 18446744073709551615; JSON.stringify would write 18446744073709552000, which runc refuses) */
export const U64_MAX = '__U64_MAX__';
export const specText = (spec: Spec): string => JSON.stringify(spec, null, 2).replace(/"__U64_MAX__"/g, '18446744073709551615');

export interface Bundle {
  id: string;
  dir: string;
  rootfs: string;
  /** a host dir bind-mounted at /out in the container (rw): what the container writes there */
  out: string;
  spec: Spec;
  /** rewrite config.json (after changing spec) */
  save(): void;
}

/**
 * A bundle in its own dir: rootfs/ (busybox), out/ (bind-mounted at /out), config.json from
 * baseSpec changed by `edit`. The container id is unique to this run.
 */
export async function makeBundle(parent: string, args: string[], edit?: (s: Spec, b: { id: string; dir: string; rootfs: string; out: string }) => void, prefix = 't'): Promise<Bundle> {
  const id = uniq(prefix, 10);
  const dir = join(parent, id);
  const rootfs = await makeRootfs(join(dir, 'rootfs'));
  const out = join(dir, 'out');
  mkdirSync(out, { recursive: true });
  const spec = baseSpec(id, rootfs, args);
  spec.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  edit?.(spec, { id, dir, rootfs, out });
  const b: Bundle = { id, dir, rootfs, out, spec, save: () => writeFileSync(join(dir, 'config.json'), specText(b.spec)) };
  b.save();
  return b;
}

const TIMEOUT_MS = 30_000;

/** `minictr-oci --root ROOT ARGS...` (or runc), run to its end with its output in pipes. */
export async function runtime(which: Runtime, root: string, args: string[], opts: Options & { mark?: string } = {}): Promise<OciResult> {
  const { mark, ...rest } = opts;
  const bin = which === 'runc' ? RUNC : OCI;
  const stdin = rest.input !== undefined || rest.inputFile !== undefined ? {} : { stdin: 'ignore' as const };
  return (await execa(bin, ['--root', root, ...args], {
    reject: false,
    timeout: TIMEOUT_MS,
    killSignal: 'SIGKILL',
    env: mark ? { OCI_TEST_MARK: mark } : {},
    ...stdin,
    ...rest,
  } as Options)) as unknown as OciResult;
}

export interface Created {
  exitCode: number | null;
  /** what create itself wrote on stderr (the container's stderr goes to the same file later) */
  stderr: string;
  outFile: string;
  errFile: string;
}

/**
 * `create`: its stdout and stderr are files, not pipes, since the container's process keeps
 * create's fds 0-2 (a pipe would stay open until the container ends).
 */
export async function create(which: Runtime, root: string, b: Bundle, extra: string[] = [], o: { env?: Record<string, string>; fds?: number[] } = {}): Promise<Created> {
  const outFile = join(b.dir, `create-${which}.out`);
  const errFile = join(b.dir, `create-${which}.err`);
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const bin = which === 'runc' ? RUNC : OCI;
  try {
    const child = spawn(bin, ['--root', root, 'create', '--bundle', b.dir, ...extra, b.id], {
      stdio: ['ignore', out, err, ...(o.fds ?? [])],
      env: { ...process.env, OCI_TEST_MARK: b.id, ...o.env },
    });
    const exitCode = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
      child.on('exit', (code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
    return { exitCode, stderr: readFileSync(errFile, 'utf8'), outFile, errFile };
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

export interface OciState {
  ociVersion: string;
  id: string;
  status: string;
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export async function state(which: Runtime, root: string, id: string): Promise<OciState> {
  const r = await runtime(which, root, ['state', id]);
  if (r.exitCode !== 0) throw new Error(`state ${id}: exit ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as OciState;
}

// the shared poll helper, re-exported for the OCI tests that import it from here
export { sleep, until };

export async function waitStatus(which: Runtime, root: string, id: string, status: string): Promise<void> {
  let last = '';
  await until(() => `${id} to be ${status} (last: ${last})`, async () => (last = (await state(which, root, id)).status) === status, 10_000);
}

/** Processes whose environment carries OCI_TEST_MARK=mark (a container's, or a runtime's). */
export function markedProcesses(mark: string): number[] {
  const needle = Buffer.from(`OCI_TEST_MARK=${mark}\0`);
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${e}/environ`);
      const st = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (st.slice(st.lastIndexOf(')') + 2)[0] === 'Z') continue; // a zombie holds nothing
      if (env.includes(needle)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** What a container left on the host: its state dir, cgroups, mounts, processes. */
export function residue(root: string, id: string, bundleDir?: string): string[] {
  const left: string[] = [];
  if (existsSync(join(root, id))) left.push(`state dir ${join(root, id)}: ${readdirSync(join(root, id)).join(' ')}`);
  for (const d of hostCgroupDirs(id)) left.push(`cgroup ${d}`);
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4] ?? '';
    if (mp.includes(id) || (bundleDir && mp.startsWith(bundleDir))) left.push(`mount ${mp}`);
  }
  for (const pid of markedProcesses(id)) {
    let cmd = '?';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      /* gone */
    }
    left.push(`process ${pid}: ${cmd}`);
  }
  return left;
}

/** Wait (briefly) until nothing of the container is left; then report what still is. */
export async function residueSettled(root: string, id: string, bundleDir?: string): Promise<string[]> {
  let left = residue(root, id, bundleDir);
  for (let i = 0; i < 50 && left.length; i++) {
    await sleep(20);
    left = residue(root, id, bundleDir);
  }
  return left;
}

export function exeOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch (err) {
    return `(${(err as NodeJS.ErrnoException).code})`;
  }
}

/** The state letter of a process (R, S, T, Z ...), or undefined once it is gone. */
export function procState(pid: number): string | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

/** The pids in a container's cgroup, from the kernel (every v1 hierarchy, and cgroup2). */
export function cgroupProcs(id: string): number[] {
  const pids = new Set<number>();
  for (const d of hostCgroupDirs(id)) {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.add(Number(l));
    } catch {
      /* gone */
    }
  }
  return [...pids].sort((a, b) => a - b);
}

/** Sections printed by a probe script as "== NAME" lines, each with the lines after it. */
export function sections(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let cur = '';
  for (const line of text.split('\n')) {
    const m = /^== (\S+)$/.exec(line);
    if (m) out[(cur = m[1]!)] = [];
    else if (cur && line !== '') out[cur]!.push(line);
  }
  return out;
}

/** Best-effort removal of a container (for afterAll: a failed test must not leave it). */
export async function forceDelete(which: Runtime, root: string, id: string): Promise<void> {
  if (!existsSync(join(root, id))) return;
  await runtime(which, root, ['delete', '--force', id]);
}
