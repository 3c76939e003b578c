/** Resource-limit flags as Docker reads them (src/cgroup/limits.ts). */
import { describe, expect, it } from 'vitest';
import {
  checkMemorySwap, formatBytes, hasLimits, MIN_MEMORY, parseBytes, parseCpuList, parseLimits, sharesToWeight, weightToShares,
} from '../../src/cgroup/limits.js';
import { UsageError } from '../../src/errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe('parseBytes', () => {
  it.each<[string, number]>([
    ['1048576', MiB],
    ['0', 0],
    ['512k', 512 * KiB],
    ['512K', 512 * KiB],
    ['64m', 64 * MiB],
    ['64M', 64 * MiB],
    ['64MiB', 64 * MiB],
    ['64mb', 64 * MiB],
    ['64 m', 64 * MiB],
    [' 64m ', 64 * MiB],
    ['1g', GiB],
    ['1.5g', 1.5 * GiB],
    ['2t', 2 * 1024 * GiB],
    ['100b', 100],
    ['100B', 100],
    ['0.5k', 512],
    ['1.0001k', 1024],
  ])('%j = %d bytes', (v, n) => {
    expect(parseBytes('--memory', v)).toBe(n);
  });

  it.each(['', 'm', '64x', '64mm', '-1', '1e6', '1,5g', '.5g', '64 MiB extra', '0x10'])('refuses %j', (v) => {
    expect(() => parseBytes('--memory', v)).toThrow(new UsageError(`invalid --memory "${v}": expected a size like 64m, 512k or 1g (units b, k, m, g, t)`));
  });

  it('refuses sizes beyond 2^53', () => {
    expect(() => parseBytes('--memory-swap', '9999999t')).toThrow(new UsageError('invalid --memory-swap "9999999t": too large'));
  });
});

describe('parseCpuList', () => {
  it.each<[string, number[]]>([
    ['0', [0]],
    ['0-2', [0, 1, 2]],
    ['0-2,5', [0, 1, 2, 5]],
    ['5,0-1', [0, 1, 5]],
    ['1,1,1-2', [1, 2]],
    [' 3 ', [3]],
    ['4095', [4095]],
  ])('%j', (list, cpus) => {
    expect(parseCpuList(list)).toEqual(cpus);
  });

  it.each(['', ',', '0,', 'a', '2-1', '0-4096', '4096', '-1', '0 - 1', '0-1-2', '1.5'])('%j is malformed', (list) => {
    expect(parseCpuList(list)).toBeUndefined();
  });
});

describe('parseLimits', () => {
  it('no flags: no limits', () => {
    expect(parseLimits({}, 4)).toEqual({});
  });

  it('every flag', () => {
    expect(parseLimits({ memory: '64m', memorySwap: '128m', cpus: '1.5', cpuShares: '512', cpusetCpus: '0-1', pidsLimit: '50' }, 4)).toEqual({
      memory: 64 * MiB, memorySwap: 128 * MiB, cpus: 1.5, cpuShares: 512, cpusetCpus: '0-1', pidsLimit: 50,
    });
    expect(parseLimits({ cpuWeight: '100', memorySwap: '-1', pidsLimit: '-1' }, 4)).toEqual({ cpuWeight: 100, memorySwap: -1, pidsLimit: -1 });
  });

  it('the smallest values accepted', () => {
    expect(parseLimits({ memory: '6m', cpus: '0.01', cpuShares: '2', cpuWeight: undefined, pidsLimit: '1' }, 1)).toEqual({ memory: MIN_MEMORY, cpus: 0.01, cpuShares: 2, pidsLimit: 1 });
    expect(parseLimits({ cpus: '.5' }, 1)).toEqual({ cpus: 0.5 });
    expect(parseLimits({ cpuWeight: '10000' }, 1)).toEqual({ cpuWeight: 10000 });
    expect(parseLimits({ cpusetCpus: ' 0-3 ' }, 4)).toEqual({ cpusetCpus: '0-3' });
  });

  it.each<[Parameters<typeof parseLimits>[0], string]>([
    [{ memory: '-64m' }, 'invalid --memory "-64m": must not be negative'],
    [{ memory: '5m' }, 'invalid --memory "5m": the minimum is 6m'],
    [{ memory: 'lots' }, 'invalid --memory "lots": expected a size like 64m, 512k or 1g (units b, k, m, g, t)'],
    [{ memorySwap: '-2' }, 'invalid --memory-swap "-2": must not be negative (-1 means unlimited swap)'],
    [{ cpus: 'half' }, 'invalid --cpus "half": expected a number of CPUs, e.g. 0.5 or 2'],
    [{ cpus: '0' }, 'invalid --cpus 0: must be greater than 0'],
    [{ cpus: '-1' }, 'invalid --cpus -1: must be greater than 0'],
    [{ cpus: '5' }, 'invalid --cpus 5: this host has only 4 CPUs'],
    [{ cpus: '0.001' }, 'invalid --cpus 0.001: the minimum is 0.01'],
    [{ cpuShares: '512', cpuWeight: '100' }, '--cpu-shares and --cpu-weight set the same thing: give one of them'],
    [{ cpuShares: '1' }, 'invalid --cpu-shares 1: must be between 2 and 262144 (default 1024)'],
    [{ cpuShares: '262145' }, 'invalid --cpu-shares 262145: must be between 2 and 262144 (default 1024)'],
    [{ cpuShares: '1.5' }, 'invalid --cpu-shares "1.5": expected an integer (default 1024)'],
    [{ cpuWeight: '0' }, 'invalid --cpu-weight 0: must be between 1 and 10000 (default 100)'],
    [{ cpuWeight: 'x' }, 'invalid --cpu-weight "x": expected an integer (default 100)'],
    [{ cpusetCpus: 'all' }, 'invalid --cpuset-cpus "all": expected a CPU list like 0, 0-1 or 0,2'],
    [{ cpusetCpus: '0-5' }, 'invalid --cpuset-cpus "0-5": no CPU 4, 5 on this host (CPUs 0-3)'],
    [{ pidsLimit: '0' }, 'invalid --pids-limit 0: must be between 1 and 4194304 (-1 means unlimited)'],
    [{ pidsLimit: '-5' }, 'invalid --pids-limit -5: must be positive (-1 means unlimited)'],
    [{ pidsLimit: 'many' }, 'invalid --pids-limit "many": expected an integer (-1 means unlimited)'],
  ])('%j', (flags, message) => {
    expect(() => parseLimits(flags, 4)).toThrow(new UsageError(message));
  });
});

