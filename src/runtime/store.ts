/**
 * Containers on disk: $MINICTR_ROOT/containers/<id>/ holds config.json, state.json, the
 * overlay's upper and work dirs, the mount point (merged) and the files bind-mounted over
 * /etc/hosts, /etc/hostname and /etc/resolv.conf. Names are reserved atomically with an
 * O_EXCL file under containers/.names/, so two concurrent runs can never share a name.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BrokenRecordError, ConflictError, MinictrError, NotFoundError } from '../errors.js';
import { readBoundedFile } from '../util/bounded-read.js';
import type { BrokenRecord } from '../util/broken.js';
import { createFileExclusive, writeJsonFileSync } from '../util/json-file.js';
import { isoTime } from '../util/clock.js';
import { ownerTag, processStartTime } from '../util/proc.js';
import { checkName, isValidName } from '../names.js';
import { paths } from '../paths.js';
import type { ContainerNetwork } from '../network/container/attach.js';
import type { CgroupLimits } from '../cgroup/limits.js';
import { securityConfigProblem, type SecurityConfig } from './security-options.js';
import { oomKilled } from '../cgroup/cgroup.js';
import { CGROUP_PARENT } from '../cgroup/paths.js';
import { usernsProblem, type UsernsConfig } from './userns.js';
import type { RestartPolicy } from './restart-policy.js';
import { INITIAL_HEALTH, type Health, type HealthConfig } from './healthcheck.js';

/** -v / --mount, as the container records it. */
export interface VolumeMount {
  /** absent (records made before volumes existed): a bind */
  type?: 'bind' | 'volume' | 'tmpfs';
  /** bind: the host path; volume: its _data directory; tmpfs: "tmpfs" */
  source: string;
  target: string;
  readonly: boolean;
  /** type volume: its name, and whether it was made for this container (`rm -v` removes it) */
  volume?: string;
  anonymous?: boolean;
  /** type tmpfs: its size in bytes (tmpfs-size) */
  size?: number;
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
  /** --restart (runtime/restart-policy.ts); absent or "no": never restarted */
  restartPolicy?: RestartPolicy;
  /** --health-* over the image's HEALTHCHECK (runtime/healthcheck.ts); absent: none */
  healthcheck?: HealthConfig;
  /** --cap-add, --privileged, --security-opt, --ulimit, --device ... (security-options.ts);
   * absent: Docker's defaults */
  security?: SecurityConfig;
  /** --label K=V (compose: com.docker.compose.project, .service, .container-number, .config-hash) */
  labels?: Record<string, string>;
  /** --stop-signal (else the image's STOPSIGNAL): what `stop` sends first; absent: SIGTERM */
  stopSignal?: string;
  /** --stop-timeout: seconds `stop` waits before SIGKILL when -t is not given; absent: 10 */
  stopTimeout?: number;
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
  /** restarts done by the restart policy since the last run/start (docker's RestartCount) */
  restartCount?: number;
  /** the last back-off wait before a policy restart, in ms (restart-policy.ts nextBackoff) */
  backoffMs?: number;
  /** `stop`, `kill` or `rm -f` ended it: the restart policy leaves it stopped */
  stoppedByUser?: boolean;
  /** a policy restart is pending: the process waiting out the back-off (lifecycle.ts) */
  restarting?: { pid: number; pidStart?: string; delayMs: number; since: string };
}

export interface Container {
  config: ContainerConfig;
  state: ContainerState;
  dir: string;
}

export function validateContainerName(name: string): void {
  checkName('container', name);
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nifty', 'quiet', 'swift', 'tender', 'vivid', 'witty'];
const SCIENTISTS = ['babbage', 'curie', 'dijkstra', 'engelbart', 'hopper', 'kernighan', 'lamport', 'lovelace', 'mccarthy', 'noether', 'ritchie', 'shannon', 'thompson', 'torvalds', 'turing', 'wozniak'];

/** n random bytes, read from the kernel's /dev/urandom: neither node:crypto nor the global
 * Web Crypto (which loads webcrypto and node:crypto, ~20 modules, ~1.5 ms of every run). */
function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  const fd = openSync('/dev/urandom', 'r');
  try {
    if (readSync(fd, bytes, 0, n, null) !== n) throw new Error('/dev/urandom: short read');
  } finally {
    closeSync(fd);
  }
  return bytes;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function randomName(): string {
  const [a, b] = randomBytes(2);
  return `${ADJECTIVES[a! % ADJECTIVES.length]}_${SCIENTISTS[b! % SCIENTISTS.length]}`;
}

export function namesDir(): string {
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
      createFileExclusive(join(namesDir(), candidate), id);
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (name) throw new ConflictError(`container name "${name}" is already in use`);
    }
  }
}

