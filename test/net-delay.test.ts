/**
 * Link impairments that need the netem qdisc: a delay on a topology link shows in the ping
 * RTT where the kernel has netem (Debian's kernel, in the VM suite: test/vm/run-vm-tests.sh),
 * and is refused before anything is made where it has not (this host's kernel).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';
import { leftovers, netemAvailable, pingCmd, rtts, sh, star, writeTopology } from './net-helpers.js';

const NETEM = netemAvailable();
const labs: string[] = [];
afterEach(async () => {
  for (const file of labs.splice(0)) await minictr(['net', 'down', '-q', file]);
});

async function up(doc: unknown, name: string): Promise<{ file: string; r: Awaited<ReturnType<typeof minictr>> }> {
  const file = writeTopology(name, doc);
  labs.push(file);
  return { file, r: await minictr(['net', 'up', '-q', file]) };
}

describe('link delay (netem)', () => {
  it.skipIf(!NETEM)('a 50 ms delay on a link shows in the ping RTT', async () => {
    const p = uniq('d', 5);
    const doc = star(p, 2) as { links: Record<string, unknown>[] };
    doc.links[0]!.delay = '50ms';
    const { r } = await up(doc, p);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await sh('tc', ['-n', `${p}h0`, 'qdisc', 'show', 'dev', 'eth0'])).stdout).toContain('netem');
    const res = await sh('ip', ['netns', 'exec', `${p}h1`, ...(await pingCmd()), '-c2', '-W3', '10.77.0.1']);
    const times = rtts(res.stdout);
    expect(times.length).toBe(2);
    // 50 ms each way on the impaired link.
    for (const t of times) expect(t).toBeGreaterThanOrEqual(100);
    expect(Math.max(...times)).toBeLessThan(400);
  });

  it.skipIf(NETEM)('without netem in the kernel, a delay is refused up front and nothing is created', async () => {
    const p = uniq('d', 5);
    const doc = star(p, 2) as { links: Record<string, unknown>[] };
    doc.links[0]!.delay = '50ms';
    const { r } = await up(doc, p);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toMatch(/^minictr: this kernel has no netem qdisc \(CONFIG_NET_SCH_NETEM\).*nothing was created$/);
    expect(await leftovers(p)).toEqual([]);
  });

});
