/**
 * linux.resources <-> CgroupLimits (src/cgroup/resources.ts), both directions: what `minictr
 * run`'s flags put in the spec, and what any spec (minictr's own or an engine's) asks the
 * cgroup for.
 */
import { describe, expect, it } from 'vitest';
import { CgroupError } from '../../src/cgroup/files.js';
import { parseLimits, type CgroupLimits } from '../../src/cgroup/limits.js';
import { limitsFromResources, resourcesFromLimits } from '../../src/cgroup/resources.js';
import type { OciResources } from '../../src/spec/config.js';

const MiB = 1024 * 1024;

describe('resourcesFromLimits (run flags -> spec)', () => {
  it('no limits: no resources', () => {
    expect(resourcesFromLimits(undefined)).toBeUndefined();
    expect(resourcesFromLimits({})).toEqual({});
  });

  it("-m alone: Docker's default, swap as large as memory (memory.swap is memory + swap)", () => {
    expect(resourcesFromLimits({ memory: 64 * MiB })).toEqual({ memory: { limit: 64 * MiB, swap: 128 * MiB } });
  });

  it('--memory-swap given: as given; -1 unlimited', () => {
    expect(resourcesFromLimits({ memory: 64 * MiB, memorySwap: 100 * MiB })).toEqual({ memory: { limit: 64 * MiB, swap: 100 * MiB } });
    expect(resourcesFromLimits({ memory: 64 * MiB, memorySwap: -1 })).toEqual({ memory: { limit: 64 * MiB, swap: -1 } });
  });

  it('a reservation alone has no swap', () => {
    expect(resourcesFromLimits({ memoryReservation: 32 * MiB })).toEqual({ memory: { reservation: 32 * MiB } });
  });

  it('--cpus: a quota per 100 ms period', () => {
    expect(resourcesFromLimits({ cpus: 0.5 })).toEqual({ cpu: { quota: 50_000, period: 100_000 } });
    expect(resourcesFromLimits({ cpus: 1.5 })).toEqual({ cpu: { quota: 150_000, period: 100_000 } });
    expect(resourcesFromLimits({ cpus: 0.333 })?.cpu?.quota).toBe(33_300);
  });

  it('shares, cpusets; --cpu-weight is a unified key', () => {
    expect(resourcesFromLimits({ cpuShares: 512, cpusetCpus: '0-1', cpusetMems: '0' })).toEqual({ cpu: { shares: 512, cpus: '0-1', mems: '0' } });
    expect(resourcesFromLimits({ cpuWeight: 200 })).toEqual({ unified: { 'cpu.weight': '200' } });
  });

  it('pids, and unified files merged with cpu.weight', () => {
    expect(resourcesFromLimits({ pidsLimit: 50 })).toEqual({ pids: { limit: 50 } });
    expect(resourcesFromLimits({ pidsLimit: -1 })).toEqual({ pids: { limit: -1 } });
    expect(resourcesFromLimits({ cpuWeight: 50, unified: { 'memory.high': '64M' } })).toEqual({ unified: { 'cpu.weight': '50', 'memory.high': '64M' } });
  });
});

