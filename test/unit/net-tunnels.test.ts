/**
 * Labs across machines (src/network/lab/topology/tunnel.ts, placement.ts, tunnel-plan.ts): the
 * tunnel and placement fields of a topology file, each refusal naming its field, one machine's
 * part of a placed lab, and the commands its plan runs on a Linux bridge and on Open vSwitch.
 * Nothing is executed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { equivalent } from '../../src/network/host/actions.js';
import { fromTopology } from '../../src/network/lab/graph/from-topology.js';
import { renderDot } from '../../src/network/lab/graph/dot.js';
import { renderMermaid } from '../../src/network/lab/graph/mermaid.js';
import { renderSvg } from '../../src/network/lab/graph/svg.js';
import { hostsFile, planUp, type PlanEnv } from '../../src/network/lab/topology/plan.js';
import { describePlacement, partOf } from '../../src/network/lab/topology/placement.js';
import { parseTopology, validateTopology, type Topology } from '../../src/network/lab/topology/schema.js';
import { overhead } from '../../src/network/lab/topology/tunnel.js';

const env = (ovs: PlanEnv['ovs']): PlanEnv => ({ ovs, etcNetnsExisting: new Set() });
const lines = (topo: Topology, e: PlanEnv): string[] => planUp(topo, e).flatMap((s) => s.actions.map(equivalent));

/** red on vm1, green on vm2, a switch on each, a VXLAN tunnel between the switches. */
const across = (edit: (d: Record<string, any>) => void = () => {}): Record<string, any> => {
  const d: Record<string, any> = {
    name: 'two',
    machines: { vm1: { address: '192.168.56.11', dev: 'eth1' }, vm2: { address: '192.168.56.12', dev: 'eth1' } },
    hosts: { red: { machine: 'vm1', addresses: { eth0: '10.0.0.1/24' } }, green: { machine: 'vm2', addresses: { eth0: '10.0.0.2/24' } } },
    switches: { s1: { machine: 'vm1' }, s2: { machine: 'vm2' } },
    links: [{ endpoints: ['red:eth0', 's1'] }, { endpoints: ['green:eth0', 's2'] }, { type: 'vxlan', endpoints: ['s1', 's2'], vni: 100 }],
  };
  edit(d);
  return d;
};

