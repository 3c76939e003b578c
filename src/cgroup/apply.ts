/**
 * Limits written to (and read back from) a container's cgroup files. The same flag means a
 * different file per version:
 *
 *   flag            cgroup v2                     cgroup v1
 *   -m              memory.max                    memory.limit_in_bytes
 *   --memory-swap   memory.swap.max (swap only)   memory.memsw.limit_in_bytes (memory+swap)
 *   --cpus          cpu.max "QUOTA PERIOD"        cpu.cfs_quota_us, cpu.cfs_period_us
 *   --cpu-weight    cpu.weight                    cpu.shares (converted)
 *   --cpu-shares    cpu.weight (converted)        cpu.shares
 *   --cpuset-cpus   cpuset.cpus                   cpuset.cpus
 *   --pids-limit    pids.max                      pids.max
 *
 * As Docker does, -m alone allows as much swap as memory (memory+swap = 2 x memory).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Explainer } from '../util/explain.js';
import { CgroupError, readCgroupFile, readLimit, readNumber, writeCgroupFile } from './files.js';
import { cgroupLayout, controllerAvailable, controllerRoot, type CgroupLayout, type Controller } from './hierarchy.js';
import { checkMemorySwap, CPU_PERIOD_US, formatBytes, hasLimits, parseCpuList, parseLimits, sharesToWeight, weightToShares, type CgroupLimits, type LimitFlags } from './limits.js';
import type { CgroupPaths } from './paths.js';

const FLAG_CONTROLLER: Record<Exclude<keyof CgroupLimits, 'unified'>, Controller> = {
  memory: 'memory',
  memorySwap: 'memory',
  memoryReservation: 'memory',
  cpus: 'cpu',
  cpuPeriod: 'cpu',
  cpuShares: 'cpu',
  cpuWeight: 'cpu',
  cpusetCpus: 'cpuset',
  cpusetMems: 'cpuset',
  pidsLimit: 'pids',
};

const FLAG_NAME: Record<Exclude<keyof CgroupLimits, 'unified'>, string> = {
  memory: '--memory',
  memorySwap: '--memory-swap',
  memoryReservation: 'memory.reservation',
  cpus: '--cpus',
  cpuPeriod: 'cpu.period',
  cpuShares: '--cpu-shares',
  cpuWeight: '--cpu-weight',
  cpusetCpus: '--cpuset-cpus',
  cpusetMems: 'cpu.mems',
  pidsLimit: '--pids-limit',
};

function whereMissing(c: Controller, layout: CgroupLayout): string {
  if (layout.mode === 'unified') return `the ${c} controller is not enabled in ${layout.v2Root}/cgroup.subtree_control`;
  return `no cgroup v1 hierarchy with the ${c} controller is mounted (${layout.mode} host)`;
}

/** A limit this host cannot enforce is an error, found before anything is created. */
export function checkLimitsSupported(l: CgroupLimits, layout: CgroupLayout = cgroupLayout()): void {
  if (l.unified && layout.mode !== 'unified') throw new CgroupError(`linux.resources.unified cannot be applied on this ${layout.mode} host: it needs cgroup v2 only`);
  for (const key of Object.keys(l) as (keyof CgroupLimits)[]) {
    if (l[key] === undefined || key === 'unified') continue;
    const c = FLAG_CONTROLLER[key];
    if (!controllerAvailable(c, layout)) throw new CgroupError(`${FLAG_NAME[key]} cannot be enforced on this host: ${whereMissing(c, layout)}`);
  }
  const v1 = layout.mode !== 'unified';
  if (l.cpus !== undefined && v1 && !existsSync(join(controllerRoot('cpu', layout)!, 'cpu.cfs_quota_us'))) {
    throw new CgroupError('--cpus cannot be enforced on this host: the kernel has no CFS bandwidth control (no cpu.cfs_quota_us)');
  }
  if (l.memorySwap !== undefined && v1 && !existsSync(join(controllerRoot('memory', layout)!, 'memory.memsw.limit_in_bytes'))) {
    throw new CgroupError('--memory-swap cannot be enforced on this host: the kernel does not account swap (no memory.memsw.limit_in_bytes; boot with swapaccount=1)');
  }
  if (l.cpusetCpus !== undefined) {
    const root = controllerRoot('cpuset', layout)!;
    const effective = parseCpuList(readCgroupFile(join(root, v1 ? 'cpuset.effective_cpus' : 'cpuset.cpus.effective')) ?? '') ?? [];
    const wanted = parseCpuList(l.cpusetCpus) ?? [];
    const missing = wanted.filter((c) => !effective.includes(c));
    if (effective.length && missing.length) throw new CgroupError(`--cpuset-cpus ${l.cpusetCpus}: CPU ${missing.join(', ')} is not available to containers here (cpuset ${effective.join(',')})`);
  }
}

