/**
 * YAML topologies: up/down/status, idempotence, atomic rollback, name clashes, SIGKILL
 * midway, routing, impairments and host names. Every name is unique to the run.
 */
import { execa } from 'execa';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { ensureOvsRunning, haveOvs, leftovers, netnsNames, pingCmd, sh, star, writeTopology } from './net-helpers.js';

const OVS = await haveOvs();
// Every test's lab has names of its own (and leftovers() looks only at that prefix), so the
// tests run side by side; the labs come down at the end, not after each test (which would
// take down another test's lab while it runs).
const labs: string[] = [];
afterAll(async () => {
  await Promise.all(labs.splice(0).map((file) => minictr(['net', 'down', '-q', file])));
});

async function up(doc: unknown, name: string): Promise<{ file: string; r: Awaited<ReturnType<typeof minictr>> }> {
  const file = writeTopology(name, doc);
  labs.push(file);
  return { file, r: await minictr(['net', 'up', '-q', file]) };
}

async function pingFrom(ns: string, addr: string): Promise<{ ok: boolean; out: string }> {
  const r = await sh('ip', ['netns', 'exec', ns, ...(await pingCmd()), '-c1', '-W2', addr]);
  return { ok: r.exitCode === 0, out: r.stdout };
}

describe.concurrent('net up/down', () => {
  it('up, up again (no change), down, up again', async () => {
    const p = uniq('t', 5);
    const { file, r } = await up(star(p, 2), p);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await pingFrom(`${p}h0`, '10.77.0.2')).ok).toBe(true);
    const inode = statSync(`/run/netns/${p}h0`).ino;

    const again = await minictr(['net', 'up', file]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('already up');
    expect(again.stderr).not.toContain('$ ip');
    expect(statSync(`/run/netns/${p}h0`).ino).toBe(inode);

    const st = await minictr(['net', 'status', file]);
    expect(st.stdout).toMatch(new RegExp(`^${p}\\s+up`));

    const down = await minictr(['net', 'down', file]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await leftovers(p)).toEqual([]);
    expect((await minictr(['net', 'status', file])).exitCode).toBe(3);

    const third = await minictr(['net', 'up', '-q', file]);
    expect(third.exitCode, third.stderr).toBe(0);
    expect((await pingFrom(`${p}h1`, '10.77.0.1')).ok).toBe(true);
  });

  it('switch-to-switch and host-to-host links work and come down cleanly', async () => {
    const p = uniq('w', 5);
    const doc = {
      name: p,
      hosts: { [`${p}a`]: { addresses: { eth0: '10.78.0.1/24', eth1: '10.79.0.1/24' } }, [`${p}b`]: { addresses: { eth0: '10.78.0.2/24' } }, [`${p}c`]: { addresses: { eth0: '10.79.0.2/24' } } },
      switches: { [`${p}s1`]: {}, [`${p}s2`]: {} },
      links: [
        { endpoints: [`${p}a:eth0`, `${p}s1`] },
        { endpoints: [`${p}s1`, `${p}s2`] },
        { endpoints: [`${p}b:eth0`, `${p}s2`] },
        { endpoints: [`${p}a:eth1`, `${p}c:eth0`] },
      ],
    };
    const { file, r } = await up(doc, p);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await pingFrom(`${p}b`, '10.78.0.1')).ok).toBe(true); // through two bridges
    expect((await pingFrom(`${p}c`, '10.79.0.1')).ok).toBe(true); // a direct cable
    const down = await minictr(['net', 'down', file]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await leftovers(p)).toEqual([]);
  });

  it('down of a chain of Linux bridges removes its links as one group beside the namespaces: a held namespace keeps no cable, up again at once works', async () => {
    const p = uniq('g', 5);
    const n = 4; // 4 host cables + 3 between switches + 4 bridges: above down's group threshold
    const hosts: Record<string, unknown> = {};
    const switches: Record<string, unknown> = {};
    const links: unknown[] = [];
    for (let i = 0; i < n; i++) {
      hosts[`${p}h${i}`] = { addresses: { eth0: `10.76.0.${i + 1}/24` } };
      switches[`${p}s${i}`] = { type: 'linux' };
      links.push({ endpoints: [`${p}h${i}:eth0`, `${p}s${i}`] });
      if (i) links.push({ endpoints: [`${p}s${i - 1}`, `${p}s${i}`] });
    }
    const doc = { name: p, hosts, switches, links };
    const { file, r } = await up(doc, p);
    expect(r.exitCode, r.stderr).toBe(0);
    // a process keeps h0's namespace alive after its name is gone: its eth0 goes only with its
    // host end, which down deletes itself (the kernel's namespace teardown would not run)
    const holder = execa('ip', ['netns', 'exec', `${p}h0`, 'sleep', '60'], { reject: false });
    try {
      for (let i = 0; i < 100 && (await sh('ip', ['netns', 'pids', `${p}h0`])).stdout.trim() === ''; i++) await new Promise((res) => setTimeout(res, 20));
      const pid = (await sh('ip', ['netns', 'pids', `${p}h0`])).stdout.trim().split('\n')[0]!;
      expect(pid).toMatch(/^\d+$/);
      const down = await minictr(['net', 'down', file]);
      expect(down.exitCode, down.stderr).toBe(0);
      expect(down.stderr).toMatch(/\$ ip link del group \d+/);
      expect(down.stderr).toContain(`$ ip netns del ${p}h0`);
      expect(await leftovers(p)).toEqual([]);
      const inside = await sh('nsenter', ['-t', pid, '-n', 'ip', '-o', 'link', 'show']);
      expect(inside.stdout.trim().split('\n').map((l) => l.split(': ')[1])).toEqual(['lo']);
    } finally {
      holder.kill('SIGKILL');
      await holder;
    }
    const again = await minictr(['net', 'up', '-q', file]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await pingFrom(`${p}h${n - 1}`, '10.76.0.1')).ok).toBe(true); // across every bridge
    expect((await minictr(['net', 'down', '-q', file])).exitCode).toBe(0);
    expect(await leftovers(p)).toEqual([]);
  });

  it('examples/router.yaml routes between its two subnets through the router namespace', async () => {
    const p = uniq('r', 4);
    // The example with every name made unique to this run.
    const text = readFileSync(join(import.meta.dirname, '../examples/router.yaml'), 'utf8');
    const renamed = text.replace(/\b(h1|h2|r|s1|s2)(?=[\s:,}\]-])/g, `${p}$1`).replace(/^name: router/m, `name: ${p}`);
    const { r } = await up(renamed, p);
    expect(r.exitCode, r.stderr).toBe(0);
    const across = await pingFrom(`${p}h1`, '10.0.2.10');
    expect(across.ok, across.out).toBe(true);
    expect(across.out).toMatch(/ttl=63/); // one router hop
    const fwd = await sh('ip', ['netns', 'exec', `${p}r`, 'cat', '/proc/sys/net/ipv4/ip_forward']);
    expect(fwd.stdout.trim()).toBe('1');
    const route = await sh('ip', ['-n', `${p}h1`, 'route']);
    expect(route.stdout).toContain('default via 10.0.1.1 dev eth0');
  });

  it('a rate limit becomes a tbf qdisc on both ends of the link', async () => {
    const p = uniq('b', 5);
    const doc = star(p, 2) as { links: Record<string, unknown>[] };
    doc.links[1]!.rate = '2mbit';
    const { r } = await up(doc, p);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await sh('tc', ['-n', `${p}h1`, 'qdisc', 'show', 'dev', 'eth0'])).stdout).toMatch(/tbf .*rate 2Mbit/);
    expect((await sh('tc', ['qdisc', 'show', 'dev', `${p}p1`])).stdout).toMatch(/tbf .*rate 2Mbit/);
  });

  it.each([
    // what only the kernel knows: the schema finds bad routes and addresses before the first step
    ['a sysctl value the kernel refuses', (d: Record<string, any>, p: string) => (d.hosts[`${p}h2`].sysctls = { 'net.ipv4.ip_default_ttl': 0 }), /sysctl -q -w net\.ipv4\.ip_default_ttl=0: .*rolled back/],
    ['a sysctl of an interface the host does not have', (d: Record<string, any>, p: string) => (d.hosts[`${p}h2`].sysctls = { 'net.ipv4.conf.nosuch.forwarding': 1 }), /net\.ipv4\.conf\.nosuch\.forwarding.*rolled back/],
  ])('rolls back when a step fails midway: %s', async (_what, mutate, message) => {
    const p = uniq('f', 5);
    const doc = star(p, 3) as Record<string, any>;
    mutate(doc, p);
    const { file, r } = await up(doc, p);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(message);
    expect(await leftovers(p)).toEqual([]);
    expect((await minictr(['net', 'status', file])).stdout).toContain('down');
  });

  it('refuses names that clash with existing objects before creating anything', async () => {
    const p = uniq('c', 5);
    await sh('ip', ['netns', 'add', `${p}h1`]);
    await sh('ip', ['link', 'add', `${p}p0`, 'type', 'veth', 'peer', 'name', `${p}zz`]);
    try {
      const { r } = await up(star(p, 3), p);
      expect(r.exitCode).toBe(1);
      expect(r.stderr.trim()).toBe(`minictr: name clash: namespace ${p}h1, link ${p}p0 already exist; nothing was created`);
      expect(netnsNames().filter((n) => n.startsWith(p))).toEqual([`${p}h1`]);
      expect(existsSync(`/sys/class/net/${p}s`)).toBe(false);
    } finally {
      await sh('ip', ['netns', 'del', `${p}h1`]);
      await sh('ip', ['link', 'del', `${p}p0`]);
    }
    expect(await leftovers(p)).toEqual([]);
  });

  it('down after up was killed with SIGKILL midway leaves nothing', async () => {
    let killedMidway = false;
    for (let attempt = 0; attempt < 4 && !killedMidway; attempt++) {
      const p = uniq('k', 5);
      const file = writeTopology(p, star(p, 30));
      const child = execa(BIN, ['net', 'up', '-q', file], { reject: false });
      // Kill as soon as the first namespace exists: up is then between its first and last step.
      const t0 = Date.now();
      while (!existsSync(`/run/netns/${p}h0`) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 2));
      child.kill('SIGKILL');
      await child;
      const journal = join(process.env.MINICTR_RUN!, 'net', `${p}.journal`);
      killedMidway = existsSync(journal) && !readFileSync(journal, 'utf8').includes('"complete"') && (await leftovers(p)).length > 0;
      const down = await minictr(['net', 'down', file]);
      expect(down.exitCode, down.stderr).toBe(0);
      expect(await leftovers(p)).toEqual([]);
    }
    expect(killedMidway).toBe(true);
  });

  it('rejects invalid files with a one-line error naming the field', async () => {
    const p = uniq('v', 5);
    const cases: [unknown, RegExp][] = [
      [{ hosts: { [`${p}a`]: { adress: {} } } }, /hosts\.\w+: unknown key "adress"/],
      [{ hosts: { [`${p}a`]: { addresses: { eth0: '10.0.0.300/24' } } }, links: [{ endpoints: [`${p}a:eth0`, `${p}b`] }] }, /links\[0\]\.endpoints\[1\]: unknown node/],
      [{ hosts: { [`${p}a`]: { addresses: { eth0: '10.0.0.300/24' } }, [`${p}b`]: {} }, links: [{ endpoints: [`${p}a:eth0`, `${p}b`] }] }, /hosts\.\w+\.addresses\.eth0: "10\.0\.0\.300\/24" is not an address/],
      [{ hosts: { [`${p}a`]: { sysctls: { 'kernel.pid_max': 10 } } } }, /sysctls: kernel\.pid_max is not a namespaced sysctl: it would change the host$/],
      [{ hosts: { [`${p}a`]: { sysctls: { 'net/../kernel/core_pattern': '|/tmp/x' } } } }, /sysctls: "net\/\.\.\/kernel\/core_pattern" is not a sysctl name$/],
      [{ hosts: { [`${p}a`]: {} }, switches: { [`${p}s`]: { type: 'hub' } } }, /must be ovs or linux/],
      [{ hosts: { [`${p}averyveryverylongname`]: {}, [`${p}b`]: {} }, links: [{ endpoints: [`${p}averyveryverylongname:eth0`, `${p}b:abcdefghijklmnopq`] }] }, /not a valid interface name/],
      ['hosts: [unclosed', /not valid YAML/],
    ];
    for (const [doc, msg] of cases) {
      const file = writeTopology(`${p}bad`, doc);
      const r = await minictr(['net', 'up', file]);
      expect(r.exitCode, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(msg);
    }
    expect(await leftovers(p)).toEqual([]);
  });

  it('exec resolves lab host names; pingall prints the matrix and fails when a pair is cut', async () => {
    const p = uniq('n', 5);
    const { file, r } = await up(star(p, 3), p);
    expect(r.exitCode, r.stderr).toBe(0);
    const name = await minictr(['net', 'exec', `${p}h0`, '--', 'getent', 'hosts', `${p}h2`]);
    expect(name.stdout).toMatch(new RegExp(`^10\\.77\\.0\\.3\\s+${p}h2`));
    const byName = await minictr(['net', 'exec', `${p}h0`, '--', ...(await pingCmd()), '-c1', '-W2', `${p}h1`]);
    expect(byName.exitCode, byName.stderr).toBe(0);
    const all = await minictr(['net', 'pingall', file]);
    expect(all.exitCode, all.stdout).toBe(0);
    expect(all.stdout).toContain('6/6 reachable');
    await sh('ip', ['-n', `${p}h2`, 'link', 'set', 'eth0', 'down']);
    const cut = await minictr(['net', 'pingall', file]);
    expect(cut.exitCode).toBe(1);
    expect(cut.stdout).toContain('2/6 reachable');
    expect(cut.stdout).toMatch(new RegExp(`^${p}h2\\s+X\\s+X`, 'm'));
  });

  it.skipIf(!OVS)('an OVS switch in a topology carries TCP', async () => {
    await ensureOvsRunning();
    const p = uniq('o', 5);
    const doc = star(p, 2) as { switches: Record<string, { type: string }> };
    doc.switches[`${p}s`]!.type = 'ovs';
    const { r } = await up(doc, p);
    expect(r.exitCode, r.stderr).toBe(0);
    const server = execa('ip', ['netns', 'exec', `${p}h1`, process.execPath, '-e', `
      const s = require('net').createServer((c) => { c.pipe(c); c.on('end', () => s.close()); });
      s.listen(5202, '10.77.0.2', () => console.log('ready'));`]);
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    const client = await sh('ip', ['netns', 'exec', `${p}h0`, process.execPath, '-e', `
      const c = require('net').connect(5202, '10.77.0.2', () => c.end(Buffer.alloc(300000, 1)));
      let n = 0; c.on('data', (d) => { n += d.length; }); c.on('end', () => { console.log(n); process.exit(0); });
      setTimeout(() => { console.log('timeout', n); process.exit(1); }, 10000);`]);
    server.kill();
    await server.catch(() => undefined);
    expect(client.stdout.trim()).toBe('300000');
  });
});

describe('examples', () => {
  it('examples/red-green.yaml is the demo lab', async () => {
    const { demoTopology } = await import('../src/network/lab/demo-topology.js');
    const { loadTopology } = await import('../src/network/lab/topology/schema.js');
    const file = await loadTopology(join(import.meta.dirname, '../examples/red-green.yaml'));
    expect(file.hash).toBe(demoTopology('ovs').hash);
    expect(parse(readFileSync(join(import.meta.dirname, '../examples/red-green.yaml'), 'utf8')).name).toBe('red-green');
  });
});
