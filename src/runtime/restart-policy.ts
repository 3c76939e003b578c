/**
 * `run --restart`: the policy (parsed here), when it restarts a container, and Docker's
 * back-off between restarts. Pure code: the decision is carried out by runtime/restart.ts.
 */
import { UsageError } from '../errors.js';

export type RestartPolicyName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

/** As `docker inspect` shows it under HostConfig.RestartPolicy. */
export interface RestartPolicy {
  Name: RestartPolicyName;
  /** on-failure:N; 0 = no limit */
  MaximumRetryCount: number;
}

/** no | on-failure[:N] | always | unless-stopped (Docker's words, Docker's refusals). */
export function parseRestartPolicy(value: string | undefined): RestartPolicy {
  if (value === undefined || value === '' || value === 'no') return { Name: 'no', MaximumRetryCount: 0 };
  const m = /^(no|on-failure|always|unless-stopped)(?::(.*))?$/.exec(value);
  if (!m) throw new UsageError(`invalid --restart "${value}": expected no, on-failure[:N], always or unless-stopped`);
  const name = m[1] as RestartPolicyName;
  if (m[2] === undefined) return { Name: name, MaximumRetryCount: 0 };
  if (name !== 'on-failure') throw new UsageError(`invalid --restart "${value}": only on-failure takes a maximum retry count`);
  if (!/^\d{1,9}$/.test(m[2])) throw new UsageError(`invalid --restart "${value}": the maximum retry count must be a non-negative integer`);
  return { Name: name, MaximumRetryCount: Number(m[2]) };
}

export function formatRestartPolicy(p: RestartPolicy): string {
  return p.Name === 'on-failure' && p.MaximumRetryCount > 0 ? `on-failure:${p.MaximumRetryCount}` : p.Name;
}

export interface ExitFacts {
  exitCode: number;
  /** restarts done so far (State.RestartCount) */
  restartCount: number;
  /** `stop`, `kill` (or `rm -f`) ended it: a policy never undoes that */
  stoppedByUser: boolean;
}

/** Does the container come back after this exit? (Docker's restartmanager.ShouldRestart) */
export function shouldRestart(p: RestartPolicy, f: ExitFacts): boolean {
  if (f.stoppedByUser) return false;
  switch (p.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return f.exitCode !== 0 && (p.MaximumRetryCount === 0 || f.restartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

/** Docker's back-off: 100 ms, doubled at each restart, at most a minute; back to 100 ms once
 * the container had run 10 s. */
export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
export const BACKOFF_RESET_AFTER_MS = 10_000;

/** The wait before the next restart, from the previous wait (none: the first restart) and
 * how long the container ran this time. */
export function nextBackoff(previousMs: number | undefined, ranMs: number): number {
  if (previousMs === undefined || previousMs <= 0 || ranMs >= BACKOFF_RESET_AFTER_MS) return BACKOFF_START_MS;
  return Math.min(previousMs * 2, BACKOFF_MAX_MS);
}

/** A failed policy restart as one record of the container's log (the monitor's framing:
 * stream 2, time in ns, length, little-endian; logs.ts parseRecords), so that `minictr logs`
 * shows it: the monitor runs `minictr restart-policy` with its output discarded (pure). */
export function policyFailureRecord(message: string, nowMs: number): Buffer {
  const data = Buffer.from(`minictr: the restart policy could not restart the container: ${message}\n`);
  const head = Buffer.alloc(13);
  head[0] = 2;
  head.writeBigUInt64LE(BigInt(nowMs) * 1_000_000n, 1);
  head.writeUInt32LE(data.length, 9);
  return Buffer.concat([head, data]);
}