export function createContainer(config: Omit<ContainerConfig, 'id' | 'name' | 'created' | 'hostname'> & { name?: string; hostname?: string }): Container {
  const id = hex(randomBytes(32));
  if (config.name !== undefined) validateContainerName(config.name);
  const name = reserveName(config.name, id);
  const dir = containerDir(id);
  try {
    for (const sub of ['upper', 'work', 'merged']) mkdirSync(join(dir, sub), { recursive: true });
    const full: ContainerConfig = { ...config, id, name, created: isoTime(), hostname: config.hostname ?? id.slice(0, 12) };
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

/** A container dir whose config.json or state.json cannot be read: reported and kept. */
export interface BrokenContainer {
  id: string;
  dir: string;
  record: BrokenRecord;
}

type DirRead = { container: Container } | { broken: BrokenContainer } | { incomplete: true };

// records are small; a bound keeps a corrupted (or hostile) one from filling memory
const RECORD_MAX = 4 << 20;

function readRecord(path: string): unknown {
  return JSON.parse(readBoundedFile(path, RECORD_MAX, 'record'));
}

/** A recorded network after the first: its names reach paths and command lines. */
function attachmentOk(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  const aliasesOk = a.aliases === undefined || (Array.isArray(a.aliases) && a.aliases.every((x) => typeof x === 'string' && isValidName('container', x)));
  return typeof a.network === 'string' && isValidName('network', a.network) && typeof a.ip === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(a.ip) && typeof a.ifname === 'string' && /^eth[1-9]$/.test(a.ifname) && aliasesOk;
}

function configProblem(c: unknown, id: string): string | undefined {
  if (typeof c !== 'object' || c === null) return 'not a JSON object';
  const r = c as Record<string, unknown>;
  if (r.id !== id) return `its id ${JSON.stringify(r.id)} is not the directory's`;
  if (typeof r.name !== 'string' || !isValidName('container', r.name)) return `its name ${JSON.stringify(r.name)} is not a valid container name`;
  if (typeof r.image !== 'string' || typeof r.created !== 'string' || typeof r.hostname !== 'string') return 'image, created or hostname is missing';
  if (!Array.isArray(r.command) || !r.command.every((a) => typeof a === 'string')) return 'command is not a list of strings';
  if (!Array.isArray(r.env) || !Array.isArray(r.volumes) || !Array.isArray(r.tmpfs)) return 'env, volumes or tmpfs is not a list';
  const aliases = (r.network as { aliases?: unknown } | undefined)?.aliases;
  if (aliases !== undefined && !(Array.isArray(aliases) && aliases.every((a) => typeof a === 'string' && isValidName('container', a)))) return 'its network aliases are not host names';
  const more = (r.network as { more?: unknown } | undefined)?.more;
  if (more !== undefined && !(Array.isArray(more) && more.every(attachmentOk))) return 'its further networks are not {network, ip, ifname eth1..eth9, aliases}';
  if (r.labels !== undefined && (typeof r.labels !== 'object' || r.labels === null || Array.isArray(r.labels) || !Object.values(r.labels).every((v) => typeof v === 'string'))) return 'labels is not a map of strings';
  const security = r.security === undefined ? undefined : securityConfigProblem(r.security);
  if (security) return `its security flags are broken: ${security}`;
  for (const v of r.volumes as unknown[]) {
    const m = v as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null || typeof m.source !== 'string' || typeof m.target !== 'string') return 'a volume is not {source, target}';
    if (m.type !== undefined && m.type !== 'bind' && m.type !== 'volume' && m.type !== 'tmpfs') return `a mount's type ${JSON.stringify(m.type)} is unknown`;
    // rm -v removes a volume by this name: it must be one
    if (m.type === 'volume' && (typeof m.volume !== 'string' || !isValidName('volume', m.volume))) return `its volume name ${JSON.stringify(m.volume)} is not a valid volume name`;
  }
  return usernsProblem(r.userns);
}

function stateProblem(s: unknown): string | undefined {
  if (typeof s !== 'object' || s === null) return 'not a JSON object';
  const r = s as Record<string, unknown>;
  if (r.status !== 'created' && r.status !== 'running' && r.status !== 'exited') return `unknown status ${JSON.stringify(r.status)}`;
  if (r.pid !== undefined && !(Number.isInteger(r.pid) && (r.pid as number) > 0)) return `pid ${JSON.stringify(r.pid)} is not a process id`;
  return undefined;
}

function readContainerDir(id: string): DirRead {
  const dir = containerDir(id);
  const broken = (path: string, problem: string): DirRead => ({
    broken: {
      id,
      dir,
      record: { kind: 'container', path, problem, fix: `restore it, or remove the container with 'minictr rm -f ${id.slice(0, 12)}'` },
    },
  });
  const configPath = join(dir, 'config.json');
  const statePath = join(dir, 'state.json');
  let config: unknown;
  try {
    config = readRecord(configPath);
  } catch (err) {
    // created but interrupted before its record was written (createContainer writes it first)
    if (err instanceof NotFoundError && !existsSync(statePath)) return { incomplete: true };
    return broken(configPath, problemOf(err, configPath));
  }
  const cp = configProblem(config, id);
  if (cp) return broken(configPath, cp);
  let state: unknown;
  try {
    state = readRecord(statePath);
  } catch (err) {
    return broken(statePath, problemOf(err, statePath));
  }
  const sp = stateProblem(state);
  if (sp) return broken(statePath, sp);
  return { container: { config: config as ContainerConfig, state: refreshState(dir, state as ContainerState), dir } };
}

/** What is wrong, without the "<what> <path>" readBoundedFile starts its message with. */
function problemOf(err: unknown, path: string): string {
  if (err instanceof NotFoundError) return 'missing';
  const msg = err instanceof Error ? err.message : String(err);
  const at = msg.indexOf(`${path} `);
  return at >= 0 ? msg.slice(at + path.length + 1) : msg;
}

function readContainer(id: string): Container | undefined {
  const r = readContainerDir(id);
  return 'container' in r ? r.container : undefined;
}

export const exitFile = (dir: string): string => join(dir, 'exit.json');
export const logFile = (dir: string): string => join(dir, 'container.log');
/** State.Health: written only by `minictr health-probe`, one at a time (the monitor runs them) */
export const healthFile = (dir: string): string => join(dir, 'health.json');

/** The container's State.Health: none without a health check; "starting" before the first
 * probe (health.json is written whole, by one probe at a time). */
export function readHealth(c: Container): Health | undefined {
  if (!c.config.healthcheck) return undefined;
  try {
    return JSON.parse(readBoundedFile(healthFile(c.dir), 1 << 20, 'health record')) as Health;
  } catch {
    return INITIAL_HEALTH;
  }
}
/** How long a reader waits for a detached container's exit record (exit.json, written by its
 * monitor a moment after the process is gone; a monitor killed with it writes none). */
export const EXIT_RECORD_GRACE_MS = 2000;

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
    return { ...state, status: 'exited', exitCode: state.exitCode ?? 137, finishedAt: state.finishedAt ?? isoTime() };
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

/** Exited, and a policy restart is waiting out its back-off (Docker's "Restarting"). */
export function isRestarting(c: Container): boolean {
  const r = c.state.restarting;
  return r !== undefined && !isRunning(c) && processAlive(r.pid, r.pidStart);
}

/** How long after its exit record a detached --rm container counts as on its way out: its
 * monitor runs `minictr rm -f` for it right after writing exit.json (native/monitor), a node
 * start that takes 0.1-1 s on a loaded host. An older record means that rm failed (or was
 * killed): the container stays, as any exited one, until rm or system prune. */
export const AUTO_REMOVE_GRACE_MS = 5000;

/** A detached --rm container whose process has exited and whose monitor recorded the exit:
 * its removal is under way. Commands that judge "is it still there / in use" wait for it
 * (pending-removal.ts) rather than report a container the user already saw end. */
export function isBeingRemoved(c: Container): boolean {
  if (!c.config.autoRemove || !c.state.detached || c.state.status !== 'exited' || isRunning(c) || isRestarting(c)) return false;
  try {
    return Date.now() - statSync(exitFile(c.dir)).mtimeMs < AUTO_REMOVE_GRACE_MS;
  } catch {
    return false; // no exit record: its monitor died with it, no rm is coming
  }
}

/** What a new start of the container keeps from its last state (the restart policy's count). */
export function carriedState(s: ContainerState): Pick<ContainerState, 'restartCount' | 'backoffMs'> {
  return { ...(s.restartCount ? { restartCount: s.restartCount } : {}), ...(s.backoffMs ? { backoffMs: s.backoffMs } : {}) };
}

/** Every container dir, read: the good, the broken (kept and reported) and the half-created. */
export interface ContainerScan {
  containers: Container[];
  broken: BrokenContainer[];
  /** ids of dirs without a record yet: being created now, or a create that was interrupted */
  incomplete: string[];
}

export function scanContainers(): ContainerScan {
  const scan: ContainerScan = { containers: [], broken: [], incomplete: [] };
  for (const id of storeEntries(paths.containers()).filter((e) => ID_RE.test(e))) {
    const r = readContainerDir(id);
    if ('container' in r) scan.containers.push(r.container);
    else if ('broken' in r) scan.broken.push(r.broken);
    else scan.incomplete.push(id);
  }
  return scan;
}

export function listContainers(): Container[] {
  return scanContainers().containers;
}

const ID_RE = /^[0-9a-f]{64}$/;

/** The entries of a store dir; none when it does not exist yet; one line when it is not a dir. */
export function storeEntries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new MinictrError(`${dir} cannot be listed (${code}): the state root is damaged; see 'minictr system check'`);
  }
}

