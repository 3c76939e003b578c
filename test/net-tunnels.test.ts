/**
 * A lab across two machines, emulated on this host: each machine is a network namespace the
 * test makes (its own links, addresses and sysfs, its own minictr state in MINICTR_RUN), the
 * two joined by a veth "underlay" with addresses of their own. Each side runs
 * `net up FILE --machine vmN` inside its machine, as a person would on two VMs; red on one,
 * green on the other, ping and TCP across the VXLAN tunnel, checked from inside the lab's
 * namespaces and by the kernel's own view of the devices (test/helpers/machines.ts says how a
 * machine is emulated). GRE needs ip_gre, which this kernel lacks: skipped here; the VM suite
 * runs it, with Open vSwitch on the kernel datapath (net-tunnels-ovs.test.ts).
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniq } from './helpers/cli.js';
import { machineLinks as linksOf, minictrOn, type Run } from './helpers/machines.js';
import { leftovers, sh, writeTopology } from './net-helpers.js';

const GRE = existsSync('/sys/module/ip_gre') || (await sh('modprobe', ['-q', 'ip_gre'])).exitCode === 0;
const p = uniq('v', 4);
const machines = { vm1: `${p}m1`, vm2: `${p}m2` } as const;
type MachineName = keyof typeof machines;
const octet = 1 + Math.floor(Math.random() * 250);
const underlay = { vm1: `198.18.${octet}.1`, vm2: `198.18.${octet}.2` };
const red = `${p}red`;
const green = `${p}grn`;

const onMachine = (m: MachineName, args: string[]): Promise<Run> => minictrOn(machines[m], `${p}-${m}`, args);

function lab(edit: (d: Record<string, any>) => void = () => {}): Record<string, any> {
  const d: Record<string, any> = {
    name: p,
    machines: { vm1: { address: underlay.vm1, dev: `${p}u1` }, vm2: { address: underlay.vm2, dev: `${p}u2` } },
    hosts: { [red]: { machine: 'vm1', addresses: { eth0: '10.61.0.1/24' } }, [green]: { machine: 'vm2', addresses: { eth0: '10.61.0.2/24' } } },
    switches: { [`${p}s1`]: { machine: 'vm1' }, [`${p}s2`]: { machine: 'vm2' } },
    links: [{ endpoints: [`${red}:eth0`, `${p}s1`] }, { endpoints: [`${green}:eth0`, `${p}s2`] }, { type: 'vxlan', endpoints: [`${p}s1`, `${p}s2`], vni: 4000 + octet }],
  };
  edit(d);
  return d;
}

/** What a machine has besides lo and its underlay end: nothing, after down. */
const machineLinks = (m: MachineName): Promise<string[]> => linksOf(machines[m], `${p}u`);

/** The lab's leftovers on the host (the machines themselves are the test's own). */
const labLeftovers = async (): Promise<string[]> => (await leftovers(p)).filter((x) => !Object.values(machines).some((m) => x === `netns ${m}`));

const inNs = (ns: string, argv: string[]): Promise<Run> => sh('ip', ['netns', 'exec', ns, ...argv]);

beforeAll(async () => {
  for (const ns of Object.values(machines)) expect((await sh('ip', ['netns', 'add', ns])).exitCode).toBe(0);
  const cmds = [
    ['link', 'add', `${p}u1`, 'netns', machines.vm1, 'type', 'veth', 'peer', 'name', `${p}u2`, 'netns', machines.vm2],
    ['-n', machines.vm1, 'addr', 'add', `${underlay.vm1}/24`, 'dev', `${p}u1`],
    ['-n', machines.vm2, 'addr', 'add', `${underlay.vm2}/24`, 'dev', `${p}u2`],
    ['-n', machines.vm1, 'link', 'set', `${p}u1`, 'up'],
    ['-n', machines.vm2, 'link', 'set', `${p}u2`, 'up'],
  ];
  for (const c of cmds) expect((await sh('ip', c)).stderr).toBe('');
});

