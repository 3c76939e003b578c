/**
 * `run` flags turned into checked values before anything is created: a bad -e, -v or -w is
 * refused with a one-line error and leaves the system untouched.
 */
import { statSync } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import type { Container, VolumeMount } from './store.js';
import { checkName } from '../names.js';
import type { LimitFlags } from '../cgroup/limits.js';
import type { SecurityFlags } from './security-options.js';

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
  tmpfs: string[];
  explain: boolean;
  detach?: boolean;
  user?: string;
  replicas?: number;
  network?: string;
  publish?: string[];
  dns?: string[];
  bridgeDriver?: string;
  /** -m, --cpus, --pids-limit ... as typed; checked by src/cgroup/limits.ts */
  limits?: LimitFlags;
  /** --cap-add, --privileged, --security-opt, --ulimit, --device ... as typed (security-options.ts) */
  security?: SecurityFlags;
  /** --label K=V: kept in the container's record (compose finds its containers by them) */
  labels?: string[];
  /** --network-alias NAME: more names the container has on its network's /etc/hosts */
  networkAliases?: string[];
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

/** -v HOST:CTR[:ro|rw] ; HOST must exist (docker would create it; a typo is likelier). */
export function parseVolume(spec: string): VolumeMount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) {
    throw new UsageError(`invalid volume "${spec}": expected HOST:CONTAINER[:ro]`);
  }
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (!isAbsolute(source)) throw new UsageError(`invalid volume "${spec}": host path must be absolute`);
  if (!isAbsolute(target)) throw new UsageError(`invalid volume "${spec}": container path must be absolute`);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw new UsageError(`invalid volume "${spec}": mode must be ro or rw`);
  try {
    statSync(source);
  } catch {
    throw new NotFoundError(`volume source ${source} does not exist`);
  }
  return { source: normalize(source), target: normalize(target), readonly: mode === 'ro' };
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
export function parseNetworkAliases(flags: string[]): string[] | undefined {
  if (!flags.length) return undefined;
  return [...new Set(flags.map((a) => checkName('container', a, '--network-alias')))];
}