interface ApplyOptions {
  /** first limits of a new cgroup, not an update (v1 cpuset was set when it was made) */
  initial: boolean;
  /** -m without --memory-swap allows as much swap again (Docker's default, for update);
   * a spec spells its swap out (cgroup/resources.ts) */
  swapFollowsMemory?: boolean;
}

/** Write the limits into the container's cgroup files, each one shown by --explain. */
export function applyLimits(p: CgroupPaths, l: CgroupLimits, explain: Explainer, opts: ApplyOptions): void {
  checkLimitsSupported(l, p.layout);
  const dir = (c: Controller): string => p.byController.get(c)!;
  const put = (c: Controller, file: string, value: string | number, what: string): void =>
    writeCgroupFile(join(dir(c), file), String(value), explain, what);
  const period = l.cpuPeriod ?? CPU_PERIOD_US;
  if (p.layout.mode === 'unified') {
    if (l.memory !== undefined) put('memory', 'memory.max', l.memory, `limit memory to ${formatBytes(l.memory)} (-m)`);
    const swap = l.memorySwap === -1 ? 'max' : l.memorySwap !== undefined ? l.memorySwap - (l.memory ?? readLimit(join(dir('memory'), 'memory.max')) ?? 0) : l.memory !== undefined && opts.swapFollowsMemory ? l.memory : undefined;
    if (swap !== undefined) {
      if (existsSync(join(dir('memory'), 'memory.swap.max'))) put('memory', 'memory.swap.max', swap, l.memorySwap !== undefined ? 'limit swap: --memory-swap minus --memory' : 'allow as much swap as memory (Docker\'s default)');
      else if (l.memorySwap !== undefined) throw new CgroupError('--memory-swap cannot be enforced on this host: the kernel does not account swap (no memory.swap.max)');
    }
    if (l.memoryReservation !== undefined) put('memory', 'memory.low', l.memoryReservation, `protect ${formatBytes(l.memoryReservation)} of memory from reclaim (memory.reservation)`);
    if (l.cpus !== undefined) put('cpu', 'cpu.max', `${Math.round(l.cpus * period)} ${period}`, `limit CPU time to ${l.cpus} CPU: quota per period, in microseconds (--cpus)`);
    const weight = l.cpuWeight ?? (l.cpuShares !== undefined ? sharesToWeight(l.cpuShares) : undefined);
    if (weight !== undefined) put('cpu', 'cpu.weight', weight, l.cpuShares !== undefined ? `CPU weight (--cpu-shares ${l.cpuShares} converted to cgroup v2's cpu.weight)` : 'CPU weight, relative to other cgroups (--cpu-weight)');
    if (l.cpusetCpus !== undefined) put('cpuset', 'cpuset.cpus', l.cpusetCpus, 'pin to these CPUs (--cpuset-cpus)');
    if (l.cpusetMems !== undefined) put('cpuset', 'cpuset.mems', l.cpusetMems, 'use these memory nodes (cpu.mems)');
    if (l.pidsLimit !== undefined) put('pids', 'pids.max', l.pidsLimit === -1 ? 'max' : l.pidsLimit, 'limit the number of processes (--pids-limit)');
    for (const [file, value] of Object.entries(l.unified ?? {})) {
      if (!existsSync(join(p.v2!, file))) throw new CgroupError(`linux.resources.unified: the kernel has no cgroup file ${file} here`);
      writeCgroupFile(join(p.v2!, file), value, explain, `write a cgroup v2 file as the spec gives it (unified.${file})`);
    }
    return;
  }
  if (l.memory !== undefined || l.memorySwap !== undefined) applyMemoryV1(dir('memory'), l, explain, opts.swapFollowsMemory ?? false);
  if (l.memoryReservation !== undefined) put('memory', 'memory.soft_limit_in_bytes', l.memoryReservation, `a soft memory limit of ${formatBytes(l.memoryReservation)} (memory.reservation)`);
  if (l.cpus !== undefined) {
    put('cpu', 'cpu.cfs_period_us', period, 'CFS period, in microseconds');
    put('cpu', 'cpu.cfs_quota_us', Math.round(l.cpus * period), `limit CPU time to ${l.cpus} CPU per period (--cpus)`);
  }
  const shares = l.cpuShares ?? (l.cpuWeight !== undefined ? weightToShares(l.cpuWeight) : undefined);
  if (shares !== undefined) put('cpu', 'cpu.shares', shares, l.cpuWeight !== undefined ? `CPU shares (--cpu-weight ${l.cpuWeight} converted to cgroup v1's cpu.shares)` : 'CPU shares, relative to other cgroups (--cpu-shares)');
  if (l.cpusetCpus !== undefined && !opts.initial) put('cpuset', 'cpuset.cpus', l.cpusetCpus, 'pin to these CPUs (--cpuset-cpus)');
  if (l.cpusetMems !== undefined) put('cpuset', 'cpuset.mems', l.cpusetMems, 'use these memory nodes (cpu.mems)');
  if (l.pidsLimit !== undefined) put('pids', 'pids.max', l.pidsLimit === -1 ? 'max' : l.pidsLimit, 'limit the number of processes (--pids-limit)');
}