/** A name reservation: containers/.names/NAME holds the owner's id. */
export type NameEntry = { id: string } | { broken: BrokenRecord };

export function readNameEntry(name: string): NameEntry | undefined {
  const path = join(namesDir(), name);
  let text: string;
  try {
    text = readBoundedFile(path, 256, 'name reservation').trim();
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    return { broken: { kind: 'container name', path, problem: problemOf(err, path), fix: `remove it (rm -r ${path}) once no container is named ${name}` } };
  }
  if (!ID_RE.test(text)) return { broken: { kind: 'container name', path, problem: 'does not hold a container id', fix: `remove it (rm ${path}) once no container is named ${name}` } };
  return { id: text };
}

/** The id the name's reservation holds, if it holds one. */
export function nameHolderId(name: string): string | undefined {
  const entry = readNameEntry(name);
  return entry && 'id' in entry ? entry.id : undefined;
}

/** The container that holds the name's reservation, when its record reads. */
export function nameHolder(name: string): Container | undefined {
  const id = nameHolderId(name);
  return id === undefined ? undefined : readContainer(id);
}

export function listNameEntries(): string[] {
  return storeEntries(namesDir()).filter((n) => isValidName('container', n));
}

/** By full id, unique id prefix, or name (as Docker resolves them). */
export function findContainer(ref: string): Container {
  // anything else ("..", "a/b", "") is no container's name and never reaches a path
  if (isValidName('container', ref)) {
    const entry = readNameEntry(ref);
    if (entry && 'id' in entry) {
      const c = readContainer(entry.id);
      if (c) return c;
    }
    if (/^[0-9a-f]{1,64}$/.test(ref)) {
      // only the dirs the prefix names are read (rm of 200 ids: not 200 reads of the store each)
      const ids = storeEntries(paths.containers()).filter((e) => ID_RE.test(e) && e.startsWith(ref));
      const matches = ids.map(readContainer).filter((c): c is Container => c !== undefined);
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw new ConflictError(`container id prefix "${ref}" is ambiguous`);
    }
    const broken = findBroken(ref, entry);
    if (broken) throw new BrokenRecordError(broken.record);
  }
  throw new NotFoundError(`no such container: ${ref}`);
}

