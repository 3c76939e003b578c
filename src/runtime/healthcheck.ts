/**
 * Health checks (--health-cmd and friends, or the image's HEALTHCHECK): the flags checked,
 * merged with the image's, and what one probe's result does to the container's health, with
 * Docker's rules (daemon/health.go). Pure code: runtime/health-probe.ts runs the probes.
 */
import { UsageError } from '../errors.js';
import type { HealthConfig } from '../image/store.js';

export type { HealthConfig };

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthResult {
  Start: string;
  End: string;
  /** 0 healthy, else unhealthy; -1: the check exceeded its timeout */
  ExitCode: number;
  Output: string;
}

/** State.Health, as `docker inspect` shows it. */
export interface Health {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthResult[];
}

export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRIES = 3;
/** Docker keeps the last 5 results, each output cut at 4 KiB */
export const MAX_LOG_ENTRIES = 5;
export const MAX_OUTPUT = 4096;

const NS_PER_MS = 1_000_000;
const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ("1s", "500ms", "1m30s", "1.5s") in nanoseconds; undefined for an unknown form. */
export function parseGoDuration(text: string): number | undefined {
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[-+]/, '');
  if (body === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    at = re.lastIndex;
  }
  if (!body || at !== body.length) return undefined;
  return sign * Math.round(total);
}

/** The --health-* flags as typed. */
export interface HealthFlags {
  cmd?: string;
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  retries?: string;
  none?: boolean;
}

function duration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ns = parseGoDuration(value);
  if (ns === undefined) throw new UsageError(`invalid ${flag} "${value}": expected a duration such as 30s, 500ms or 1m30s`);
  if (ns < 0) throw new UsageError(`invalid ${flag} "${value}": cannot be negative`);
  if (ns > 0 && ns < NS_PER_MS) throw new UsageError(`invalid ${flag} "${value}": at least 1ms`);
  return ns;
}

/** The flags checked before anything is made; undefined fields were not given. */
export function parseHealthFlags(f: HealthFlags): { none: boolean; config: Partial<HealthConfig> } {
  const given = [f.cmd !== undefined, f.interval, f.timeout, f.startPeriod, f.retries].some((v) => v !== undefined && v !== false);
  if (f.none && given) throw new UsageError('--no-healthcheck conflicts with the --health-* options');
  if (f.cmd !== undefined && !f.cmd.trim()) throw new UsageError('invalid --health-cmd "": a command is needed');
  let retries: number | undefined;
  if (f.retries !== undefined) {
    if (!/^-?\d{1,9}$/.test(f.retries)) throw new UsageError(`invalid --health-retries "${f.retries}": expected an integer`);
    retries = Number(f.retries);
    if (retries < 0) throw new UsageError(`invalid --health-retries "${f.retries}": cannot be negative`);
  }
  const config: Partial<HealthConfig> = {
    ...(f.cmd !== undefined ? { Test: ['CMD-SHELL', f.cmd] } : {}),
    ...defined('Interval', duration('--health-interval', f.interval)),
    ...defined('Timeout', duration('--health-timeout', f.timeout)),
    ...defined('StartPeriod', duration('--health-start-period', f.startPeriod)),
    ...defined('Retries', retries),
  };
  return { none: Boolean(f.none), config };
}

function defined<K extends string>(k: K, v: number | undefined): Partial<Record<K, number>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, number>);
}

/** The container's health check: the flags over the image's (as docker run merges them);
 * undefined when there is none or it is turned off (--no-healthcheck, or Test ["NONE"]). */
export function mergeHealthcheck(flags: ReturnType<typeof parseHealthFlags>, image: HealthConfig | undefined): HealthConfig | undefined {
  if (flags.none) return undefined;
  const fromImage = image && image.Test?.length && image.Test[0] !== 'NONE' ? image : undefined;
  const merged = { ...(fromImage ?? {}), ...flags.config } as Partial<HealthConfig>;
  if (!merged.Test) {
    if (Object.keys(flags.config).length) throw new UsageError('the --health-* options need --health-cmd (the image has no HEALTHCHECK)');
    return undefined;
  }
  if (merged.Test[0] === 'NONE') return undefined;
  if (merged.Test[0] !== 'CMD' && merged.Test[0] !== 'CMD-SHELL') throw new UsageError(`unknown health check test ${JSON.stringify(merged.Test[0])}: CMD, CMD-SHELL or NONE`);
  if (merged.Test.length < 2) throw new UsageError('the health check has no command');
  return merged as HealthConfig;
}

/** What the monitor and the probe use: intervals in ms, defaults filled in. */
export function healthTiming(h: HealthConfig): { intervalMs: number; timeoutMs: number; startPeriodMs: number; retries: number } {
  const ms = (ns: number | undefined, dflt: number): number => (ns ? Math.max(1, Math.round(ns / NS_PER_MS)) : dflt);
  return { intervalMs: ms(h.Interval, DEFAULT_INTERVAL_MS), timeoutMs: ms(h.Timeout, DEFAULT_TIMEOUT_MS), startPeriodMs: ms(h.StartPeriod, 0), retries: h.Retries || DEFAULT_RETRIES };
}

/** The command the check runs in the container. */
export function healthArgv(h: HealthConfig): string[] {
  return h.Test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', h.Test.slice(1).join(' ')] : h.Test.slice(1);
}

export const INITIAL_HEALTH: Health = { Status: 'starting', FailingStreak: 0, Log: [] };

/** One probe's result applied (Docker's handleProbeResult): a success makes it healthy; a
 * failure counts towards retries, except while it is still starting within its start period. */
export function applyProbe(prev: Health, result: HealthResult, h: HealthConfig, startedAtMs: number): Health {
  const { retries, startPeriodMs } = healthTiming(h);
  const entry = { ...result, Output: result.Output.length > MAX_OUTPUT ? result.Output.slice(0, MAX_OUTPUT) : result.Output };
  const Log = [...prev.Log, entry].slice(-MAX_LOG_ENTRIES);
  if (result.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  const inStartPeriod = prev.Status === 'starting' && Date.parse(result.Start) - startedAtMs < startPeriodMs;
  if (inStartPeriod) return { ...prev, Log };
  const FailingStreak = prev.FailingStreak + 1;
  return { Status: FailingStreak >= retries ? 'unhealthy' : prev.Status, FailingStreak, Log };
}

/** What `ps` adds to "Up ...". */
export function healthSuffix(h: Health | undefined): string {
  if (!h) return '';
  return h.Status === 'starting' ? ' (health: starting)' : ` (${h.Status})`;
}