/** v1 memory: memsw (memory+swap) must never be below the memory limit, so the order of the
 * two writes depends on whether the limit goes up or down. */
function applyMemoryV1(dir: string, l: CgroupLimits, explain: Explainer, swapFollowsMemory: boolean): void {
  const memFile = join(dir, 'memory.limit_in_bytes');
  const swFile = join(dir, 'memory.memsw.limit_in_bytes');
  const hasSwapAccounting = existsSync(swFile);
  let memsw: number | undefined = l.memorySwap;
  if (!hasSwapAccounting) {
    if (l.memorySwap !== undefined) throw new CgroupError('--memory-swap cannot be enforced on this host: the kernel does not account swap (no memory.memsw.limit_in_bytes)');
    memsw = undefined;
  } else if (memsw === undefined && l.memory !== undefined && swapFollowsMemory) {
    memsw = 2 * l.memory;
  }
  if (l.memory === undefined && memsw === undefined) return;
  const writeMem = (): void => {
    if (l.memory !== undefined) writeCgroupFile(memFile, String(l.memory), explain, `limit memory to ${formatBytes(l.memory)} (-m)`);
  };
  const writeSw = (): void => {
    if (memsw !== undefined) writeCgroupFile(swFile, String(memsw), explain, l.memorySwap !== undefined ? 'limit memory+swap (--memory-swap)' : 'allow as much swap as memory: memory+swap = 2 x -m (Docker\'s default)');
  };
  const currentSw = readLimit(swFile) ?? Infinity;
  if (l.memory !== undefined && l.memory > currentSw) {
    writeSw();
    writeMem();
  } else {
    writeMem();
    writeSw();
  }
}

/** The limits in force, read back from the kernel's files (for inspect and update). */
export interface AppliedLimits {
  memory?: number;
  memorySwap?: number;
  cpus?: number;
  cpuWeight?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
}

export function readAppliedLimits(p: CgroupPaths): AppliedLimits {
  const f = (c: Controller, file: string): string | undefined => {
    const d = p.byController.get(c);
    return d ? join(d, file) : undefined;
  };
  const lim = (c: Controller, file: string): number | undefined => {
    const path = f(c, file);
    return path ? readLimit(path) : undefined;
  };
  const out: AppliedLimits = {};
  if (p.layout.mode === 'unified') {
    out.memory = lim('memory', 'memory.max');
    const swap = lim('memory', 'memory.swap.max');
    if (out.memory !== undefined && swap !== undefined) out.memorySwap = out.memory + swap;
    const [quota, period] = (readCgroupFile(f('cpu', 'cpu.max') ?? '') ?? 'max').split(' ');
    if (quota && quota !== 'max' && period) out.cpus = Number(quota) / Number(period);
    out.cpuWeight = readNumber(f('cpu', 'cpu.weight') ?? '');
  } else {
    out.memory = lim('memory', 'memory.limit_in_bytes');
    out.memorySwap = lim('memory', 'memory.memsw.limit_in_bytes');
    const quota = Number(readCgroupFile(f('cpu', 'cpu.cfs_quota_us') ?? '') ?? -1);
    const period = Number(readCgroupFile(f('cpu', 'cpu.cfs_period_us') ?? '') ?? 0);
    if (quota > 0 && period > 0) out.cpus = quota / period;
    out.cpuShares = readNumber(f('cpu', 'cpu.shares') ?? '');
  }
  out.cpusetCpus = readCgroupFile(f('cpuset', 'cpuset.cpus') ?? '') || undefined;
  out.pidsLimit = lim('pids', 'pids.max');
  return out;
}

/** run's flags -> the limits to store with the container, or undefined for none. Bad values
 * and limits this host cannot enforce are refused here, before anything is created. */
export function limitsFromFlags(flags: LimitFlags | undefined): CgroupLimits | undefined {
  if (!flags) return undefined;
  const limits = parseLimits(flags);
  if (!hasLimits(limits)) return undefined;
  checkMemorySwap(limits);
  checkLimitsSupported(limits);
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as CgroupLimits;
}
