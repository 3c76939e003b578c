/**
 * `run` flags turned into checked values before anything is created: a bad -e, -v or -w is
 * refused with a one-line error and leaves the system untouched.
 */
import { statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isAbsolute, normalize } from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import type { Container } from './store.js';
import type { SecurityFlags } from './security-options.js';
import { parseBytes, type LimitFlags } from '../cgroup/limits.js';
import { checkName } from '../names.js';
import type { HealthFlags } from './healthcheck.js';

export interface RunOptions {
  image: string;
  command: string[];
  interactive: boolean;
  tty: boolean;
  rm: boolean;
  name?: string;
  hostname?: string;
  env: string[];
  workdir?: string;
  volumes: string[];
  /** --mount, Docker's long form of -v and --tmpfs */
  mounts?: string[];
  tmpfs: string[];
  explain: boolean;
  /** --explain=full: paths written out, not named ($C) */
  explainFull?: boolean;
  /** --step: wait for Enter before each kernel step (attached runs) */
  step?: boolean;
  detach?: boolean;
  user?: string;
  replicas?: number;
  /** --network, repeatable (network/container/mode.ts parseNetworkFlags); a string: one */
  network?: string | string[];
  publish?: string[];
  dns?: string[];
  bridgeDriver?: string;
  /** --restart as typed (runtime/restart-policy.ts) */
  restart?: string;
  /** --health-*, --no-healthcheck as typed (runtime/healthcheck.ts) */
  health?: HealthFlags;
  /** -m, --cpus, --pids-limit ... as typed; checked by src/cgroup/limits.ts */
  limits?: LimitFlags;
  /** --userns remap|auto|host, as typed; checked by src/runtime/userns.ts */
  userns?: string;
  /** --cap-add, --privileged, --security-opt, --ulimit, --device ... as typed (security-options.ts) */
  security?: SecurityFlags;
  /** --label K=V: kept in the container's record (compose finds its containers by them) */
  labels?: string[];
  /** --network-alias NAME: more names the container has on its network's /etc/hosts */
  networkAliases?: string[];
  /** --entrypoint: replaces the image's ENTRYPOINT (and with it its CMD); "" clears it */
  entrypoint?: string;
  /** --stop-signal, --stop-timeout as typed: kept in the record for `minictr stop` */
  stopSignal?: string;
  stopTimeout?: string;
  /** called for each container started with -d, instead of printing its id (compose) */
  onStarted?: (c: Container) => void;
}

/** -e K=V sets, -e K copies the host's value (as docker does), skipped when unset. */
export function parseEnv(flags: string[]): string[] {
  const out: string[] = [];
  for (const e of flags) {
    const eq = e.indexOf('=');
    const key = eq < 0 ? e : e.slice(0, eq);
    if (!key || /[\s=]/.test(key)) throw new UsageError(`invalid environment variable "${e}": expected KEY=VALUE`);
    if (eq >= 0) out.push(e);
    else if (process.env[key] !== undefined) out.push(`${key}=${process.env[key]}`);
  }
  return out;
}

/** -v and --mount, checked; a volume's directory is found (or made) at create (runtime/volumes.ts). */
export type MountRequest =
  | { type: 'bind'; source: string; target: string; readonly: boolean }
  /** name absent: an anonymous volume, named by 64 hex digits when it is made */
  | { type: 'volume'; name?: string; target: string; readonly: boolean }
  | { type: 'tmpfs'; target: string; readonly: boolean; size?: number };

function bindSource(source: string, what: string): string {
  try {
    statSync(source);
  } catch {
    throw new NotFoundError(`${what} source ${source} does not exist`);
  }
  return normalize(source);
}

/**
 * -v HOST:CTR[:ro|rw] binds a host path (it must exist: docker would create it, a typo is
 * likelier); -v NAME:CTR[:ro|rw] mounts the volume NAME (made on first use); -v CTR alone an
 * anonymous volume. A source that is not an absolute path is a volume name, checked as one.
 */
export function parseVolume(spec: string): MountRequest {
  const parts = spec.split(':');
  if (parts.length === 1 && parts[0]) {
    if (!isAbsolute(spec)) throw new UsageError(`invalid volume "${spec}": container path must be absolute`);
    return { type: 'volume', target: normalize(spec), readonly: false };
  }
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) {
    throw new UsageError(`invalid volume "${spec}": expected HOST:CONTAINER[:ro], VOLUME:CONTAINER[:ro] or CONTAINER`);
  }
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (!isAbsolute(target)) throw new UsageError(`invalid volume "${spec}": container path must be absolute`);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw new UsageError(`invalid volume "${spec}": mode must be ro or rw`);
  const readonly = mode === 'ro';
  if (!isAbsolute(source)) {
    checkName('volume', source, `invalid volume "${spec}"`);
    return { type: 'volume', name: source, target: normalize(target), readonly };
  }
  return { type: 'bind', source: bindSource(source, 'volume'), target: normalize(target), readonly };
}

