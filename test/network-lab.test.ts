/**
 * Containers dropped into the red/green lab (--network netns:red), as the course does: they
 * reach the lab's addresses, and `net graph --live` shows them in their namespace.
 * Uses the lab's fixed names (red, green, ovs1): no other test may run the demo meanwhile.
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'minictr-lab-'));
const name = uniq('inred-');

beforeAll(async () => {
  const r = await minictr(['net', 'demo', '--keep', '--quiet', '--bridge', 'linux']);
  expect(r.exitCode, r.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await minictr(['rm', '-f', name]);
  await minictr(['net', 'demo', '--down']);
  rmSync(dir, { recursive: true, force: true });
});

describe('--network netns:red in a kept demo lab', () => {
  it('pings 10.0.0.1 (red itself) and 10.0.0.2 (green, across the bridge)', async () => {
    const r = await minictr(['run', '--rm', '--network', 'netns:red', 'busybox', 'sh', '-c', 'ping -c1 -W2 10.0.0.1 | grep -c "1 packets received"; ping -c1 -W2 10.0.0.2 | grep -c "1 packets received"']);
    expect(r.stdout.trim().split('\n')).toEqual(['1', '1']);
    // and it really is red's namespace, as plain iproute2 sees it
    const inside = await minictr(['run', '--rm', '--network', 'netns:red', 'busybox', 'readlink', '/proc/self/ns/net']);
    const red = (await execa('ip', ['netns', 'exec', 'red', 'readlink', '/proc/self/ns/net'])).stdout;
    expect(inside.stdout.trim()).toBe(red);
  });

  it('appears in net graph --live, in red', async () => {
    expect((await minictr(['run', '-d', '--name', name, '--network', 'netns:red', 'busybox', 'sleep', '60'])).exitCode).toBe(0);
    const out = join(dir, 'live.dot');
    const g = await minictr(['net', 'graph', '--live', '-o', out]);
    expect(g.exitCode, g.stderr).toBe(0);
    const dot = readFileSync(out, 'utf8');
    const redNode = dot.split('\n').find((l) => l.includes('label="red'));
    expect(redNode).toContain(`container ${name}`);
  });
});
