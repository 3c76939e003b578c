/**
 * How much a lab file may ask for, checked before `net up` runs its first step. The defaults
 * fit any class lab and stop a runaway file (10,000 hosts, a 2 MB value, /dev/zero) at once;
 * the file size and the counts can be raised, by a variable for every command that reads a lab
 * file, or by a flag of `net up`. The size of one value cannot: no field needs 4 KiB.
 */
import { UsageError } from '../../../errors.js';

export interface LabLimits {
  /** size of the lab file */
  bytes: number;
  hosts: number;
  switches: number;
  links: number;
}

export type LimitKey = keyof LabLimits;

export const DEFAULT_LIMITS: Readonly<LabLimits> = { bytes: 1024 * 1024, hosts: 1000, switches: 1000, links: 4000 };

/** Any string of the file, a key or a value. */
export const MAX_VALUE_BYTES = 4096;

/** Addresses of one interface, routes of one host. */
export const MAX_LIST = 1000;

export const LIMIT_VARS: Readonly<Record<LimitKey, string>> = {
  bytes: 'MINICTR_LAB_MAX_BYTES',
  hosts: 'MINICTR_LAB_MAX_HOSTS',
  switches: 'MINICTR_LAB_MAX_SWITCHES',
  links: 'MINICTR_LAB_MAX_LINKS',
};

export const LIMIT_FLAGS: Readonly<Partial<Record<LimitKey, string>>> = {
  hosts: '--max-hosts',
  switches: '--max-switches',
  links: '--max-links',
};

/** How a message says to raise a limit: "--max-hosts or MINICTR_LAB_MAX_HOSTS raises it". */
export function raiseHint(key: LimitKey): string {
  const flag = LIMIT_FLAGS[key];
  return `${flag ? `${flag} or ` : ''}${LIMIT_VARS[key]} raises it`;
}

function count(value: string, where: string): number {
  const v = value.trim();
  // at most 12 digits: a limit is a bound, not a way to make a number overflow
  if (!/^\d{1,12}$/.test(v) || Number(v) < 1) {
    throw new UsageError(`${where}: ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} is not a whole number of at least 1`);
  }
  return Number(v);
}

/** The limits in force: a flag, else the variable, else the default. */
export function labLimits(flags: Partial<Record<LimitKey, string>> = {}, env: NodeJS.ProcessEnv = process.env): LabLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as LimitKey[]) {
    const flag = flags[key];
    const fromEnv = env[LIMIT_VARS[key]];
    if (flag !== undefined) out[key] = count(flag, LIMIT_FLAGS[key] ?? key);
    else if (fromEnv !== undefined && fromEnv !== '') out[key] = count(fromEnv, LIMIT_VARS[key]);
  }
  return out;
}