describe('limitsFromResources (spec -> cgroup)', () => {
  it('nothing asked: no limits', () => {
    expect(limitsFromResources(undefined)).toEqual({});
    expect(limitsFromResources({})).toEqual({});
    expect(limitsFromResources({ devices: [{ allow: false, access: 'rwm' }] })).toEqual({});
  });

  it('memory: limit, swap (negative: unlimited), reservation; 0 and below mean none', () => {
    expect(limitsFromResources({ memory: { limit: 64 * MiB, swap: 128 * MiB, reservation: 32 * MiB } })).toEqual({
      memory: 64 * MiB, memorySwap: 128 * MiB, memoryReservation: 32 * MiB,
    });
    expect(limitsFromResources({ memory: { limit: 64 * MiB, swap: -1 } })).toEqual({ memory: 64 * MiB, memorySwap: -1 });
    expect(limitsFromResources({ memory: { limit: 64 * MiB, swap: -2 } }).memorySwap).toBe(-1);
    expect(limitsFromResources({ memory: { limit: 0, swap: 0, reservation: 0 } })).toEqual({});
    expect(limitsFromResources({ memory: { limit: -1 } })).toEqual({});
  });

  it('cpu: quota / period, with a period of its own kept', () => {
    expect(limitsFromResources({ cpu: { quota: 50_000, period: 100_000 } })).toEqual({ cpus: 0.5 });
    expect(limitsFromResources({ cpu: { quota: 50_000 } })).toEqual({ cpus: 0.5 });
    expect(limitsFromResources({ cpu: { quota: 25_000, period: 50_000 } })).toEqual({ cpus: 0.5, cpuPeriod: 50_000 });
    expect(limitsFromResources({ cpu: { quota: -1, period: 100_000 } })).toEqual({});
    expect(limitsFromResources({ cpu: { period: 100_000 } })).toEqual({});
  });

  it('a period without a quota is refused', () => {
    expect(() => limitsFromResources({ cpu: { period: 50_000 } })).toThrow(new CgroupError('linux.resources.cpu.period without a quota is not supported'));
    expect(() => limitsFromResources({ cpu: { period: 50_000 } }, 'resources')).toThrow('resources.cpu.period without a quota is not supported');
  });

  it('shares, cpus, mems; pids (0 and below: unlimited)', () => {
    expect(limitsFromResources({ cpu: { shares: 1024, cpus: '0', mems: '0' } })).toEqual({ cpuShares: 1024, cpusetCpus: '0', cpusetMems: '0' });
    expect(limitsFromResources({ cpu: { shares: 0, cpus: '', mems: '' } })).toEqual({});
    expect(limitsFromResources({ pids: { limit: 100 } })).toEqual({ pidsLimit: 100 });
    expect(limitsFromResources({ pids: { limit: 0 } })).toEqual({ pidsLimit: -1 });
    expect(limitsFromResources({ pids: { limit: -1 } })).toEqual({ pidsLimit: -1 });
  });

  it('unified: cpu.weight is the weight, other controller files are written as given', () => {
    expect(limitsFromResources({ unified: { 'cpu.weight': '300', 'memory.high': '64M', 'io.weight': 'default 100', 'pids.max': 'max' } })).toEqual({
      cpuWeight: 300, unified: { 'memory.high': '64M', 'io.weight': 'default 100', 'pids.max': 'max' },
    });
  });

  it.each(['cgroup.procs', 'cgroup.subtree_control', 'memory', '../memory.max', 'memory/max', 'Memory.max', 'memory.max ', ''])('unified %j is refused', (key) => {
    expect(() => limitsFromResources({ unified: { [key]: '1' } })).toThrow(new CgroupError(`linux.resources.unified: "${key}" is not a controller file minictr can write`));
  });

  it.each(['0', '10001', '1.5', 'abc', '-3'])('unified cpu.weight %j is refused', (w) => {
    expect(() => limitsFromResources({ unified: { 'cpu.weight': w } })).toThrow(new CgroupError(`linux.resources.unified["cpu.weight"]: "${w}" is not between 1 and 10000`));
  });

  it('cpu.shares and unified cpu.weight together are refused', () => {
    expect(() => limitsFromResources({ cpu: { shares: 512 }, unified: { 'cpu.weight': '20' } })).toThrow(
      new CgroupError('linux.resources: cpu.shares and unified["cpu.weight"] set the same thing'),
    );
  });
});

describe('the round trip: run flags -> spec -> limits', () => {
  it.each<[string, Parameters<typeof parseLimits>[0], CgroupLimits]>([
    ['-m', { memory: '64m' }, { memory: 64 * MiB, memorySwap: 128 * MiB }],
    ['-m --memory-swap', { memory: '64m', memorySwap: '96m' }, { memory: 64 * MiB, memorySwap: 96 * MiB }],
    ['-m --memory-swap -1', { memory: '64m', memorySwap: '-1' }, { memory: 64 * MiB, memorySwap: -1 }],
    ['--cpus', { cpus: '0.25' }, { cpus: 0.25 }],
    ['--cpu-shares', { cpuShares: '512' }, { cpuShares: 512 }],
    ['--cpu-weight', { cpuWeight: '250' }, { cpuWeight: 250 }],
    ['--cpuset-cpus', { cpusetCpus: '0' }, { cpusetCpus: '0' }],
    ['--pids-limit', { pidsLimit: '50' }, { pidsLimit: 50 }],
    ['--pids-limit -1', { pidsLimit: '-1' }, { pidsLimit: -1 }],
  ])('%s', (_flag, flags, limits) => {
    expect(limitsFromResources(resourcesFromLimits(parseLimits(flags, 4)))).toEqual(limits);
  });

  it('spec -> limits -> spec keeps what it asks for', () => {
    const r: OciResources = { memory: { limit: 64 * MiB, swap: -1, reservation: 16 * MiB }, cpu: { quota: 20_000, period: 100_000, shares: 256, cpus: '0-1', mems: '0' }, pids: { limit: 9 }, unified: { 'memory.high': '48M' } };
    expect(resourcesFromLimits(limitsFromResources(r))).toEqual(r);
  });
});