/** The broken container a ref names (its name reservation, or an id prefix). */
export function findBroken(ref: string, entry = isValidName('container', ref) ? readNameEntry(ref) : undefined): BrokenContainer | undefined {
  const broken = scanContainers().broken;
  if (entry && 'id' in entry) {
    const hit = broken.find((b) => b.id === entry.id);
    if (hit) return hit;
  }
  if (!/^[0-9a-f]{1,64}$/.test(ref)) return undefined;
  const hits = broken.filter((b) => b.id.startsWith(ref));
  return hits.length === 1 ? hits[0] : undefined;
}

/** Delete everything the container left on disk and free its name. */
export function deleteContainerFiles(c: Container): void {
  rmSync(c.dir, { recursive: true, force: true, maxRetries: 3 });
  releaseName(c);
}

/**
 * The container leaves the store at once, its files later: its dir is renamed (atomic) to a
 * temp dir of this process under paths.tmp(), named as image/files.ts names them
 * (KIND-PID.START-HEX), and its name is freed. The caller removes the returned dir when the
 * user no longer waits (a detached rm after the exit status: start.ts); should that never
 * happen, sweepStaleTemp (system prune, pull, import) removes it once this process is gone.
 * undefined: it could not be moved, and was removed here.
 */
export function retireContainerFiles(c: Container): string | undefined {
  const [pid, start] = ownerTag().split(' ');
  const dest = join(paths.tmp(), `rm-${pid}.${start}-${hex(randomBytes(6))}`);
  try {
    mkdirSync(paths.tmp(), { recursive: true, mode: 0o700 });
    renameSync(c.dir, dest);
  } catch {
    deleteContainerFiles(c);
    return undefined;
  }
  releaseName(c);
  return dest;
}

function releaseName(c: Container): void {
  try {
    const owner = readFileSync(join(namesDir(), c.config.name), 'utf8').trim();
    if (owner === c.config.id) unlinkSync(join(namesDir(), c.config.name));
  } catch {
    /* name already free */
  }
}