const MOUNT_KEYS: Record<string, string> = {
  type: 'type', source: 'source', src: 'source', target: 'target', destination: 'target', dst: 'target',
  readonly: 'readonly', ro: 'readonly', 'tmpfs-size': 'tmpfs-size',
};

/**
 * --mount type=bind|volume|tmpfs,source=...,target=...[,readonly][,tmpfs-size=...], Docker's
 * syntax (src, dst and destination are aliases; type defaults to volume; readonly may be
 * given as readonly=true|false|1|0). A key minictr does not carry out is refused by name.
 */
export function parseMount(spec: string): MountRequest {
  const bad = (why: string): UsageError => new UsageError(`invalid --mount "${spec}": ${why}`);
  const kv = new Map<string, string>();
  for (const field of spec.split(',')) {
    if (!field) throw bad('empty field');
    const eq = field.indexOf('=');
    const rawKey = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const key = MOUNT_KEYS[rawKey];
    if (!key) throw bad(`unknown key "${rawKey}" (type, source, target, readonly, tmpfs-size)`);
    if (kv.has(key)) throw bad(`${key} given twice`);
    if (eq < 0 && key !== 'readonly') throw bad(`${rawKey} needs a value (${rawKey}=...)`);
    kv.set(key, eq < 0 ? 'true' : field.slice(eq + 1));
  }
  const type = kv.get('type') ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw bad(`type must be bind, volume or tmpfs, not "${type}"`);
  const target = kv.get('target');
  if (!target) throw bad('target is required (target=/path)');
  if (!isAbsolute(target)) throw bad('target must be an absolute path');
  const ro = kv.get('readonly') ?? 'false';
  if (!['true', 'false', '1', '0'].includes(ro.toLowerCase())) throw bad(`readonly must be true or false, not "${ro}"`);
  const readonly = ro === 'true' || ro === '1';
  const source = kv.get('source');
  if (type !== 'tmpfs' && kv.has('tmpfs-size')) throw bad(`tmpfs-size is for type=tmpfs, not ${type}`);
  if (type === 'tmpfs') {
    if (source !== undefined) throw bad('a tmpfs has no source');
    const size = kv.get('tmpfs-size');
    return { type, target: normalize(target), readonly, ...(size !== undefined ? { size: parseBytes('tmpfs-size', size) } : {}) };
  }
  if (type === 'bind') {
    if (!source) throw bad('a bind mount needs source=/host/path');
    if (!isAbsolute(source)) throw bad('a bind source must be an absolute path');
    return { type, source: bindSource(source, 'bind'), target: normalize(target), readonly };
  }
  if (source === undefined) return { type, target: normalize(target), readonly };
  checkName('volume', source, `invalid --mount "${spec}"`);
  return { type, name: source, target: normalize(target), readonly };
}

export function parseTmpfs(spec: string): string {
  if (!isAbsolute(spec)) throw new UsageError(`invalid --tmpfs "${spec}": path must be absolute`);
  return normalize(spec);
}

export function parseWorkdir(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  if (!isAbsolute(dir)) throw new UsageError(`invalid working directory "${dir}": must be an absolute path`);
  return dir;
}

/** --label K=V (K=: an empty value; a bare K too, as docker takes it). */
export function parseLabels(flags: string[]): Record<string, string> | undefined {
  if (!flags.length) return undefined;
  const out: Record<string, string> = {};
  for (const l of flags) {
    const eq = l.indexOf('=');
    const key = eq < 0 ? l : l.slice(0, eq);
    if (!key || /[\s\0]/.test(key) || l.includes('\0')) throw new UsageError(`invalid --label "${l}": expected KEY=VALUE`);
    out[key] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return out;
}

/** --network-alias: a host name, by the rule for container names (it goes into /etc/hosts). */
export function parseNetworkAliases(flags: string[], flag = '--network-alias'): string[] | undefined {
  if (!flags.length) return undefined;
  return [...new Set(flags.map((a) => checkName('container', a, flag)))];
}

/** --stop-signal (a name such as SIGUSR1 or USR1, or a number) and --stop-timeout (whole seconds, -1: wait for ever, as Docker). */
export function parseStopFlags(o: { stopSignal?: string; stopTimeout?: string }): { signal?: string; timeout?: number } {
  const out: { signal?: string; timeout?: number } = {};
  if (o.stopSignal !== undefined) {
    const s = o.stopSignal.toUpperCase();
    const name = /^\d+$/.test(s) ? s : s.startsWith('SIG') ? s : `SIG${s}`;
    if (/^\d+$/.test(name) ? Number(name) < 1 || Number(name) > 64 : !(name in osConstants.signals)) throw new UsageError(`invalid --stop-signal "${o.stopSignal}": expected a signal name such as SIGTERM or a number`);
    out.signal = name;
  }
  if (o.stopTimeout !== undefined) {
    if (!/^(-1|\d+)$/.test(o.stopTimeout)) throw new UsageError(`invalid --stop-timeout "${o.stopTimeout}": expected whole seconds (or -1)`);
    out.timeout = Number(o.stopTimeout);
  }
  return out;
}
