/**
 * OCI `linux.resources` <-> the limits this library writes (CgroupLimits). The spec is the
 * description of a container; these functions are the only translation in either direction:
 * `minictr run` turns its flags into a spec (resourcesFromLimits), and every container is
 * started from its spec (limitsFromResources).
 *
 *   linux.resources                  CgroupLimits
 *   memory.limit / .swap (mem+swap)  memory / memorySwap (-1: unlimited swap)
 *   memory.reservation               memoryReservation
 *   cpu.quota / cpu.period           cpus (quota / period)
 *   cpu.shares                       cpuShares (converted to cpu.weight on v2)
 *   unified["cpu.weight"]            cpuWeight (converted to cpu.shares on v1)
 *   cpu.cpus / cpu.mems              cpusetCpus / cpusetMems
 *   pids.limit (<= 0: unlimited)     pidsLimit (-1: unlimited)
 *   other unified keys               unified (v2 files written as given)
 */
import type { OciResources } from '../spec/config.js';
import { CgroupError } from './files.js';
import { CPU_PERIOD_US, type CgroupLimits } from './limits.js';

/** Docker's swap default is spelled out here: -m alone allows as much swap as memory. */
export function resourcesFromLimits(l: CgroupLimits | undefined): OciResources | undefined {
  if (!l) return undefined;
  const r: OciResources = {};
  if (l.memory !== undefined || l.memorySwap !== undefined || l.memoryReservation !== undefined) {
    r.memory = {};
    if (l.memory !== undefined) r.memory.limit = l.memory;
    if (l.memorySwap !== undefined) r.memory.swap = l.memorySwap;
    else if (l.memory !== undefined) r.memory.swap = 2 * l.memory;
    if (l.memoryReservation !== undefined) r.memory.reservation = l.memoryReservation;
  }
  if (l.cpus !== undefined || l.cpuShares !== undefined || l.cpusetCpus !== undefined || l.cpusetMems !== undefined) {
    r.cpu = {};
    if (l.cpus !== undefined) {
      r.cpu.quota = Math.round(l.cpus * CPU_PERIOD_US);
      r.cpu.period = CPU_PERIOD_US;
    }
    if (l.cpuShares !== undefined) r.cpu.shares = l.cpuShares;
    if (l.cpusetCpus !== undefined) r.cpu.cpus = l.cpusetCpus;
    if (l.cpusetMems !== undefined) r.cpu.mems = l.cpusetMems;
  }
  if (l.cpuWeight !== undefined) r.unified = { ...r.unified, 'cpu.weight': String(l.cpuWeight) };
  if (l.pidsLimit !== undefined) r.pids = { limit: l.pidsLimit };
  if (l.unified) r.unified = { ...r.unified, ...l.unified };
  return r;
}

const UNIFIED_KEY = /^[a-z]+\.[a-z0-9_.]+$/;

export function limitsFromResources(r: OciResources | undefined, where = 'linux.resources'): CgroupLimits {
  const l: CgroupLimits = {};
  if (!r) return l;
  const m = r.memory;
  if (m?.limit !== undefined && m.limit > 0) l.memory = m.limit;
  if (m?.swap !== undefined && m.swap !== 0) l.memorySwap = m.swap < 0 ? -1 : m.swap;
  if (m?.reservation !== undefined && m.reservation > 0) l.memoryReservation = m.reservation;
  const c = r.cpu;
  if (c?.quota !== undefined && c.quota > 0) {
    const period = c.period && c.period > 0 ? c.period : CPU_PERIOD_US;
    l.cpus = c.quota / period;
    if (period !== CPU_PERIOD_US) l.cpuPeriod = period;
  } else if (c?.period !== undefined && c.period !== CPU_PERIOD_US && c.period > 0) {
    throw new CgroupError(`${where}.cpu.period without a quota is not supported`);
  }
  if (c?.shares !== undefined && c.shares > 0) l.cpuShares = c.shares;
  if (c?.cpus) l.cpusetCpus = c.cpus;
  if (c?.mems) l.cpusetMems = c.mems;
  if (r.pids) l.pidsLimit = r.pids.limit > 0 ? r.pids.limit : -1;
  for (const [key, value] of Object.entries(r.unified ?? {})) {
    if (!UNIFIED_KEY.test(key) || key.startsWith('cgroup.')) throw new CgroupError(`${where}.unified: "${key}" is not a controller file minictr can write`);
    if (key === 'cpu.weight') {
      const w = Number(value);
      if (!Number.isInteger(w) || w < 1 || w > 10000) throw new CgroupError(`${where}.unified["cpu.weight"]: "${value}" is not between 1 and 10000`);
      if (l.cpuShares !== undefined) throw new CgroupError(`${where}: cpu.shares and unified["cpu.weight"] set the same thing`);
      l.cpuWeight = w;
    } else {
      l.unified = { ...l.unified, [key]: value };
    }
  }
  return l;
}
