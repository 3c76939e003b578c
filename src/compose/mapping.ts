/**
 * Compose keys that map onto `minictr run` flags: named volumes (`-v NAME:/path`, with
 * `minictr volume`), restart policies (`--restart`) and health checks (`--health-*`). One
 * small function each, giving the flags.
 */
import { healthTiming, type HealthConfig } from '../runtime/healthcheck.js';
import { shellLine } from '../util/shell.js';
import type { HealthCheck, VolumeDecl, VolumeEntry } from './model.js';

export function volumeFlags(project: string, v: VolumeEntry, declared: VolumeDecl[] = []): string[] {
  const ro = v.readOnly ? ':ro' : '';
  if (v.type === 'bind') return ['-v', `${v.source}:${v.target}${ro}`];
  // Compose names a project's volume PROJECT_NAME (or its `name:`)
  const name = declared.find((d) => d.key === v.source)?.name ?? `${project}_${v.source}`;
  return ['-v', `${name}:${v.target}${ro}`];
}

export function restartFlags(restart: string | undefined): string[] {
  return restart === undefined ? [] : ['--restart', restart];
}

export function healthFlags(h: HealthCheck | undefined): string[] {
  if (h === undefined) return [];
  if (h.disable || h.test?.[0] === 'NONE') return ['--no-healthcheck'];
  const out: string[] = [];
  if (h.test) out.push('--health-cmd', h.test[0] === 'CMD-SHELL' ? h.test.slice(1).join(' ') : shellLine(h.test[0] === 'CMD' ? h.test.slice(1) : h.test));
  if (h.interval) out.push('--health-interval', h.interval);
  if (h.timeout) out.push('--health-timeout', h.timeout);
  if (h.retries !== undefined) out.push('--health-retries', String(h.retries));
  if (h.startPeriod) out.push('--health-start-period', h.startPeriod);
  return out;
}

/** How long `up` waits for a `service_healthy` dependency: by then its checks must have
 * decided (the start period, then RETRIES failures in a row, each at most interval + timeout
 * apart), with 10 s to spare; a monitor that runs no checks is caught by it. */
export function healthWaitMs(h: HealthConfig): number {
  const t = healthTiming(h);
  return t.startPeriodMs + (t.retries + 1) * (t.intervalMs + t.timeoutMs) + 10_000;
}