function refusal(doc: unknown): string {
  try {
    validateTopology(doc, 'lab.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('validateTopology accepted it');
}

describe('tunnel and placement fields', () => {
  it('a placed lab parses: machines, each node on one, the tunnel with its defaults', () => {
    const t = validateTopology(across(), 'lab.yaml');
    expect(t.machines).toEqual([
      { name: 'vm1', address: '192.168.56.11', dev: 'eth1' },
      { name: 'vm2', address: '192.168.56.12', dev: 'eth1' },
    ]);
    expect(t.hosts.map((h) => [h.name, h.machine])).toEqual([
      ['red', 'vm1'],
      ['green', 'vm2'],
    ]);
    expect(t.links).toHaveLength(2);
    expect(t.tunnels).toEqual([{ type: 'vxlan', index: 2, ends: [{ node: 's1', ifname: 's1-2' }, { node: 's2', ifname: 's2-2' }], vni: 100, dstPort: 4789, mtu: 1450 }]);
  });

  it('default MTUs leave room for the headers in a 1500-byte underlay', () => {
    expect(1500 - overhead({ type: 'vxlan' })).toBe(1450);
    expect(1500 - overhead({ type: 'gre' })).toBe(1462);
    expect(1500 - overhead({ type: 'gre', vni: 7 })).toBe(1458);
    expect(1500 - overhead({ type: 'vxlan' }, 6)).toBe(1430);
    const gre = validateTopology(across((d) => (d.links[2] = { type: 'gre', endpoints: ['s1', 's2'] })), 'lab.yaml');
    expect(gre.tunnels[0]!.mtu).toBe(1462);
  });

  it('a file of one machine and no tunnels hashes as before (an up lab stays "already up")', () => {
    const plain = { name: 'p', hosts: { a: {} }, switches: { s: {} }, links: [{ endpoints: ['a', 's'] }] };
    const t = validateTopology(plain, 'p.yaml');
    const before = createHash('sha256').update(JSON.stringify({ name: t.name, hosts: t.hosts, switches: t.switches, links: t.links })).digest('hex').slice(0, 16);
    expect(t.hash).toBe(before);
    expect(validateTopology(across(), 'l.yaml').hash).not.toBe(validateTopology(across((d) => (d.links[2].vni = 101)), 'l.yaml').hash);
  });

  it.each([
    ['a one-ended tunnel without remote', (d: any) => (d.links[2] = { type: 'vxlan', endpoints: ['s1'], vni: 5 }), 'links[2].remote: missing'],
    ['a remote that is not an address', (d: any) => (d.links[2] = { type: 'vxlan', endpoints: ['s1'], vni: 5, remote: 'vm2.example' }), 'links[2].remote: "vm2.example" is not an IP address'],
    ['a multicast remote', (d: any) => (d.links[2] = { type: 'gre', endpoints: ['s1'], remote: '239.1.1.1' }), 'links[2].remote: 239.1.1.1 cannot be'],
    ['a remote on a tunnel between two machines of the file', (d: any) => (d.links[2].remote = '10.9.9.9'), 'links[2].remote: a tunnel between two switches'],
    ['a vxlan without vni', (d: any) => delete d.links[2].vni, 'links[2].vni: missing'],
    ['a vni out of range', (d: any) => (d.links[2].vni = 16777216), 'links[2].vni: 16777216 is not a VNI (1..16777215)'],
    ['a duplicate VNI', (d: any) => {
      d.switches.s3 = { machine: 'vm2' };
      d.links.push({ type: 'vxlan', endpoints: ['s1', 's3'], vni: 100 });
    }, 'links[3].vni: VNI 100 (port 4789) is already the VNI of links[2]'],
    ['two gre tunnels between the same machines without keys', (d: any) => {
      d.switches.s3 = { machine: 'vm2' };
      d.links[2] = { type: 'gre', endpoints: ['s1', 's2'] };
      d.links.push({ type: 'gre', endpoints: ['s1', 's3'] });
    }, 'links[3].vni: links[2] is a gre tunnel between the same machines with no key'],
    ['an MTU too small', (d: any) => (d.links[2].mtu = 576), 'links[2].mtu: 576 is not an MTU inside the tunnel (too small for IPv6 below 1280) (1280..65000)'],
    ['a dst-port on gre', (d: any) => (d.links[2] = { type: 'gre', endpoints: ['s1', 's2'], 'dst-port': 4789 }), 'links[2].dst-port: gre has no UDP port'],
    ['an unknown tunnel type', (d: any) => (d.links[2].type = 'geneve'), 'links[2].type: "geneve" must be vxlan or gre'],
    ['an unknown tunnel key', (d: any) => (d.links[2].ttl = 3), 'links[2]: unknown key "ttl"'],
    ['a host as a tunnel end', (d: any) => (d.links[2].endpoints = ['red', 's2']), 'links[2].endpoints[0]: red is a host: a tunnel ends on a switch'],
    ['a tunnel within one machine', (d: any) => (d.switches.s2.machine = 'vm1'), 'links[1]: green is on vm2 and s2 on vm1'],
    ['a host on an unknown machine', (d: any) => (d.hosts.red.machine = 'vm3'), 'hosts.red.machine: unknown machine "vm3" (machines: vm1, vm2)'],
    ['a host on no machine', (d: any) => delete d.hosts.green.machine, 'hosts.green: machine: missing'],
    ['a machine without address', (d: any) => delete d.machines.vm2.address, 'machines.vm2.address: missing'],
    ['two machines at one address', (d: any) => (d.machines.vm2.address = '192.168.56.11'), 'machines.vm2.address: 192.168.56.11 is already the address of machine vm1'],
    ['a bad underlay device name', (d: any) => (d.machines.vm1.dev = 'a/b'), 'machines.vm1.dev: invalid interface name'],
    ['a cable between two machines', (d: any) => d.links.push({ endpoints: ['red:eth1', 's2'] }), 'links[3]: red is on vm1 and s2 on vm2: a cable cannot join two machines'],
    ['a tunnel between switches of an unplaced lab', (d: any) => {
      delete d.machines;
      for (const n of [...Object.values(d.hosts), ...Object.values(d.switches)] as any[]) delete n.machine;
    }, 'links[2]: a tunnel between two switches of the file needs them placed'],
  ])('refuses %s, naming the field', (_what, edit, message) => {
    expect(refusal(across(edit))).toContain(`lab.yaml: ${message}`);
  });
});

describe("one machine's part", () => {
  const topo = validateTopology(across(), 'lab.yaml');

  it('--machine is required for a placed lab, and must name one of its machines', () => {
    expect(() => partOf(topo, undefined, 'lab.yaml')).toThrow('lab.yaml: lab two is placed on machines vm1, vm2: say which part to build here with --machine NAME');
    expect(() => partOf(topo, 'vm9', 'lab.yaml')).toThrow('--machine vm9: no such machine in lab.yaml (machines: vm1, vm2)');
  });

  it("vm1's part: its host and switch, its end of the tunnel, every host named", () => {
    const p = partOf(topo, 'vm1', 'lab.yaml');
    expect(p.hosts.map((h) => h.name)).toEqual(['red']);
    expect(p.switches.map((s) => s.name)).toEqual(['s1']);
    expect(p.part!.tunnels).toMatchObject([{ switch: 's1', ifname: 's1-2', local: '192.168.56.11', remote: '192.168.56.12', remoteField: 'machines.vm2.address', dev: 'eth1', devField: 'machines.vm1.dev' }]);
    expect(p.hash).not.toBe(partOf(topo, 'vm2', 'lab.yaml').hash);
    expect(hostsFile(p)).toContain('10.0.0.2 green\n');
  });

  it('on a Linux bridge: the kernel vxlan device plugged in, the cable into it at the inner MTU', () => {
    const l = lines(partOf(topo, 'vm1', 'lab.yaml'), env('absent'));
    expect(l).toContain('ip link add eth0 mtu 1450 netns red type veth peer name s1-1 mtu 1450');
    expect(l).toContain('ip link add s1-2 mtu 1450 type vxlan id 100 local 192.168.56.11 remote 192.168.56.12 dstport 4789 dev eth1');
    expect(l).toContain('ip link set s1-2 alias minictr-lab:two');
    expect(l).toContain('ip link set s1-2 master s1');
    expect(l).toContain("ip link set s1-2 up");
    expect(l.indexOf("ip link set s1-2 up")).toBeLessThan(l.indexOf("ip link set s1 up"));
    expect(l.indexOf('ip link set s1-2 master s1')).toBeLessThan(l.indexOf('ip link set s1 up'));
    const made = planUp(partOf(topo, 'vm1', 'lab.yaml'), env('absent')).flatMap((s) => s.actions.flatMap((a) => a.creates ?? []));
    expect(made).toContainEqual({ kind: 'link', name: 's1-2' });
  });

  it('gre: a gretap device, with its key', () => {
    const gre = validateTopology(across((d) => (d.links[2] = { type: 'gre', endpoints: ['s1', 's2'], vni: 7, mtu: 1400 })), 'lab.yaml');
    const l = lines(partOf(gre, 'vm2', 'lab.yaml'), env('absent'));
    expect(l).toContain('ip link add s2-2 mtu 1400 type gretap local 192.168.56.12 remote 192.168.56.11 key 7 dev eth1');
    expect(l).toContain('ip link add eth0 mtu 1400 netns green type veth peer name s2-1 mtu 1400');
  });

  it('Open vSwitch on the kernel datapath: an OVS tunnel port; on the userspace one: the kernel device as a port', () => {
    const ovs = validateTopology(across((d) => (d.switches.s1.type = 'ovs')), 'lab.yaml');
    const kernel = lines(partOf(ovs, 'vm1', 'lab.yaml'), env('kernel'));
    expect(kernel).toContain('ovs-vsctl add-port s1 s1-2 -- set interface s1-2 type=vxlan options:remote_ip=192.168.56.12 options:local_ip=192.168.56.11 options:key=100 options:dst_port=4789');
    expect(kernel.join('\n')).not.toContain('type vxlan');
    const netdev = lines(partOf(ovs, 'vm1', 'lab.yaml'), env('netdev'));
    expect(netdev).toContain('ip link add s1-2 mtu 1450 type vxlan id 100 local 192.168.56.11 remote 192.168.56.12 dstport 4789 dev eth1');
    expect(netdev).toContain('ovs-vsctl add-port s1 s1-2');
  });

  it('the inner MTU reaches cables of switches cabled to the tunnel switch, not a host-to-host cable', () => {
    const t = validateTopology(
      across((d) => {
        d.hosts.blue = { machine: 'vm1' };
        d.switches.s3 = { machine: 'vm1' };
        d.links.push({ endpoints: ['s1', 's3'] }, { endpoints: ['blue:eth0', 's3'] }, { endpoints: ['red:eth1', 'blue:eth1'] });
        d.links[2].mtu = 1400;
      }),
      'lab.yaml',
    );
    const l = lines(partOf(t, 'vm1', 'lab.yaml'), env('absent'));
    // the tunnel's port is numbered after the cables': s1-3
    expect(l).toContain('ip link add s1-2 mtu 1400 type veth peer name s3-1 mtu 1400');
    expect(l).toContain('ip link add s1-3 mtu 1400 type vxlan id 100 local 192.168.56.11 remote 192.168.56.12 dstport 4789 dev eth1');
    expect(l).toContain('ip link add eth0 mtu 1400 netns blue type veth peer name s3-2 mtu 1400');
    expect(l).toContain('ip link add eth1 netns red type veth peer name eth1 netns blue');
  });

  it('an unplaced lab with a one-ended tunnel builds it, to its remote', () => {
    const t = validateTopology(
      { name: 'one', hosts: { a: { addresses: { eth0: '10.1.0.1/24' } } }, switches: { sw: {} }, links: [{ endpoints: ['a', 'sw'] }, { type: 'vxlan', endpoints: ['sw:vx0'], remote: '172.16.0.2', vni: 9, 'dst-port': 8472, dev: 'ens4' }] },
      'one.yaml',
    );
    expect(partOf(t, undefined, 'one.yaml')).toBe(t);
    expect(lines(t, env('absent'))).toContain('ip link add vx0 mtu 1450 type vxlan id 9 remote 172.16.0.2 dstport 8472 dev ens4');
  });
});

describe('the whole lab, with its machine boundaries', () => {
  const topo = validateTopology(across(), 'lab.yaml');

  it('status lists each machine, this one marked, and the tunnels', () => {
    expect(describePlacement(topo, 'vm2')).toEqual([
      '  the whole lab, by machine:',
      '    vm1 192.168.56.11: hosts red; switches s1',
      '    vm2 192.168.56.12 (this machine): hosts green; switches s2',
      '    tunnel vxlan VNI 100, MTU 1450: s1/s1-2 (vm1) <-> s2/s2-2 (vm2)',
    ]);
  });

  it('graph: a frame per machine in every format, the tunnel dashed', () => {
    const g = fromTopology(topo);
    expect(g.machines).toEqual([
      { name: 'vm1', address: '192.168.56.11' },
      { name: 'vm2', address: '192.168.56.12' },
    ]);
    expect(g.edges.find((e) => e.tunnel)).toMatchObject({ from: 's1', to: 's2', note: 'vxlan 100, MTU 1450' });
    const dot = renderDot(g);
    expect(dot).toMatch(/subgraph cluster_0 \{\n {4}label="vm1 192\.168\.56\.11"; style=dashed;\n {4}"red" .*\n {4}"s1" /);
    expect(dot).toContain('style=dashed];');
    expect(renderMermaid(g)).toMatch(/subgraph m1\["vm2 192\.168\.56\.12"\]\n {4}n1\("green[^\n]*\n {4}n3\[\["s2[^\n]*\n {2}end/);
    expect(renderMermaid(g)).toContain('-.-|');
    const svg = renderSvg(g);
    expect(svg.match(/<g class="machine"/g)).toHaveLength(2);
    expect(svg).toContain('<line class="tunnel"');
  });
});

describe('examples/two-machines/lab.yaml', () => {
  it('parses, and each machine builds its half: OVS vxlan ports facing each other', async () => {
    const text = readFileSync(new URL('../../examples/two-machines/lab.yaml', import.meta.url), 'utf8');
    const topo = await parseTopology(text, 'lab.yaml');
    const vm1 = lines(partOf(topo, 'vm1', 'lab.yaml'), env('kernel'));
    const vm2 = lines(partOf(topo, 'vm2', 'lab.yaml'), env('kernel'));
    expect(vm1).toContain('ovs-vsctl add-port ovs1 vx-vm2 -- set interface vx-vm2 type=vxlan options:remote_ip=192.168.56.12 options:local_ip=192.168.56.11 options:key=42 options:dst_port=4789');
    expect(vm2).toContain('ovs-vsctl add-port ovs2 vx-vm1 -- set interface vx-vm1 type=vxlan options:remote_ip=192.168.56.11 options:local_ip=192.168.56.12 options:key=42 options:dst_port=4789');
    expect(vm1).toContain('ip link add eth0-r mtu 1450 netns red type veth peer name veth-r mtu 1450');
    expect(vm1).not.toContain('ip netns add green');
    expect(vm1.join('\n')).toContain('10.0.0.2 green'); // named in red's /etc/hosts all the same
  });
});
