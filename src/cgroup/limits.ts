/**
 * Resource-limit flags (run, update) turned into checked values, as Docker reads them:
 * sizes like 64m or 1.5g (binary units), --cpus as a fraction of CPUs, --pids-limit -1 for no
 * limit. Everything here is pure; whether this host can enforce a limit is checked by
 * checkLimitsSupported (support.ts), also before anything is created.
 */
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.js';
import { formatBytes, parseBytes } from '../util/size.js';

// the size parser and printer are shared with the image store's limits (util/size.ts)
export { formatBytes, parseBytes };

export interface CgroupLimits {
  /** -m: bytes */
  memory?: number;
  /** --memory-swap: memory + swap, in bytes; -1: unlimited swap */
  memorySwap?: number;
  /** --cpus: CPUs worth of time per period (0.5 = half a CPU) */
  cpus?: number;
  /** --cpu-shares (v1 cpu.shares, 2..262144; converted to cpu.weight on v2) */
  cpuShares?: number;
  /** --cpu-weight (v2 cpu.weight, 1..10000; converted to cpu.shares on v1) */
  cpuWeight?: number;
  /** --cpuset-cpus, e.g. "0-1,3" */
  cpusetCpus?: string;
  /** --pids-limit; -1: unlimited */
  pidsLimit?: number;
  /** OCI memory.reservation: a soft limit (v2 memory.low, v1 memory.soft_limit_in_bytes) */
  memoryReservation?: number;
  /** OCI cpu.period when it is not the default 100 ms (with cpus: quota = cpus * period) */
  cpuPeriod?: number;
  /** OCI cpu.mems: memory nodes */
  cpusetMems?: string;
  /** OCI unified: cgroup v2 files written as given, e.g. {"memory.high": "64M"} */
  unified?: Record<string, string>;
}

/** The flags as typed (strings from commander). */
export interface LimitFlags {
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  cpuShares?: string;
  cpuWeight?: string;
  cpusetCpus?: string;
  pidsLimit?: string;
}

/** Docker's minimum: less and the container's init is killed before the command starts. */
export const MIN_MEMORY = 6 * 1024 * 1024;
export const CPU_PERIOD_US = 100_000;

function parseInteger(flag: string, value: string, min: number, max: number, hint = ''): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`invalid ${flag} "${value}": expected an integer${hint}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`invalid ${flag} ${value}: must be between ${min} and ${max}${hint}`);
  return n;
}

/** "0-2,5" -> [0,1,2,5]; undefined when malformed. */
export function parseCpuList(list: string): number[] | undefined {
  const out = new Set<number>();
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (hi < lo || hi > 4095) return undefined;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

export function parseLimits(f: LimitFlags, knownCpus?: number): CgroupLimits {
  // asked only when a CPU flag is given: node:os is then not loaded by every run
  const cpuCount = (): number => knownCpus ?? availableParallelism();
  const l: CgroupLimits = {};
  if (f.memory !== undefined) {
    if (f.memory.trim().startsWith('-')) throw new UsageError(`invalid --memory "${f.memory}": must not be negative`);
    l.memory = parseBytes('--memory', f.memory);
    if (l.memory < MIN_MEMORY) throw new UsageError(`invalid --memory "${f.memory}": the minimum is 6m`);
  }
  if (f.memorySwap !== undefined) {
    if (f.memorySwap.trim() === '-1') l.memorySwap = -1;
    else {
      if (f.memorySwap.trim().startsWith('-')) throw new UsageError(`invalid --memory-swap "${f.memorySwap}": must not be negative (-1 means unlimited swap)`);
      l.memorySwap = parseBytes('--memory-swap', f.memorySwap);
    }
  }
  if (f.cpus !== undefined) {
    const v = f.cpus.trim();
    if (!/^-?\d*\.?\d+$/.test(v)) throw new UsageError(`invalid --cpus "${f.cpus}": expected a number of CPUs, e.g. 0.5 or 2`);
    const n = Number(v);
    if (n <= 0) throw new UsageError(`invalid --cpus ${f.cpus}: must be greater than 0`);
    const hostCpus = cpuCount();
    if (n > hostCpus) throw new UsageError(`invalid --cpus ${f.cpus}: this host has only ${hostCpus} CPUs`);
    if (Math.round(n * CPU_PERIOD_US) < 1000) throw new UsageError(`invalid --cpus ${f.cpus}: the minimum is 0.01`);
    l.cpus = n;
  }
  if (f.cpuShares !== undefined && f.cpuWeight !== undefined) throw new UsageError('--cpu-shares and --cpu-weight set the same thing: give one of them');
  if (f.cpuShares !== undefined) l.cpuShares = parseInteger('--cpu-shares', f.cpuShares, 2, 262144, ' (default 1024)');
  if (f.cpuWeight !== undefined) l.cpuWeight = parseInteger('--cpu-weight', f.cpuWeight, 1, 10000, ' (default 100)');
  if (f.cpusetCpus !== undefined) {
    const cpus = parseCpuList(f.cpusetCpus);
    if (!cpus || cpus.length === 0) throw new UsageError(`invalid --cpuset-cpus "${f.cpusetCpus}": expected a CPU list like 0, 0-1 or 0,2`);
    const hostCpus = cpuCount();
    const missing = cpus.filter((c) => c >= hostCpus);
    if (missing.length) throw new UsageError(`invalid --cpuset-cpus "${f.cpusetCpus}": no CPU ${missing.join(', ')} on this host (CPUs 0-${hostCpus - 1})`);
    l.cpusetCpus = f.cpusetCpus.trim();
  }
  if (f.pidsLimit !== undefined) {
    const v = f.pidsLimit.trim();
    if (v === '-1') l.pidsLimit = -1;
    else {
      if (v.startsWith('-')) throw new UsageError(`invalid --pids-limit ${f.pidsLimit}: must be positive (-1 means unlimited)`);
      l.pidsLimit = parseInteger('--pids-limit', v, 1, 4194304, ' (-1 means unlimited)');
    }
  }
  return l;
}

/** Check how memory and swap fit together (needs the container's current limits on update). */
export function checkMemorySwap(l: CgroupLimits): void {
  if (l.memorySwap === undefined || l.memorySwap === -1) return;
  if (l.memory === undefined) throw new UsageError('--memory-swap needs --memory: it is the limit of memory and swap together');
  if (l.memorySwap < l.memory) throw new UsageError(`invalid --memory-swap ${l.memorySwap}: must be at least --memory (${l.memory}): it is memory and swap together`);
}

export function hasLimits(l: CgroupLimits | undefined): boolean {
  return !!l && Object.values(l).some((v) => v !== undefined);
}

/** cpu.shares (v1) <-> cpu.weight (v2), the conversion runc and crun use. */
export const sharesToWeight = (shares: number): number => 1 + Math.floor(((shares - 2) * 9999) / 262142);
export const weightToShares = (weight: number): number => 2 + Math.floor(((weight - 1) * 262142) / 9999);

