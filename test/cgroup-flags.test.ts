/**
 * Resource-limit flags: sizes, CPUs and counts are parsed as Docker does, bad values are
 * refused before anything is created, and a limit the host cannot enforce is an error. The
 * same on every cgroup version, so only the host suite runs this file.
 */
import { describe, expect, it } from 'vitest';
import { checkLimitsSupported } from '../src/cgroup/apply.js';
import { parseLimits, sharesToWeight, weightToShares } from '../src/cgroup/limits.js';
import { minictr } from './helpers/cli.js';
import { leftovers, newSince } from './helpers/container.js';

describe('limit flags', () => {
  it('parses sizes, CPUs and counts as Docker does', () => {
    expect(parseLimits({ memory: '64m', memorySwap: '1g', cpus: '0.5', cpuShares: '512', cpusetCpus: '0', pidsLimit: '50' }, 2)).toEqual({
      memory: 64 * 2 ** 20,
      memorySwap: 2 ** 30,
      cpus: 0.5,
      cpuShares: 512,
      cpusetCpus: '0',
      pidsLimit: 50,
    });
    expect(parseLimits({ memory: '1.5G', memorySwap: '-1', pidsLimit: '-1' }, 2)).toEqual({ memory: 1.5 * 2 ** 30, memorySwap: -1, pidsLimit: -1 });
    expect(parseLimits({ memory: '64MiB' }, 2).memory).toBe(64 * 2 ** 20);
    expect(sharesToWeight(1024)).toBe(39);
    expect(weightToShares(100)).toBe(2597);
  });

  it.each([
    [{ memory: '10XB' }, /invalid --memory "10XB"/],
    [{ memory: '-64m' }, /invalid --memory "-64m": must not be negative/],
    [{ memory: '1k' }, /invalid --memory "1k": the minimum is 6m/],
    [{ cpus: '0' }, /invalid --cpus 0: must be greater than 0/],
    [{ cpus: '-1' }, /invalid --cpus -1: must be greater than 0/],
    [{ cpus: 'half' }, /invalid --cpus "half"/],
    [{ cpus: '999' }, /invalid --cpus 999: this host has only 2 CPUs/],
    [{ pidsLimit: '-5' }, /invalid --pids-limit -5/],
    [{ pidsLimit: '0' }, /invalid --pids-limit 0/],
    [{ cpuShares: '1' }, /invalid --cpu-shares 1: must be between 2 and 262144/],
    [{ cpuWeight: '20000' }, /invalid --cpu-weight 20000/],
    [{ cpuShares: '512', cpuWeight: '50' }, /--cpu-shares and --cpu-weight set the same thing/],
    [{ cpusetCpus: '0-' }, /invalid --cpuset-cpus "0-"/],
    [{ cpusetCpus: '999' }, /no CPU 999 on this host/],
  ])('refuses %j', (flags, message) => {
    expect(() => parseLimits(flags, 2)).toThrow(message);
  });

  it.each([
    [['-m', '10XB'], /invalid --memory "10XB"/],
    [['--cpus', '0'], /invalid --cpus 0: must be greater than 0/],
    [['--pids-limit', '-5'], /invalid --pids-limit -5/],
    [['--memory-swap', '128m'], /--memory-swap needs --memory/],
    [['-m', '128m', '--memory-swap', '64m'], /must be at least --memory/],
  ])('run %j: a one-line error, exit 125 (docker run), nothing created', async (flags, message) => {
    const before = await leftovers();
    const r = await minictr(['run', '--rm', ...flags, 'busybox', 'true']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(new RegExp(`^minictr: .*${message.source}`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // (network objects are left out: other suites on this host make them meanwhile)
    const mine = (l: string): boolean => !/^(links|netns|firewall|ovsBridges):/.test(l) && !l.startsWith('mounts: /run/netns/');
    expect(newSince(before, await leftovers()).filter(mine)).toEqual([]);
  });

  it('update refuses bad values and unknown containers the same way', async () => {
    expect((await minictr(['update', '-m', '10XB', 'nonexistent'])).stderr).toMatch(/^minictr: invalid --memory "10XB"/);
    expect((await minictr(['update', '--pids-limit', '50', 'nonexistent'])).stderr).toMatch(/^minictr: no such container: nonexistent/);
    expect((await minictr(['update', 'nonexistent'])).stderr).toMatch(/^minictr: update needs at least one limit/);
  });

  it('a limit the host cannot enforce is an error, not a silent no-op', () => {
    const legacyWithoutCpu = { mode: 'legacy' as const, v1: new Map([['memory' as const, { mountPoint: '/sys/fs/cgroup/memory', options: 'memory', controllers: ['memory'] }]]) };
    expect(() => checkLimitsSupported({ cpus: 0.5 }, legacyWithoutCpu)).toThrow(/--cpus cannot be enforced on this host: no cgroup v1 hierarchy with the cpu controller/);
    expect(() => checkLimitsSupported({ pidsLimit: 10 }, legacyWithoutCpu)).toThrow(/--pids-limit cannot be enforced/);
  });
});
