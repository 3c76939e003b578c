/**
 * What depends on the host's cgroup version: `info` reports the layout, --explain shows each
 * cgroup file written (v2 names, or v1's). Runs on the host (hybrid/v1) and in the cgroup-v2
 * VM (test/vm/run-vm-tests.sh).
 */
import { describe, expect, it } from 'vitest';
import { minictr } from './helpers/cli.js';
import { unified } from './helpers/cgroup.js';

describe('info', () => {
  it('names the cgroup mode (as detected from the filesystem) and the controllers', async () => {
    const r = await minictr(['info', '--format', 'json']);
    expect(r.exitCode).toBe(0);
    const info = JSON.parse(r.stdout);
    if (unified) expect(info.cgroup.mode).toBe('unified');
    else expect(['hybrid', 'legacy']).toContain(info.cgroup.mode);
    const names = info.cgroup.controllers.filter((c: { available: boolean }) => c.available).map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining(['memory', 'cpu', 'pids', 'freezer']));
    const text = await minictr(['info']);
    expect(text.stdout).toMatch(new RegExp(`^Cgroup mode: +${info.cgroup.mode} `, 'm'));
  });
});

describe('--explain=full', () => {
  it('prints each cgroup file written as a shell command', async () => {
    const r = await minictr(['run', '--rm', '--explain=full', '-m', '64m', '--pids-limit', '30', 'busybox', 'true']);
    expect(r.exitCode).toBe(0);
    const memFile = unified ? 'memory.max' : 'memory.limit_in_bytes';
    expect(r.stderr).toMatch(new RegExp(`\\$ echo 67108864 > /sys/fs/cgroup/(memory/)?minictr/[0-9a-f]{64}/${memFile}\\n`));
    expect(r.stderr).toMatch(/\$ echo 30 > \/sys\/fs\/cgroup\/(pids\/)?minictr\/[0-9a-f]{64}\/pids\.max\n/);
    // v1: the child joins each controller's cgroup itself, writing 0 (itself) to its tasks
    if (!unified) expect(r.stderr).toMatch(/\$ echo 0 > \/sys\/fs\/cgroup\/memory\/minictr\/[0-9a-f]{64}\/tasks\n/);
  });
});