afterAll(async () => {
  for (const m of ['vm1', 'vm2'] as const) await onMachine(m, ['net', 'down', '-q', p]);
  for (const ns of Object.values(machines)) await sh('ip', ['netns', 'del', ns]);
});

describe('a lab across two machines (network namespaces joined by an underlay)', () => {
  it('red on vm1, green on vm2: ping and TCP across the VXLAN tunnel, at its inner MTU; down on each side leaves nothing', async () => {
    const file = writeTopology(`${p}-vxlan`, lab());
    const up1 = await onMachine('vm1', ['net', 'up', file, '--machine', 'vm1']);
    expect(up1.exitCode, up1.stderr).toBe(0);
    // every command printed, as the demo does: the tunnel device is one of them
    expect(up1.stderr).toContain(`$ ip link add ${p}s1-2 mtu 1450 type vxlan id ${4000 + octet} local ${underlay.vm1} remote ${underlay.vm2} dstport 4789 dev ${p}u1`);
    const up2 = await onMachine('vm2', ['net', 'up', '-q', file, '--machine', 'vm2']);
    expect(up2.exitCode, up2.stderr).toBe(0);

    // the kernel's view: a vxlan port on vm1's bridge, not a veth; nothing of the lab on the host
    const dev = await sh('ip', ['-n', machines.vm1, '-d', 'link', 'show', `${p}s1-2`]);
    expect(dev.stdout).toMatch(new RegExp(`master ${p}s1 .*\\n[^\\n]*\\n\\s+vxlan id ${4000 + octet} remote ${underlay.vm2.replace(/\./g, '\\.')} `));
    expect(existsSync(`/sys/class/net/${p}s1`)).toBe(false);

    const rxBefore = Number((await sh('ip', ['netns', 'exec', machines.vm2, 'cat', `/sys/class/net/${p}u2/statistics/rx_packets`])).stdout);
    const ping = await inNs(red, ['ping', '-c', '2', '-i', '0.2', '-W', '2', green]);
    expect(ping.exitCode, ping.stdout + ping.stderr).toBe(0);
    expect(ping.stdout).toContain(`from ${green} (10.61.0.2)`);
    const rxAfter = Number((await sh('ip', ['netns', 'exec', machines.vm2, 'cat', `/sys/class/net/${p}u2/statistics/rx_packets`])).stdout);
    expect(rxAfter - rxBefore).toBeGreaterThanOrEqual(2); // it crossed the underlay

    // the cable into the tunnel's switch has the tunnel's MTU: a full 1450-byte packet crosses
    // unfragmented (DF), one byte more is refused at red's own interface, not lost on the way
    expect((await inNs(red, ['cat', '/sys/class/net/eth0/mtu'])).stdout.trim()).toBe('1450');
    expect((await inNs(red, ['ping', '-c', '1', '-W', '2', '-M', 'do', '-s', '1422', '10.61.0.2'])).exitCode).toBe(0);
    const big = await inNs(red, ['ping', '-c', '1', '-W', '2', '-M', 'do', '-s', '1423', '10.61.0.2']);
    expect(big.exitCode).not.toBe(0);
    expect(big.stdout + big.stderr).toMatch(/mtu = 1450|Message too long/i);

    // TCP across: green listens, red connects, sends a line and closes (bash's /dev/tcp)
    const server = execa('ip', ['netns', 'exec', green, 'busybox', 'nc', '-l', '-p', '5061'], { reject: false, timeout: 10_000 });
    let sent = { exitCode: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 50 && sent.exitCode !== 0; i++) {
      sent = await sh('ip', ['netns', 'exec', red, 'bash', '-c', `echo across ${p} > /dev/tcp/10.61.0.2/5061`]);
      if (sent.exitCode !== 0) await new Promise((res) => setTimeout(res, 50));
    }
    expect(sent.exitCode, sent.stderr).toBe(0);
    expect(String((await server).stdout)).toBe(`across ${p}`);

    const all = await onMachine('vm1', ['net', 'pingall', file]);
    expect(all.exitCode, all.stdout + all.stderr).toBe(0);
    expect(all.stdout).toContain('2/2 reachable');

    const st = await onMachine('vm1', ['net', 'status', file]);
    expect(st.stdout).toMatch(new RegExp(`^${p}\\s+up\\s+\\S+ objects\\s+on vm1`));
    expect(st.stdout).toContain(`vm1 ${underlay.vm1} (this machine): hosts ${red}; switches ${p}s1`);
    expect(st.stdout).toContain(`vm2 ${underlay.vm2}: hosts ${green}; switches ${p}s2`);

    for (const m of ['vm1', 'vm2'] as const) {
      const down = await onMachine(m, ['net', 'down', '-q', file]);
      expect(down.exitCode, down.stderr).toBe(0);
      expect(await machineLinks(m)).toEqual([]);
    }
    expect(await labLeftovers()).toEqual([]);
  });

  it('refuses, before any step, the wrong machine, an unreachable remote and an MTU the underlay cannot carry', async () => {
    const file = writeTopology(`${p}-bad`, lab());
    const wrong = await onMachine('vm1', ['net', 'up', '-q', file, '--machine', 'vm2']);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toContain(`machines.vm2.address: ${underlay.vm2} is not an address of this machine`);

    const far = writeTopology(
      `${p}-far`,
      lab((d) => {
        d.links[2] = { type: 'vxlan', endpoints: [`${p}s1`], vni: 77, remote: '203.0.113.9' };
      }),
    );
    const unreachable = await onMachine('vm1', ['net', 'up', '-q', far, '--machine', 'vm1']);
    expect(unreachable.stderr).toContain('links[2].remote: 203.0.113.9 is unreachable from this machine');

    const jumbo = writeTopology(`${p}-mtu`, lab((d) => (d.links[2].mtu = 1480)));
    const tooBig = await onMachine('vm1', ['net', 'up', '-q', jumbo, '--machine', 'vm1']);
    expect(tooBig.stderr).toContain(`links[2].mtu: 1480 inside plus 50 bytes of vxlan headers is more than the 1500 of ${p}u1`);

    for (const r of [wrong, unreachable, tooBig]) expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(await machineLinks('vm1')).toEqual([]);
    expect(await labLeftovers()).toEqual([]);
  });

  it('a tunnel the kernel refuses midway (its VNI taken by a hand-made device) is rolled back on that machine', async () => {
    const vni = 5000 + octet;
    expect((await sh('ip', ['-n', machines.vm1, 'link', 'add', `${p}hand`, 'type', 'vxlan', 'id', String(vni), 'dstport', '4789', 'local', underlay.vm1])).stderr).toBe('');
    try {
      const file = writeTopology(`${p}-clash`, lab((d) => (d.links[2].vni = vni)));
      const r = await onMachine('vm1', ['net', 'up', '-q', file, '--machine', 'vm1']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/rolled back: nothing was left/);
      expect(await machineLinks('vm1')).toEqual([`${p}hand`]);
      expect(await labLeftovers()).toEqual([]);
      expect((await onMachine('vm1', ['net', 'status', p])).exitCode).toBe(3);
    } finally {
      await sh('ip', ['-n', machines.vm1, 'link', 'del', `${p}hand`]);
    }
  });

  it.skipIf(!GRE)('gre (gretap) between the two machines (skipped: this kernel has no ip_gre; run in the VM suite)', async () => {
    const file = writeTopology(`${p}-gre`, lab((d) => (d.links[2] = { type: 'gre', endpoints: [`${p}s1`, `${p}s2`], vni: 9 })));
    for (const m of ['vm1', 'vm2'] as const) expect((await onMachine(m, ['net', 'up', '-q', file, '--machine', m])).exitCode).toBe(0);
    expect((await inNs(red, ['ping', '-c', '1', '-W', '2', '-M', 'do', '-s', String(1458 - 28), '10.61.0.2'])).exitCode).toBe(0);
    for (const m of ['vm1', 'vm2'] as const) expect((await onMachine(m, ['net', 'down', '-q', file])).exitCode).toBe(0);
    expect(await labLeftovers()).toEqual([]);
  });
});