describe('checkMemorySwap', () => {
  it('swap must come with memory, and be at least memory', () => {
    expect(() => checkMemorySwap({ memory: 64 * MiB, memorySwap: 64 * MiB })).not.toThrow();
    expect(() => checkMemorySwap({ memorySwap: -1 })).not.toThrow();
    expect(() => checkMemorySwap({})).not.toThrow();
    expect(() => checkMemorySwap({ memorySwap: 64 * MiB })).toThrow(new UsageError('--memory-swap needs --memory: it is the limit of memory and swap together'));
    expect(() => checkMemorySwap({ memory: 64 * MiB, memorySwap: 32 * MiB })).toThrow(
      new UsageError(`invalid --memory-swap ${32 * MiB}: must be at least --memory (${64 * MiB}): it is memory and swap together`),
    );
  });
});

describe('cpu.shares <-> cpu.weight, as runc and crun convert them', () => {
  it.each<[number, number]>([
    [2, 1],
    [1024, 39],
    [262144, 10000],
    [512, 20],
  ])('shares %d -> weight %d', (shares, weight) => {
    expect(sharesToWeight(shares)).toBe(weight);
  });

  it.each<[number, number]>([
    [1, 2],
    [100, 2597],
    [10000, 262144],
  ])('weight %d -> shares %d', (weight, shares) => {
    expect(weightToShares(weight)).toBe(shares);
  });

  it('stays in range both ways', () => {
    for (const w of [1, 2, 39, 100, 5000, 9999, 10000]) {
      const s = weightToShares(w);
      expect(s).toBeGreaterThanOrEqual(2);
      expect(s).toBeLessThanOrEqual(262144);
      expect(Math.abs(sharesToWeight(s) - w)).toBeLessThanOrEqual(1);
    }
  });
});

describe('formatBytes and hasLimits', () => {
  it.each<[number, string]>([
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1KiB'],
    [1536, '1.5KiB'],
    [64 * MiB, '64MiB'],
    [1.25 * GiB, '1.25GiB'],
    [300 * GiB, '300GiB'],
    [5 * 1024 * 1024 * GiB, '5120TiB'],
  ])('%d is %s', (n, s) => {
    expect(formatBytes(n)).toBe(s);
  });

  it('hasLimits: any value set', () => {
    expect(hasLimits(undefined)).toBe(false);
    expect(hasLimits({})).toBe(false);
    expect(hasLimits({ memory: undefined })).toBe(false);
    expect(hasLimits({ pidsLimit: -1 })).toBe(true);
  });
});
