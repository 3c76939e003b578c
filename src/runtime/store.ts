/**
 * Containers on disk: $MINICTR_ROOT/containers/<id>/ holds config.json, state.json, the
 * overlay's upper and work dirs, the mount point (merged) and the files bind-mounted over
 * /etc/hosts, /etc/hostname and /etc/resolv.conf. Names are reserved atomically with an
 * O_EXCL file under containers/.names/, so two concurrent runs can never share a name.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import { writeJsonFileSync } from '../util/json-file.js';
import { processStartTime } from '../util/proc.js';
import { paths } from '../paths.js';
import type { ContainerNetwork } from '../network/container/attach.js';
import type { CgroupLimits } from '../cgroup/limits.js';
import { oomKilled } from '../cgroup/cgroup.js';
import { CGROUP_PARENT } from '../cgroup/paths.js';
import type { UsernsConfig } from './userns.js';

export interface VolumeMount {
  source: string;
  target: string;
  readonly: boolean;
}

export interface ContainerConfig {
  id: string;
  /** -u / the image's User, as given; resolved in the container's /etc/passwd at start */
  user?: string;
  name: string;
  image: string;
  imageId: string;
  created: string;
  command: string[];
  env: string[];
  cwd: string;
  hostname: string;
  tty: boolean;
  interactive: boolean;
  autoRemove: boolean;
  volumes: VolumeMount[];
  tmpfs: string[];
  /** --network, its address and published ports (src/network/container/attach.ts) */
  network?: ContainerNetwork;
  /** -m, --cpus, --pids-limit ... (src/cgroup/limits.ts); `update` changes them */
  resources?: CgroupLimits;
  /** --userns=remap: the host ids its root and users are (src/runtime/userns.ts); absent: the host's */
  userns?: UsernsConfig;
}

export type ContainerStatus = 'created' | 'running' | 'exited';

export interface ContainerState {
  status: ContainerStatus;
  pid?: number;
  /** start time of pid (field 22 of /proc/PID/stat): a reused pid after a reboot is not ours */
  pidStart?: string;
  /** run -d / start: minictr-monitor writes exit.json and the log */
  detached?: boolean;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  error?: string;
  /** the kernel's OOM killer killed a process of the container (named as docker inspect shows it) */
  OOMKilled?: boolean;
  /** frozen by `pause` (the cgroup freezer) */
  paused?: boolean;
}

