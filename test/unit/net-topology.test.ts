/**
 * The lab topology format (src/network/lab/topology/schema.ts) and its plan of host commands
 * (src/network/lab/topology/plan.ts): good files and each refusal, then the steps `net up` runs for
 * each Open vSwitch situation. Nothing is executed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { equivalent, type Action } from '../../src/network/host/actions.js';
import { demoTopology } from '../../src/network/lab/demo-topology.js';
import { effectiveKind, hostsFile, needsNetem, planUp, type PlanEnv } from '../../src/network/lab/topology/plan.js';
import { parseTopology, primaryAddress, validateTopology, type Topology } from '../../src/network/lab/topology/schema.js';

const example = (name: string): string => readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8');

const KERNEL: PlanEnv = { ovs: 'kernel', etcNetnsExisting: new Set() };
const NETDEV: PlanEnv = { ovs: 'netdev', etcNetnsExisting: new Set() };
const ABSENT: PlanEnv = { ovs: 'absent', etcNetnsExisting: new Set() };

/** Every action of a plan as the shell line it stands for. */
const lines = (topo: Topology, env: PlanEnv): string[] => planUp(topo, env).flatMap((s) => s.actions.map(equivalent));

function refusal(doc: unknown): string {
  try {
    validateTopology(doc, 'lab.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('validateTopology accepted it');
}

/** Two hosts on one switch: the base each refusal below changes one thing in. */
const base = (): Record<string, any> => ({
  name: 'lab',
  hosts: { a: { addresses: { eth0: '10.0.0.1/24' } }, b: { addresses: { eth0: '10.0.0.2/24' } } },
  switches: { sw: { type: 'linux' } },
  links: [{ endpoints: ['a:eth0', 'sw'] }, { endpoints: ['b:eth0', 'sw'] }],
});
const edited = (edit: (d: Record<string, any>) => void): Record<string, any> => {
  const d = base();
  edit(d);
  return d;
};

describe('validateTopology: good files', () => {
  it('examples/router.yaml', async () => {
    const t = await parseTopology(example('router.yaml'), 'examples/router.yaml');
    expect(t.name).toBe('router');
    expect(t.hosts.map((h) => h.name)).toEqual(['h1', 'h2', 'r']);
    expect(t.switches).toEqual([{ name: 's1', kind: 'linux' }, { name: 's2', kind: 'linux' }]);
    const r = t.hosts.find((h) => h.name === 'r')!;
    expect(r.interfaces).toEqual([{ name: 'eth0', addresses: ['10.0.1.1/24'] }, { name: 'eth1', addresses: ['10.0.2.1/24'] }]);
    // YAML's number 1 is the sysctl's string "1"
    expect(r.sysctls).toEqual({ 'net.ipv4.ip_forward': '1' });
    expect(t.hosts[0]!.routes).toEqual([{ to: 'default', via: '10.0.1.1' }]);
    expect(t.links[0]).toEqual({ a: { node: 'h1', kind: 'host', ifname: 'eth0' }, b: { node: 's1', kind: 'switch', ifname: 's1-h1' }, impair: undefined });
    expect(t.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('examples/red-green.yaml is the demo lab, to the hash', async () => {
    const t = await parseTopology(example('red-green.yaml'), 'examples/red-green.yaml');
    expect(t).toEqual(demoTopology('ovs'));
    expect(demoTopology('linux').hash).not.toBe(t.hash);
  });

  it('defaults: the name from the file, linux switches, interface and port names by order', () => {
    const t = validateTopology({
      hosts: { a: null, b: {} },
      switches: { sw: null },
      links: [{ endpoints: ['a', 'sw'] }, { endpoints: ['a', 'b'] }, { endpoints: ['b', 'sw'] }],
    }, '/labs/my-lab.yml');
    expect(t.name).toBe('my-lab');
    expect(t.switches).toEqual([{ name: 'sw', kind: 'linux' }]);
    expect(t.links.map((l) => [l.a.ifname, l.b.ifname])).toEqual([['eth0', 'sw-1'], ['eth1', 'eth0'], ['eth1', 'sw-2']]);
    expect(t.hosts.map((h) => h.interfaces.map((i) => i.name))).toEqual([['eth0', 'eth1'], ['eth0', 'eth1']]);
    expect(t.hosts[0]!.interfaces[0]!.addresses).toEqual([]);
  });

  it('several addresses, IPv6, routes by dev, impairments', () => {
    const t = validateTopology(edited((d) => {
      d.hosts.a.addresses.eth0 = ['10.0.0.1/24', 'fd00::1/64'];
      d.hosts.a.routes = [{ to: '10.9.0.0/16', dev: 'eth0' }, { to: 'fd01::/64', via: 'fd00::2' }];
      d.links[0] = { endpoints: ['a:eth0', 'sw'], delay: '50ms', jitter: '5ms', loss: '1%', rate: '10mbit' };
      d.links[1].loss = 2.5;
    }), 'lab.yaml');
    expect(t.hosts[0]!.interfaces[0]!.addresses).toEqual(['10.0.0.1/24', 'fd00::1/64']);
    expect(t.hosts[0]!.routes).toEqual([{ to: '10.9.0.0/16', dev: 'eth0' }, { to: 'fd01::/64', via: 'fd00::2' }]);
    expect(t.links[0]!.impair).toEqual({ delay: '50ms', jitter: '5ms', loss: '1%', rate: '10mbit' });
    expect(t.links[1]!.impair).toEqual({ loss: '2.5%' });
  });

  it('sysctls: the key is normalised (a slash is a separator, as in a container\'s linux.sysctl)', () => {
    const t = validateTopology(edited((d) => { d.hosts.a.sysctls = { 'net/ipv4/conf/eth0/forwarding': '1', 'net.ipv4.ip_forward': 1 }; }), 'lab.yaml');
    expect(t.hosts[0]!.sysctls).toEqual({ 'net.ipv4.conf.eth0.forwarding': '1', 'net.ipv4.ip_forward': '1' });
    // and what sysctl(8) is given is that key
    expect(lines(t, KERNEL)).toContain('ip netns exec a sysctl -q -w net.ipv4.conf.eth0.forwarding=1 net.ipv4.ip_forward=1');
  });

  it('hosts and interfaces named like properties of every object', () => {
    const t = validateTopology({
      hosts: { constructor: { addresses: { toString: '10.0.0.1/24' } }, b: {} },
      links: [{ endpoints: ['constructor:toString', 'b:valueOf'] }],
    }, 'lab.yaml');
    expect(t.hosts.map((h) => [h.name, h.interfaces])).toEqual([
      ['constructor', [{ name: 'toString', addresses: ['10.0.0.1/24'] }]],
      ['b', [{ name: 'valueOf', addresses: [] }]],
    ]);
  });

  it('the hash follows the content, not the file name', () => {
    const h = validateTopology(base(), 'a.yaml').hash;
    expect(validateTopology(base(), 'b.yaml').hash).toBe(h);
    expect(validateTopology(edited((d) => { d.hosts.b.addresses.eth0 = '10.0.0.3/24'; }), 'a.yaml').hash).not.toBe(h);
  });

  it('primaryAddress: the first IPv4 address, else the first', () => {
    const t = validateTopology(edited((d) => { d.hosts.a.addresses.eth0 = ['fd00::1/64', '10.0.0.1/24']; d.hosts.b.addresses.eth0 = 'fd00::2/64'; }), 'lab.yaml');
    expect(primaryAddress(t.hosts[0]!)).toBe('10.0.0.1');
    expect(primaryAddress(t.hosts[1]!)).toBe('fd00::2');
    expect(primaryAddress({ name: 'x', interfaces: [], routes: [], sysctls: {} })).toBeUndefined();
  });
});

describe('validateTopology: refusals name the file and the field', () => {
  it.each<[string, (d: Record<string, any>) => void, string]>([
    ['an unknown top-level key', (d) => { d.nodes = {}; }, 'lab.yaml: unknown key "nodes" (expected one of: name, machines, hosts, switches, links)'],
    ['a bad lab name', (d) => { d.name = '-lab'; }, 'lab.yaml: name: "-lab" is not a valid lab name (1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)'],
    ['an empty name', (d) => { d.name = ''; }, 'lab.yaml: name: must be a non-empty string'],
    ['no hosts', (d) => { d.hosts = {}; }, 'lab.yaml: hosts: a topology needs at least one host'],
    ['hosts as a list', (d) => { d.hosts = ['a', 'b']; }, 'lab.yaml: hosts: must be a mapping'],
    ['a bad host name', (d) => { d.hosts['a b'] = {}; }, 'lab.yaml: hosts.a b: "a b" is not a valid lab host name (1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)'],
    ['an unknown host key', (d) => { d.hosts.a.ip = '10.0.0.1'; }, 'lab.yaml: hosts.a: unknown key "ip" (expected one of: addresses, routes, sysctls, machine, image, cmd, env, binds)'],
    ['a switch type', (d) => { d.switches.sw.type = 'vde'; }, 'lab.yaml: switches.sw.type: "vde" must be ovs or linux'],
    ['an unknown switch key', (d) => { d.switches.sw.stp = true; }, 'lab.yaml: switches.sw: unknown key "stp" (expected one of: type, machine)'],
    ['a switch name too long for an interface', (d) => { d.switches = { 'switch-number-one': {} }; d.links = []; }, 'lab.yaml: switches.switch-number-one: "switch-number-one" is not a valid interface name (longer than 15 characters)'],
    ['a host that is also a switch', (d) => { d.hosts.sw = {}; }, 'lab.yaml: hosts.sw: "sw" is both a host and a switch'],
    ['links as a mapping', (d) => { d.links = { l1: {} }; }, 'lab.yaml: links: must be a list'],
    ['an unknown link key', (d) => { d.links[0].mtu = 9000; }, 'lab.yaml: links[0]: unknown key "mtu" (expected one of: endpoints, delay, jitter, loss, rate)'],
    ['one endpoint', (d) => { d.links[0].endpoints = ['a:eth0']; }, 'lab.yaml: links[0].endpoints: must list exactly two endpoints like [red:eth0, ovs1]'],
    ['three endpoints', (d) => { d.links[0].endpoints = ['a', 'b', 'sw']; }, 'lab.yaml: links[0].endpoints: must list exactly two endpoints like [red:eth0, ovs1]'],
    ['no endpoints', (d) => { d.links[0] = {}; }, 'lab.yaml: links[0].endpoints: must list exactly two endpoints like [red:eth0, ovs1]'],
    ['an endpoint with two colons', (d) => { d.links[0].endpoints = ['a:eth0:x', 'sw']; }, 'lab.yaml: links[0].endpoints[0]: "a:eth0:x" must be NODE or NODE:INTERFACE'],
    ['an endpoint without a node', (d) => { d.links[0].endpoints = [':eth0', 'sw']; }, 'lab.yaml: links[0].endpoints[0]: ":eth0" must be NODE or NODE:INTERFACE'],
    ['an unknown node', (d) => { d.links[1].endpoints = ['b:eth0', 'sw2']; }, 'lab.yaml: links[1].endpoints[1]: unknown node "sw2" (not in hosts or switches)'],
    // names of Object.prototype's properties are names like any other, not hosts
    ['a node named like a property of every object', (d) => { d.links[1].endpoints = ['b:eth0', 'constructor']; }, 'lab.yaml: links[1].endpoints[1]: unknown node "constructor" (not in hosts or switches)'],
    ['a node named toString', (d) => { d.links[0].endpoints = ['toString', 'sw']; }, 'lab.yaml: links[0].endpoints[0]: unknown node "toString" (not in hosts or switches)'],
    ['a bad interface name', (d) => { d.links[0].endpoints = ['a:eth0/1', 'sw']; }, 'lab.yaml: links[0].endpoints[0]: "eth0/1" is not a valid interface name (1-15 of A-Z a-z 0-9 _ . -)'],
    ['an interface name too long', (d) => { d.links[0].endpoints = ['a:an-interface-name', 'sw']; }, 'lab.yaml: links[0].endpoints[0]: "an-interface-name" is not a valid interface name (longer than 15 characters)'],
    ['an interface used twice', (d) => { d.links[1].endpoints = ['a:eth0', 'b:eth0']; }, 'lab.yaml: links[1].endpoints[0]: host a already has an interface eth0'],
    ['a link to itself', (d) => { d.links.push({ endpoints: ['a:x', 'a:y'] }); }, 'lab.yaml: links[2].endpoints: a link needs two different nodes'],
    ['a port name used twice', (d) => { d.links = [{ endpoints: ['a:eth0', 'sw:p1'] }, { endpoints: ['b:eth0', 'sw:p1'] }]; }, 'lab.yaml: links[1]: port name p1 is already used by links[0]'],
    ['a port named like a switch', (d) => { d.links[0].endpoints = ['a:eth0', 'sw:sw']; }, 'lab.yaml: links[0]: port name sw is already used by switch sw'],
    ['a delay', (d) => { d.links[0].delay = '50'; }, 'lab.yaml: links[0].delay: "50" is not a time (0us..60s, like 50ms)'],
    ['a jitter', (d) => { d.links[0].delay = '50ms'; d.links[0].jitter = 'lots'; }, 'lab.yaml: links[0].jitter: "lots" is not a time (0us..60s, like 5ms)'],
    ['a jitter without a delay', (d) => { d.links[0].jitter = '5ms'; }, 'lab.yaml: links[0].jitter: needs a delay'],
    ['a loss above 100%', (d) => { d.links[0].loss = '150%'; }, 'lab.yaml: links[0].loss: "150%" is not a percentage like 1%'],
    ['a loss that is not a number', (d) => { d.links[0].loss = 'some'; }, 'lab.yaml: links[0].loss: "some" is not a percentage like 1%'],
    ['a rate', (d) => { d.links[0].rate = 'fast'; }, 'lab.yaml: links[0].rate: "fast" is not a rate (1kbit..100gbit)'],
    ['an address on a missing interface', (d) => { d.hosts.a.addresses.eth1 = '10.0.1.1/24'; }, 'lab.yaml: hosts.a.addresses.eth1: host a has no interface eth1 (interfaces come from links)'],
    ['an address without a prefix', (d) => { d.hosts.a.addresses.eth0 = '10.0.0.1'; }, 'lab.yaml: hosts.a.addresses.eth0: "10.0.0.1" is not an address with a prefix length (like 10.0.0.1/24)'],
    ['a prefix too long', (d) => { d.hosts.a.addresses.eth0 = '10.0.0.1/33'; }, 'lab.yaml: hosts.a.addresses.eth0: "10.0.0.1/33" is not an address with a prefix length (like 10.0.0.1/24)'],
    ['an IPv6 prefix too long', (d) => { d.hosts.a.addresses.eth0 = 'fd00::1/129'; }, 'lab.yaml: hosts.a.addresses.eth0: "fd00::1/129" is not an address with a prefix length (like 10.0.0.1/24)'],
    ['a bad address in a list', (d) => { d.hosts.a.addresses.eth0 = ['10.0.0.1/24', '']; }, 'lab.yaml: hosts.a.addresses.eth0[1]: must be a non-empty string'],
    ['a host name as an address', (d) => { d.hosts.a.addresses.eth0 = 'a.lab/24'; }, 'lab.yaml: hosts.a.addresses.eth0: "a.lab/24" is not an address with a prefix length (like 10.0.0.1/24)'],
    ['addresses as a list', (d) => { d.hosts.a.addresses = ['10.0.0.1/24']; }, 'lab.yaml: hosts.a.addresses: must be a mapping'],
    ['a route without to', (d) => { d.hosts.a.routes = [{ via: '10.0.0.2' }]; }, 'lab.yaml: hosts.a.routes[0].to: must be a non-empty string'],
    ['a route to a bad prefix', (d) => { d.hosts.a.routes = [{ to: '10.9.0.0', via: '10.0.0.2' }]; }, 'lab.yaml: hosts.a.routes[0].to: "10.9.0.0" is not an address with a prefix length (like 10.0.0.1/24)'],
    ['a route via a name', (d) => { d.hosts.a.routes = [{ to: 'default', via: 'b' }]; }, 'lab.yaml: hosts.a.routes[0].via: "b" is not an IP address'],
    ['a route via a missing dev', (d) => { d.hosts.a.routes = [{ to: 'default', dev: 'eth9' }]; }, 'lab.yaml: hosts.a.routes[0].dev: host a has no interface eth9'],
    ['a route with neither via nor dev', (d) => { d.hosts.a.routes = [{ to: 'default' }]; }, 'lab.yaml: hosts.a.routes[0]: needs via or dev'],
    ['an unknown route key', (d) => { d.hosts.a.routes = [{ to: 'default', via: '10.0.0.2', metric: 5 }]; }, 'lab.yaml: hosts.a.routes[0]: unknown key "metric" (expected one of: to, via, dev)'],
    ['routes as a mapping', (d) => { d.hosts.a.routes = { default: '10.0.0.2' }; }, 'lab.yaml: hosts.a.routes: must be a list'],
    // one checker for labs and containers (src/spec/sysctl.ts): only what a network namespace owns
    ['a sysctl of the whole machine', (d) => { d.hosts.a.sysctls = { 'kernel.core_pattern': '|/tmp/x' }; }, 'lab.yaml: hosts.a.sysctls: kernel.core_pattern is not a namespaced sysctl: it would change the host'],
    ['a sysctl of the whole machine, with slashes', (d) => { d.hosts.a.sysctls = { 'kernel/core_pattern': '|/tmp/x' }; }, 'lab.yaml: hosts.a.sysctls: kernel.core_pattern is not a namespaced sysctl: it would change the host'],
    ['a sysctl of an IPC namespace', (d) => { d.hosts.a.sysctls = { 'kernel.shmmax': '1' }; }, "lab.yaml: hosts.a.sysctls: kernel.shmmax needs an IPC namespace of a lab host's own"],
    ['a sysctl of an IPC namespace (mqueue)', (d) => { d.hosts.a.sysctls = { 'fs.mqueue.msg_max': '1' }; }, "lab.yaml: hosts.a.sysctls: fs.mqueue.msg_max needs an IPC namespace of a lab host's own"],
    ['a sysctl of a UTS namespace', (d) => { d.hosts.a.sysctls = { 'kernel.hostname': 'x' }; }, "lab.yaml: hosts.a.sysctls: kernel.hostname needs a UTS namespace of a lab host's own"],
    ['net itself', (d) => { d.hosts.a.sysctls = { 'net.ipv4': '1' }; }, 'lab.yaml: hosts.a.sysctls: net.ipv4 is not a namespaced sysctl: it would change the host'],
    ['a sysctl with a space', (d) => { d.hosts.a.sysctls = { 'net.ipv4.ip forward': '1' }; }, 'lab.yaml: hosts.a.sysctls: "net.ipv4.ip forward" is not a sysctl name'],
    // normalised before the check: each of these is /proc/sys/net/../kernel/core_pattern, the host's
    ['a sysctl that climbs out of net/ (dots)', (d) => { d.hosts.a.sysctls = { 'net.//.kernel.core_pattern': '|/tmp/x' }; }, 'lab.yaml: hosts.a.sysctls: "net.//.kernel.core_pattern" is not a sysctl name'],
    ['a sysctl that climbs out of net/ (a path)', (d) => { d.hosts.a.sysctls = { 'net/../kernel/core_pattern': '|/tmp/x' }; }, 'lab.yaml: hosts.a.sysctls: "net/../kernel/core_pattern" is not a sysctl name'],
    ['a sysctl that climbs out of net/ (dots only)', (d) => { d.hosts.a.sysctls = { 'net....kernel.core_pattern': '|/tmp/x' }; }, 'lab.yaml: hosts.a.sysctls: "net....kernel.core_pattern" is not a sysctl name'],
    ['a sysctl with an empty part', (d) => { d.hosts.a.sysctls = { 'net.ipv4..ip_forward': '1' }; }, 'lab.yaml: hosts.a.sysctls: "net.ipv4..ip_forward" is not a sysctl name'],
    ['a sysctl ending in a separator', (d) => { d.hosts.a.sysctls = { 'net.ipv4.ip_forward/': '1' }; }, 'lab.yaml: hosts.a.sysctls: "net.ipv4.ip_forward/" is not a sysctl name'],
    ['a sysctl starting with a separator', (d) => { d.hosts.a.sysctls = { '/net/ipv4/ip_forward': '1' }; }, 'lab.yaml: hosts.a.sysctls: "/net/ipv4/ip_forward" is not a sysctl name'],
    // sysctl(8) reads "eth0/100" among dots as the interface eth0.100, the checker as eth0, 100
    ['a sysctl that mixes . and /', (d) => { d.hosts.a.sysctls = { 'net.ipv4.conf.eth0/100.forwarding': '1' }; }, 'lab.yaml: hosts.a.sysctls.net.ipv4.conf.eth0/100.forwarding: mixes "." and "/": write it with one separator'],
    ['the same sysctl twice', (d) => { d.hosts.a.sysctls = { 'net.ipv4.ip_forward': '1', 'net/ipv4/ip_forward': '0' }; }, 'lab.yaml: hosts.a.sysctls.net/ipv4/ip_forward: is net.ipv4.ip_forward again'],
    ['a sysctl value that is empty', (d) => { d.hosts.a.sysctls = { 'net.ipv4.ip_forward': '' }; }, 'lab.yaml: hosts.a.sysctls.net.ipv4.ip_forward: must be a non-empty string'],
  ])('%s', (_what, edit, message) => {
    expect(refusal(edited(edit))).toBe(message);
  });

  it('a document that is not a mapping', () => {
    expect(refusal(['a'])).toBe('lab.yaml: must be a mapping');
    expect(refusal('hosts')).toBe('lab.yaml: must be a mapping');
  });

  it('text that is not YAML', async () => {
    await expect(parseTopology('hosts: [a\n', 'lab.yaml')).rejects.toThrow(/^lab\.yaml: not valid YAML: /);
    await expect(parseTopology('hosts: [a\n', 'lab.yaml')).rejects.toBeInstanceOf(UsageError);
  });
});

describe('planUp', () => {
  const router = (): Promise<Topology> => parseTopology(example('router.yaml'), 'router.yaml');

  it('the steps, in class order', async () => {
    expect(planUp(await router(), KERNEL).map((s) => [s.title, s.concurrent ?? false])).toEqual([
      ['Create the network namespaces', false],
      ['Create the veth pairs (virtual cables)', false],
      ['Create the switches and plug in the cables', false],
      ['Turn TX checksum offload off (the OVS userspace datapath needs it for TCP)', true],
      ['Bring the links up and add the addresses', true],
      ['Add forwarding, routes and impairments', false],
      ['Name the hosts', true],
      ["Start the container nodes (each joins its host's namespace)", false],
    ]);
  });

  it('examples/router.yaml, command by command', async () => {
    expect(lines(await router(), KERNEL)).toEqual([
      'ip netns add h1',
      'ip netns add h2',
      'ip netns add r',
      // each object carries the lab's mark as it is made: down removes only what carries it
      'ip -n h1 link set lo alias minictr-lab:router',
      'ip -n h2 link set lo alias minictr-lab:router',
      'ip -n r link set lo alias minictr-lab:router',
      'ip link add eth0 netns h1 type veth peer name s1-h1',
      'ip link set s1-h1 alias minictr-lab:router',
      'ip link add eth0 netns r type veth peer name s1-r',
      'ip link set s1-r alias minictr-lab:router',
      'ip link add eth1 netns r type veth peer name s2-r',
      'ip link set s2-r alias minictr-lab:router',
      'ip link add eth0 netns h2 type veth peer name s2-h2',
      'ip link set s2-h2 alias minictr-lab:router',
      'ip link add s1 type bridge',
      'ip link set s1 alias minictr-lab:router',
      'ip link add s2 type bridge',
      'ip link set s2 alias minictr-lab:router',
      'ip link set s1-h1 master s1',
      'ip link set s1-r master s1',
      'ip link set s2-r master s2',
      'ip link set s2-h2 master s2',
      'ip link set s1 up',
      'ip link set s2 up',
      'ip link set s1-h1 up',
      'ip link set s1-r up',
      'ip link set s2-r up',
      'ip link set s2-h2 up',
      'ip -n h1 link set lo up',
      'ip -n h1 link set eth0 up',
      'ip -n h1 addr add 10.0.1.10/24 dev eth0',
      'ip -n h2 link set lo up',
      'ip -n h2 link set eth0 up',
      'ip -n h2 addr add 10.0.2.10/24 dev eth0',
      'ip -n r link set lo up',
      'ip -n r link set eth0 up',
      'ip -n r addr add 10.0.1.1/24 dev eth0',
      'ip -n r link set eth1 up',
      'ip -n r addr add 10.0.2.1/24 dev eth1',
      'ip netns exec r sysctl -q -w net.ipv4.ip_forward=1',
      'ip -n h1 route add default via 10.0.1.1',
      'ip -n h2 route add default via 10.0.2.1',
      "mkdir -p /etc/netns/h1 && printf '%s\\n' '# minictr-lab router: written by minictr net up, removed by minictr net down' '127.0.0.1 localhost' '::1 localhost ip6-localhost ip6-loopback' '10.0.1.10 h1' '10.0.2.10 h2' '10.0.1.1 r' > /etc/netns/h1/hosts",
      "mkdir -p /etc/netns/h2 && printf '%s\\n' '# minictr-lab router: written by minictr net up, removed by minictr net down' '127.0.0.1 localhost' '::1 localhost ip6-localhost ip6-loopback' '10.0.1.10 h1' '10.0.2.10 h2' '10.0.1.1 r' > /etc/netns/h2/hosts",
      "mkdir -p /etc/netns/r && printf '%s\\n' '# minictr-lab router: written by minictr net up, removed by minictr net down' '127.0.0.1 localhost' '::1 localhost ip6-localhost ip6-loopback' '10.0.1.10 h1' '10.0.2.10 h2' '10.0.1.1 r' > /etc/netns/r/hosts",
    ]);
  });

  it('what each step creates is recorded for the journal', async () => {
    const creates = planUp(await router(), KERNEL).flatMap((s) => s.actions.flatMap((a) => a.creates ?? []));
    expect(creates).toEqual([
      { kind: 'netns', name: 'h1' }, { kind: 'netns', name: 'h2' }, { kind: 'netns', name: 'r' },
      { kind: 'link', name: 's1-h1' }, { kind: 'link', name: 's1-r' }, { kind: 'link', name: 's2-r' }, { kind: 'link', name: 's2-h2' },
      { kind: 'link', name: 's1' }, { kind: 'link', name: 's2' },
      { kind: 'etc-netns', name: 'h1' }, { kind: 'etc-netns', name: 'h2' }, { kind: 'etc-netns', name: 'r' },
    ]);
  });

  it('an OVS switch with the kernel datapath: ovs-vsctl, no offload step', () => {
    const t = demoTopology('ovs');
    const l = lines(t, KERNEL);
    expect(l).toContain('ovs-vsctl add-br ovs1 -- set bridge ovs1 datapath_type=system external_ids:minictr-lab=red-green');
    expect(l).toContain('ovs-vsctl add-port ovs1 veth-r');
    expect(l).toContain('ovs-vsctl add-port ovs1 veth-g');
    expect(l.some((x) => x.includes('ethtool'))).toBe(false);
    expect(l.some((x) => x.includes('type bridge'))).toBe(false);
    expect(effectiveKind(t, 'ovs1', KERNEL)).toBe('ovs');
  });

  it('the userspace datapath: datapath_type=netdev, and TX offload off on both ends of each cable', () => {
    const steps = planUp(demoTopology('ovs'), NETDEV);
    expect(steps[2]!.actions.map(equivalent)).toContain('ovs-vsctl add-br ovs1 -- set bridge ovs1 datapath_type=netdev external_ids:minictr-lab=red-green');
    expect(steps[3]!.actions.map(equivalent)).toEqual([
      'ip netns exec red ethtool -K eth0-r tx off',
      'ethtool -K veth-r tx off',
      'ip netns exec green ethtool -K eth0-g tx off',
      'ethtool -K veth-g tx off',
    ]);
  });

  it('no Open vSwitch: an ovs switch becomes a Linux bridge', () => {
    const t = demoTopology('ovs');
    const l = lines(t, ABSENT);
    expect(effectiveKind(t, 'ovs1', ABSENT)).toBe('linux');
    expect(l).toContain('ip link add ovs1 type bridge');
    expect(l).toContain('ip link set veth-r master ovs1');
    expect(l).toContain('ip link set ovs1 up');
    expect(l.some((x) => x.startsWith('ovs-vsctl'))).toBe(false);
    expect(lines(t, ABSENT)).toEqual(lines(demoTopology('linux'), KERNEL));
  });

  it('host-to-host cables are made in both namespaces at once', () => {
    const t = validateTopology({ hosts: { a: {}, b: {} }, links: [{ endpoints: ['a:e1', 'b:e2'] }] }, 'pair.yaml');
    const veth = planUp(t, KERNEL)[1]!.actions[0]!;
    expect(equivalent(veth)).toBe('ip link add e1 netns a type veth peer name e2 netns b');
    expect(veth.what).toBe('veth pair a:e1 <-> b:e2, created directly in its namespace');
    expect(veth.creates).toEqual([]);
  });

  it('a switch-to-host cable is written host end first', () => {
    const t = validateTopology({ hosts: { a: {} }, switches: { sw: {} }, links: [{ endpoints: ['sw:p1', 'a:eth0'] }] }, 'x.yaml');
    expect(equivalent(planUp(t, KERNEL)[1]!.actions[0]!)).toBe('ip link add eth0 netns a type veth peer name p1');
  });

  it('impairments: netem for delay or loss (rate too), tbf for a rate alone, on both ends', () => {
    const t = validateTopology(edited((d) => {
      d.links[0] = { endpoints: ['a:eth0', 'sw'], delay: '50ms', jitter: '5ms', loss: '1%', rate: '10mbit' };
      d.links[1].rate = '1mbit';
    }), 'lab.yaml');
    expect(needsNetem(t)).toBe(true);
    const tc = planUp(t, KERNEL)[5]!.actions.filter((a): a is Extract<Action, { kind: 'tc' }> => a.kind === 'tc');
    expect(tc.map(equivalent)).toEqual([
      'tc -n a qdisc add dev eth0 root netem delay 50ms 5ms loss 1% rate 10mbit',
      'tc qdisc add dev sw-1 root netem delay 50ms 5ms loss 1% rate 10mbit',
      'tc -n b qdisc add dev eth0 root tbf rate 1mbit burst 32kbit latency 400ms',
      'tc qdisc add dev sw-2 root tbf rate 1mbit burst 32kbit latency 400ms',
    ]);
    expect(tc[0]!.what).toBe('impair eth0 (delay 50ms, jitter 5ms, loss 1%, rate 10mbit)');
    expect(needsNetem(validateTopology(edited((d) => { d.links[0].rate = '1mbit'; }), 'lab.yaml'))).toBe(false);
    expect(needsNetem(validateTopology(base(), 'lab.yaml'))).toBe(false);
  });

  it('routes by dev, several sysctls in one call', () => {
    const t = validateTopology(edited((d) => {
      d.hosts.a.routes = [{ to: '10.9.0.0/16', dev: 'eth0' }, { to: 'default', via: '10.0.0.2', dev: 'eth0' }];
      d.hosts.a.sysctls = { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': '1' };
    }), 'lab.yaml');
    expect(planUp(t, KERNEL)[5]!.actions.map(equivalent)).toEqual([
      'ip netns exec a sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1',
      'ip -n a route add 10.9.0.0/16 dev eth0',
      'ip -n a route add default via 10.0.0.2 dev eth0',
    ]);
  });

  it("an /etc/netns dir that already exists is never overwritten", () => {
    const names = planUp(validateTopology(base(), 'lab.yaml'), { ovs: 'kernel', etcNetnsExisting: new Set(['a']) })[6]!.actions;
    expect(names.map((a) => (a.kind === 'file' ? a.path : ''))).toEqual(['/etc/netns/b/hosts']);
  });

  it('hostsFile: every host with an address, by its first one', () => {
    const t = validateTopology(edited((d) => { d.hosts.c = {}; }), 'lab.yaml');
    expect(hostsFile(t)).toBe('# minictr-lab lab: written by minictr net up, removed by minictr net down\n127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n10.0.0.1 a\n10.0.0.2 b\n');
  });
});
