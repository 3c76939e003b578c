/**
 * `minictr net demo`: the red/green lab with its fixed names (red, green, ovs1). Nothing else
 * may use those names while this file runs (vitest runs files one at a time).
 */
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr } from './helpers/cli.js';
import { ensureOvsRunning, haveOvs, linkNames, netnsNames, ovsShow, pingCmd, sh } from './net-helpers.js';

const LAB_NAMES = ['red', 'green'];
const LAB_LINKS = ['veth-r', 'veth-g', 'ovs1'];

async function expectNothingLeft(): Promise<void> {
  const ns = (await sh('ip', ['netns', 'list'])).stdout;
  for (const n of LAB_NAMES) expect(ns).not.toMatch(new RegExp(`^${n}\\b`, 'm'));
  const links = (await sh('ip', ['-o', 'link'])).stdout;
  for (const l of LAB_LINKS) expect(links).not.toContain(` ${l}:`);
  expect(await ovsShow()).not.toContain('ovs1');
  expect(existsSync('/etc/netns/red')).toBe(false);
  expect(existsSync('/etc/netns/green')).toBe(false);
}

const ovs = await haveOvs();

beforeAll(async () => {
  await ensureOvsRunning();
  // Fixed names: refuse to run over someone's lab rather than destroy it.
  expect(netnsNames().filter((n) => LAB_NAMES.includes(n))).toEqual([]);
  expect(linkNames().filter((n) => LAB_LINKS.includes(n))).toEqual([]);
});

describe('net demo', () => {
  it('builds the lab on a Linux bridge, proves it, explains each step, and leaves nothing', async () => {
    const svg = join(process.env.MINICTR_TEST_BASE!, 'demo.svg');
    const r = await minictr(['net', 'demo', '--bridge', 'linux', '--graph', svg]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/red -> green \(10\.0\.0\.2\): 3\/3 replies, rtt min\/avg\/max [\d.]+\/[\d.]+\/[\d.]+ ms/);
    expect(r.stdout).toMatch(/green -> red \(10\.0\.0\.1\): 3\/3 replies/);
    expect(r.stdout).toMatch(/eth0-r\S*\s+UP\s+10\.0\.0\.1\/24/);
    expect(r.stdout).toContain('10.0.0.0/24 dev eth0-g proto kernel scope link src 10.0.0.2');
    expect(r.stdout).toContain('no 10.0.0.0/24 on the host');
    for (const cmd of ['ip netns add red', 'ip link add eth0-r netns red type veth peer name veth-r', 'ip link add ovs1 type bridge', 'ip -n green addr add 10.0.0.2/24 dev eth0-g', 'ip netns del red']) {
      expect(r.stderr).toContain(`$ ${cmd}`);
    }
    const picture = readFileSync(svg, 'utf8');
    expect(picture).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    for (const word of ['red', 'green', 'ovs1', 'eth0-r', '10.0.0.2/24']) expect(picture).toContain(word);
    await expectNothingLeft();
  });

  it.skipIf(!ovs)('builds the lab on Open vSwitch (userspace datapath without the kernel module) and leaves nothing', async () => {
    const r = await minictr(['net', 'demo', '--bridge', 'ovs']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/red -> green \(10\.0\.0\.2\): 3\/3 replies/);
    expect(r.stderr).toContain('$ ovs-vsctl add-br ovs1');
    expect(r.stderr).toContain('$ ovs-vsctl add-port ovs1 veth-r');
    if (!existsSync('/sys/module/openvswitch')) {
      expect(r.stderr).toContain('datapath_type=netdev');
      expect(r.stderr).toContain('$ ip netns exec red ethtool -K eth0-r tx off');
    }
    await expectNothingLeft();
  });

  it('--keep leaves a lab that plain iproute2 uses, TCP crosses the switch, and --down removes it', async () => {
    const r = await minictr(['net', 'demo', '--keep', '--quiet']);
    expect(r.exitCode, r.stderr).toBe(0);
    try {
      expect((await sh('ip', ['netns', 'list'])).stdout).toMatch(/^red\b/m);
      const p = await sh('ip', ['netns', 'exec', 'red', ...(await pingCmd()), '-c1', '-W2', '10.0.0.2']);
      expect(p.exitCode, p.stdout + p.stderr).toBe(0);
      if (ovs) expect(await ovsShow()).toContain('Port veth-r');

      // TCP, not only ICMP: 1 MB through the switch and back. On the OVS userspace datapath
      // this fails unless TX checksum offload is off on the veths.
      const server = execa('ip', ['netns', 'exec', 'green', process.execPath, '-e', `
        const s = require('net').createServer((c) => { c.pipe(c); c.on('end', () => s.close()); });
        s.listen(5201, '10.0.0.2', () => console.log('ready'));`]);
      await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
      const client = await sh('ip', ['netns', 'exec', 'red', process.execPath, '-e', `
        const c = require('net').connect(5201, '10.0.0.2', () => c.end(Buffer.alloc(1 << 20, 7)));
        let n = 0; c.on('data', (d) => { n += d.length; }); c.on('end', () => { console.log(n); process.exit(0); });
        setTimeout(() => { console.log('timeout', n); process.exit(1); }, 10000);`]);
      server.kill();
      await server.catch(() => undefined);
      expect(client.stdout.trim(), client.stderr).toBe(String(1 << 20));

      const again = await minictr(['net', 'demo']);
      expect(again.exitCode).toBe(1);
      expect(again.stderr).toContain('already up');
    } finally {
      const d = await minictr(['net', 'demo', '--down']);
      expect(d.exitCode, d.stderr).toBe(0);
    }
    await expectNothingLeft();
    const d2 = await minictr(['net', 'demo', '--down']);
    expect(d2.stdout).toContain('nothing to do');
  });

  it('--step waits for Enter; a lab broken before the proof fails with the reason and is torn down', async () => {
    const child = execa(BIN, ['net', 'demo', '--bridge', 'linux', '--step'], { reject: false, stdin: 'pipe' });
    let err = '';
    let prompts = 0;
    child.stderr!.on('data', (d: Buffer) => {
      err += String(d);
      const seen = (err.match(/press Enter for:/g) ?? []).length;
      while (prompts < seen) {
        prompts++;
        if (err.trimEnd().endsWith('press Enter for: Prove it works --')) {
          // A student pulls the cable in green just before the pings.
          void sh('ip', ['-n', 'green', 'link', 'set', 'eth0-g', 'down']).then(() => child.stdin!.write('\n'));
        } else {
          child.stdin!.write('\n');
        }
      }
    });
    const r = await child;
    expect(prompts).toBeGreaterThanOrEqual(5);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/minictr: ping red -> green failed: .+/);
    await expectNothingLeft();
  });
});