export interface Container {
  config: ContainerConfig;
  state: ContainerState;
  dir: string;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function validateContainerName(name: string): void {
  if (!name) throw new UsageError('invalid container name "": a name must not be empty');
  if (name.length > 64) throw new UsageError(`invalid container name "${name.slice(0, 20)}…": longer than 64 characters`);
  if (!NAME_RE.test(name)) {
    throw new UsageError(`invalid container name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nifty', 'quiet', 'swift', 'tender', 'vivid', 'witty'];
const SCIENTISTS = ['babbage', 'curie', 'dijkstra', 'engelbart', 'hopper', 'kernighan', 'lamport', 'lovelace', 'mccarthy', 'noether', 'ritchie', 'shannon', 'thompson', 'torvalds', 'turing', 'wozniak'];

function randomName(): string {
  const [a, b] = randomBytes(2);
  return `${ADJECTIVES[a! % ADJECTIVES.length]}_${SCIENTISTS[b! % SCIENTISTS.length]}`;
}

function namesDir(): string {
  return join(paths.containers(), '.names');
}

/** The container's cgroup (in every hierarchy): minictr/<id>. */
export function cgroupName(id: string): string {
  return `${CGROUP_PARENT}/${id}`;
}

export function containerDir(id: string): string {
  return join(paths.containers(), id);
}


/** Reserve a name for id; a random name is drawn when none is given. */
function reserveName(name: string | undefined, id: string): string {
  mkdirSync(namesDir(), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const candidate = name ?? (attempt < 5 ? randomName() : `${randomName()}_${id.slice(0, 4)}${attempt}`);
    try {
      writeFileSync(join(namesDir(), candidate), id, { flag: 'wx' });
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (name) throw new ConflictError(`container name "${name}" is already in use`);
    }
  }
}

export function createContainer(config: Omit<ContainerConfig, 'id' | 'name' | 'created' | 'hostname'> & { name?: string; hostname?: string }): Container {
  const id = randomBytes(32).toString('hex');
  if (config.name !== undefined) validateContainerName(config.name);
  const name = reserveName(config.name, id);
  const dir = containerDir(id);
  try {
    for (const sub of ['upper', 'work', 'merged']) mkdirSync(join(dir, sub), { recursive: true });
    const full: ContainerConfig = { ...config, id, name, created: new Date().toISOString(), hostname: config.hostname ?? id.slice(0, 12) };
    const container: Container = { config: full, state: { status: 'created' }, dir };
    writeJsonFileSync(join(dir, 'config.json'), full);
    saveState(container);
    return container;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(namesDir(), name), { force: true });
    throw err;
  }
}

export function saveConfig(c: Container): void {
  writeJsonFileSync(join(c.dir, 'config.json'), c.config);
}

export function saveState(c: Container): void {
  writeJsonFileSync(join(c.dir, 'state.json'), c.state);
}

function readContainer(id: string): Container | undefined {
  const dir = containerDir(id);
  try {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as ContainerConfig;
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ContainerState;
    return { config, state: refreshState(dir, state), dir };
  } catch {
    return undefined;
  }
}

export const exitFile = (dir: string): string => join(dir, 'exit.json');
export const logFile = (dir: string): string => join(dir, 'container.log');
/** The OCI spec the container was last started from (runtime/spec.ts builds it). */
export const specFile = (dir: string): string => join(dir, 'spec.json');

/**
 * What really happened to a container recorded as running: the monitor's exit.json says how
 * a detached one ended; a process that is gone (runtime killed, host rebooted, pid reused)
 * means it exited, with 137 as Docker reports for a container killed from outside.
 */
function refreshState(dir: string, state: ContainerState): ContainerState {
  if (state.status !== 'running') return state;
  try {
    const exit = JSON.parse(readFileSync(exitFile(dir), 'utf8')) as { exitCode: number; finishedAt: string };
    return { ...state, status: 'exited', exitCode: exit.exitCode, finishedAt: exit.finishedAt, OOMKilled: state.OOMKilled ?? oomKilled(cgroupName(basename(dir))), paused: undefined };
  } catch {
    /* no exit recorded */
  }
  if (state.pid && !processAlive(state.pid, state.pidStart)) {
    return { ...state, status: 'exited', exitCode: state.exitCode ?? 137, finishedAt: state.finishedAt ?? new Date().toISOString() };
  }
  return state;
}

export function processAlive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return start === undefined || processStartTime(pid) === start;
}

export function isRunning(c: Container): boolean {
  return c.state.status === 'running' && c.state.pid !== undefined && processAlive(c.state.pid, c.state.pidStart);
}

export function listContainers(): Container[] {
  if (!existsSync(paths.containers())) return [];
  return readdirSync(paths.containers())
    .filter((e) => /^[0-9a-f]{64}$/.test(e))
    .map(readContainer)
    .filter((c): c is Container => c !== undefined);
}

/** By full id, unique id prefix, or name (as Docker resolves them). */
export function findContainer(ref: string): Container {
  if (ref) {
    const byName = join(namesDir(), ref);
    if (!ref.includes('/') && existsSync(byName)) {
      const c = readContainer(readFileSync(byName, 'utf8').trim());
      if (c) return c;
    }
    if (/^[0-9a-f]{1,64}$/.test(ref)) {
      const matches = listContainers().filter((c) => c.config.id.startsWith(ref));
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw new ConflictError(`container id prefix "${ref}" is ambiguous`);
    }
  }
  throw new NotFoundError(`no such container: ${ref}`);
}

/** Delete everything the container left on disk and free its name. */
export function deleteContainerFiles(c: Container): void {
  rmSync(c.dir, { recursive: true, force: true, maxRetries: 3 });
  try {
    const owner = readFileSync(join(namesDir(), c.config.name), 'utf8').trim();
    if (owner === c.config.id) unlinkSync(join(namesDir(), c.config.name));
  } catch {
    /* name already free */
  }
}
