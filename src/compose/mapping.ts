/**
 * Compose keys that map onto `minictr run` flags other branches add: named volumes
 * (`-v NAME:/path`, with `minictr volume`), restart policies (`--restart`) and health checks
 * (`--health-*`). One small function each: it gives the flags (RunFeatures, read from the
 * real `run` command's options, says this minictr has them; a build without them gets one
 * "not supported yet" line naming the service and field, never a silent ignore).
 */
import { healthTiming, type HealthConfig } from '../runtime/healthcheck.js';
import { shellLine } from '../util/shell.js';
import type { HealthCheck, VolumeDecl, VolumeEntry } from './model.js';
import { notSupported } from './validate.js';

export interface RunFeatures {
  /** `minictr volume` exists: -v NAME:/path mounts a named volume */
  namedVolumes: boolean;
  /** `minictr run --restart` */
  restart: boolean;
  /** `minictr run --health-cmd` ... */
  health: boolean;
}

export const NO_FEATURES: RunFeatures = { namedVolumes: false, restart: false, health: false };

interface At {
  source: string;
  project: string;
  service: string;
}

export function volumeFlags(at: At, v: VolumeEntry, i: number, f: RunFeatures, declared: VolumeDecl[] = []): string[] {
  const ro = v.readOnly ? ':ro' : '';
  if (v.type === 'bind') return ['-v', `${v.source}:${v.target}${ro}`];
  if (!f.namedVolumes) notSupported({ source: at.source, path: `services.${at.service}.volumes[${i}]` }, `named volume ${v.source}: minictr has no named volumes yet; use a bind mount (./dir:${v.target})`);
  // Compose names a project's volume PROJECT_NAME (or its `name:`)
  const name = declared.find((d) => d.key === v.source)?.name ?? `${at.project}_${v.source}`;
  return ['-v', `${name}:${v.target}${ro}`];
}

export function restartFlags(at: At, restart: string | undefined, f: RunFeatures): string[] {
  if (restart === undefined) return [];
  if (!f.restart) notSupported({ source: at.source, path: `services.${at.service}.restart` }, 'minictr run has no --restart yet');
  return ['--restart', restart];
}

export function healthFlags(at: At, h: HealthCheck | undefined, f: RunFeatures): string[] {
  if (h === undefined) return [];
  if (!f.health) notSupported({ source: at.source, path: `services.${at.service}.healthcheck` }, 'minictr run has no --health-cmd yet');
  if (h.disable || h.test?.[0] === 'NONE') return ['--no-healthcheck'];
  const out: string[] = [];
  if (h.test) out.push('--health-cmd', h.test[0] === 'CMD-SHELL' ? h.test.slice(1).join(' ') : shellLine(h.test[0] === 'CMD' ? h.test.slice(1) : h.test));
  if (h.interval) out.push('--health-interval', h.interval);
  if (h.timeout) out.push('--health-timeout', h.timeout);
  if (h.retries !== undefined) out.push('--health-retries', String(h.retries));
  if (h.startPeriod) out.push('--health-start-period', h.startPeriod);
  return out;
}

/** `condition: service_healthy` waits for a health check: only once they exist. */
export function checkHealthyCondition(at: At, dependency: string, f: RunFeatures): void {
  if (!f.health) notSupported({ source: at.source, path: `services.${at.service}.depends_on.${dependency}.condition` }, 'service_healthy needs health checks, which minictr does not have yet');
}

/** How long `up` waits for a `service_healthy` dependency: by then its checks must have
 * decided (the start period, then RETRIES failures in a row, each at most interval + timeout
 * apart), with 10 s to spare; a monitor that runs no checks is caught by it. */
export function healthWaitMs(h: HealthConfig): number {
  const t = healthTiming(h);
  return t.startPeriodMs + (t.retries + 1) * (t.intervalMs + t.timeoutMs) + 10_000;
}
