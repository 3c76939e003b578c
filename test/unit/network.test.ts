/**
 * Addresses and subnets (src/network/container/cidr.ts), -p and its clash checks (ports.ts),
 * --network (mode.ts), and the anti-spoofing rules of a bridge port (antispoof.ts).
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, UsageError } from '../../src/errors.js';
import { equivalent, type IpAction } from '../../src/network/host/actions.js';
import { vethPair } from '../../src/network/host/links.js';
import { containerMac, ebtablesPortRules, nftGuardTable, nftPortActions, nftPortElements, ovsPortFlows } from '../../src/network/container/antispoof.js';
import { containerLink } from '../../src/network/container/attach.js';
import { netnsOps, nftElementOp, vethOp } from '../../src/network/host/netns-ops.js';
import { contains, formatSubnet, intToIp, ipToInt, overlaps, parseSubnet, subnetSize } from '../../src/network/container/cidr.js';
import type { PortMapping } from '../../src/network/container/firewall.js';
import { formatNetworkMode, parseNetworkFlags, parseNetworkMode, type NetworkMode } from '../../src/network/container/mode.js';
import { attachments, nextIfname, vethName, withHostsSection } from '../../src/network/container/attach.js';
import { checkPortsFree, findPublished, parsePortMapping, parseProcNet, portSpec, portsOverlap, socketTakes, type HostSocket } from '../../src/network/container/ports.js';
import type { NetworkConfig } from '../../src/network/container/store.js';

describe('cidr', () => {
  it.each<[string, number]>([
    ['0.0.0.0', 0],
    ['10.88.0.1', 0x0a580001],
    ['192.168.1.255', 0xc0a801ff],
    ['255.255.255.255', 0xffffffff],
    ['010.1.1.1', 0x0a010101],
  ])('ipToInt(%s) and back', (ip, n) => {
    expect(ipToInt(ip)).toBe(n);
    if (!ip.startsWith('0') || ip === '0.0.0.0') expect(intToIp(n)).toBe(ip);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.-1', 'a.b.c.d', '1.2.3.4 ', '1..2.3', '1234.1.1.1', '::1'])('ipToInt(%j) is undefined', (ip) => {
    expect(ipToInt(ip)).toBeUndefined();
  });

  it('parseSubnet, subnetSize, formatSubnet', () => {
    const s = parseSubnet('10.88.0.0/16');
    expect(s).toEqual({ base: 0x0a580000, prefix: 16 });
    expect(subnetSize(s)).toBe(65536);
    expect(formatSubnet(s)).toBe('10.88.0.0/16');
    expect(parseSubnet('10.0.0.0/8')).toEqual({ base: 0x0a000000, prefix: 8 });
    expect(subnetSize(parseSubnet('192.168.7.252/30'))).toBe(4);
  });

  it.each(['10.0.0.0/31', '10.0.0.0/32', '10.0.0.0/7', '0.0.0.0/0', '10.0.0.0', '10.0.0/24', '10.0.0.0/', 'x/24', '10.0.0.0/024', '300.0.0.0/8'])('parseSubnet refuses %j', (cidr) => {
    expect(() => parseSubnet(cidr)).toThrow(new UsageError(`invalid subnet "${cidr}": expected an IPv4 CIDR like 10.89.0.0/24 (prefix 8-30)`));
  });

  it('host bits set: the message offers the network address', () => {
    expect(() => parseSubnet('10.88.0.1/16')).toThrow(new UsageError('invalid subnet "10.88.0.1/16": host bits set (did you mean 10.88.0.0/16?)'));
    expect(() => parseSubnet('192.168.1.130/25')).toThrow('did you mean 192.168.1.128/25?');
  });

  it('overlaps and contains', () => {
    const a = parseSubnet('10.88.0.0/16');
    expect(overlaps(a, parseSubnet('10.88.5.0/24'))).toBe(true);
    expect(overlaps(parseSubnet('10.88.5.0/24'), a)).toBe(true);
    expect(overlaps(a, parseSubnet('10.89.0.0/16'))).toBe(false);
    expect(overlaps(a, parseSubnet('10.0.0.0/8'))).toBe(true);
    expect(overlaps(parseSubnet('10.0.0.0/30'), parseSubnet('10.0.0.4/30'))).toBe(false);
    expect(contains(a, ipToInt('10.88.255.255')!)).toBe(true);
    expect(contains(a, ipToInt('10.88.0.0')!)).toBe(true);
    expect(contains(a, ipToInt('10.89.0.0')!)).toBe(false);
    expect(contains(parseSubnet('192.168.0.0/16'), ipToInt('192.167.255.255')!)).toBe(false);
  });
});

describe('parsePortMapping', () => {
  it.each([
    ['8080:80', { hostIp: undefined, hostPort: 8080, containerPort: 80, proto: 'tcp' }],
    ['8080:80/tcp', { hostIp: undefined, hostPort: 8080, containerPort: 80, proto: 'tcp' }],
    ['53:53/udp', { hostIp: undefined, hostPort: 53, containerPort: 53, proto: 'udp' }],
    ['53:53/UDP', { hostIp: undefined, hostPort: 53, containerPort: 53, proto: 'udp' }],
    ['127.0.0.1:8080:80', { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, proto: 'tcp' }],
    ['0.0.0.0:1:65535/udp', { hostIp: '0.0.0.0', hostPort: 1, containerPort: 65535, proto: 'udp' }],
  ])('%s', (spec, mapping) => {
    expect(parsePortMapping(spec)).toEqual(mapping);
  });

  it.each([
    ['80', 'invalid port mapping "80": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]'],
    ['1.2.3.4:80:80:80', 'invalid port mapping "1.2.3.4:80:80:80": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]'],
    ['8080:80/sctp', 'invalid port mapping "8080:80/sctp": protocol must be tcp or udp'],
    ['8080:80/', 'invalid port mapping "8080:80/": protocol must be tcp or udp'],
    ['localhost:8080:80', 'invalid port mapping "localhost:8080:80": localhost is not an IPv4 address'],
    [':8080:80', 'invalid port mapping ":8080:80": "" is not an IPv4 address'],
    // one protocol: "/tcp/udp" is not tcp with something ignored
    ['8080:80/tcp/udp', 'invalid port mapping "8080:80/tcp/udp": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]'],
    ['53:53/udp/', 'invalid port mapping "53:53/udp/": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]'],
    ['x:80', 'invalid port mapping "x:80": x is not a port (1-65535)'],
    [':80', 'invalid port mapping ":80": "" is not a port (1-65535)'],
    ['8080:', 'invalid port mapping "8080:": "" is not a port (1-65535)'],
    ['0:80', 'invalid port mapping "0:80": 0 is not a port (1-65535)'],
    ['65536:80', 'invalid port mapping "65536:80": 65536 is not a port (1-65535)'],
    ['80:-1', 'invalid port mapping "80:-1": -1 is not a port (1-65535)'],
    ['80:8.5', 'invalid port mapping "80:8.5": 8.5 is not a port (1-65535)'],
    ['8000-8010:80', 'invalid port mapping "8000-8010:80": 8000-8010 is not a port (1-65535)'],
  ])('refuses %j', (spec, message) => {
    expect(() => parsePortMapping(spec)).toThrow(new UsageError(message));
  });
});

describe('parseNetworkMode', () => {
  it.each<[string | undefined, NetworkMode]>([
    [undefined, { kind: 'bridge', network: 'bridge' }],
    ['bridge', { kind: 'bridge', network: 'bridge' }],
    ['backend', { kind: 'bridge', network: 'backend' }],
    ['my_net.1-a', { kind: 'bridge', network: 'my_net.1-a' }],
    ['none', { kind: 'none' }],
    ['host', { kind: 'host' }],
    ['container:db', { kind: 'container', ref: 'db' }],
    ['container:3f2a9c1b0d4e', { kind: 'container', ref: '3f2a9c1b0d4e' }],
    ['netns:lab', { kind: 'netns', name: 'lab' }],
  ])('%s', (v, mode) => {
    expect(parseNetworkMode(v)).toEqual(mode);
    if (v !== undefined) expect(formatNetworkMode(mode)).toBe(v);
  });

  it.each([
    ['container:', 'invalid --network container:: expected container:NAME'],
    ['netns:', '--network netns:: "" is not a valid namespace name (1-64 of A-Z a-z 0-9 _ . -)'],
    ['netns:../x', '--network netns:../x: "../x" is not a valid namespace name (1-64 of A-Z a-z 0-9 _ . -)'],
    ['netns:a/b', '--network netns:a/b: "a/b" is not a valid namespace name (1-64 of A-Z a-z 0-9 _ . -)'],
    ['', 'invalid --network ""'],
    ['-net', 'invalid --network "-net"'],
    ['my net', 'invalid --network "my net"'],
    ['a/b', 'invalid --network "a/b"'],
  ])('refuses %j', (v, message) => {
    expect(() => parseNetworkMode(v)).toThrow(new UsageError(message));
  });
});

describe('several networks', () => {
  it('repeated --network: the first is the mode (its aliases with it), the rest eth1, eth2... with their own aliases', () => {
    expect(parseNetworkFlags([])).toEqual({ mode: { kind: 'bridge', network: 'bridge' }, aliases: [], more: [] });
    expect(parseNetworkFlags(['front'])).toEqual({ mode: { kind: 'bridge', network: 'front' }, aliases: [], more: [] });
    expect(parseNetworkFlags(['name=front,alias=www', 'back', 'name=db,alias=x,alias=y'])).toEqual({
      mode: { kind: 'bridge', network: 'front' },
      aliases: ['www'],
      more: [{ network: 'back', aliases: [] }, { network: 'db', aliases: ['x', 'y'] }],
    });
    expect(parseNetworkFlags(['host'])).toEqual({ mode: { kind: 'host' }, aliases: [], more: [] });
  });

  it.each([
    [['host', 'a'], '--network host cannot be combined with other networks'],
    [['container:x', 'a'], '--network container:x cannot be combined with other networks'],
    [['a', 'none'], '--network none cannot be combined with other networks'],
    [['a', 'name=a'], '--network a is given twice'],
    [['name=a,colour=red'], 'invalid --network "name=a,colour=red": expected name=NETWORK[,alias=NAME]...'],
    [['name=,alias=x'], 'invalid --network "name=,alias=x": expected name=NETWORK[,alias=NAME]...'],
    [['a', 'name=a b'], 'invalid --network "a b"'],
  ])('refuses %j', (v, message) => {
    expect(() => parseNetworkFlags(v)).toThrow(new UsageError(message));
  });

  it('eth0 is the first network, the others keep their interface; the next free one is taken; ten at most', () => {
    const n = { mode: 'a', network: 'a', ip: '10.1.0.2', ports: [], aliases: ['x'], more: [{ network: 'c', ip: '10.3.0.2', ifname: 'eth2' }] };
    expect(attachments(n)).toEqual([{ network: 'a', ip: '10.1.0.2', ifname: 'eth0', aliases: ['x'] }, { network: 'c', ip: '10.3.0.2', ifname: 'eth2' }]);
    expect(attachments({ mode: 'none', ports: [] })).toEqual([]);
    expect(nextIfname(n)).toBe('eth1');
    const full = { ...n, more: Array.from({ length: 9 }, (_, i) => ({ network: `n${i}`, ip: `10.9.${i}.2`, ifname: `eth${i + 1}` })) };
    expect(() => nextIfname(full)).toThrow(new ConflictError('a container is on at most 10 networks (eth0..eth9)'));
  });

  it('host ends: veth + 11 digits of the id for eth0 (as before), veth + 9 + -N for ethN; never longer than a link name', () => {
    const id = 'abcdef0123456789'.repeat(4);
    expect(vethName(id)).toBe('vethabcdef01234');
    expect(vethName(id, 'eth1')).toBe('vethabcdef012-1');
    for (let i = 0; i < 10; i++) expect(vethName(id, `eth${i}`).length).toBeLessThanOrEqual(15);
  });

  it('/etc/hosts: one section per network, replaced or dropped alone; the container\'s own lines kept', () => {
    const own = '127.0.0.1\tlocalhost\n10.1.0.2\tweb\n';
    const one = withHostsSection(own, 'a', ['10.1.0.3\tdb']);
    expect(one).toBe('127.0.0.1\tlocalhost\n10.1.0.2\tweb\n# minictr network a\n10.1.0.3\tdb\n');
    const two = withHostsSection(one, 'b', ['10.2.0.3\tcache', '10.2.0.4\tq']);
    expect(two).toBe(`${one}# minictr network b\n10.2.0.3\tcache\n10.2.0.4\tq\n`);
    expect(withHostsSection(two, 'a', ['10.1.0.9\tdb2'])).toBe(`${own}# minictr network b\n10.2.0.3\tcache\n10.2.0.4\tq\n# minictr network a\n10.1.0.9\tdb2\n`);
    expect(withHostsSection(two, 'a', undefined)).toBe(`${own}# minictr network b\n10.2.0.3\tcache\n10.2.0.4\tq\n`);
    expect(withHostsSection(withHostsSection(two, 'b', undefined), 'a', undefined)).toBe(own);
    expect(withHostsSection(own, 'a', [])).toBe(`${own}# minictr network a\n`);
    // a network whose name starts like another's is its own section
    expect(withHostsSection(withHostsSection(own, 'ab', ['10.5.0.2\tx']), 'a', undefined)).toBe(`${own}# minictr network ab\n10.5.0.2\tx\n`);
  });
});

describe('-p: which host ports clash', () => {
  const m = (spec: string): PortMapping => parsePortMapping(spec);

  it('portSpec writes a mapping the way -p takes it', () => {
    expect(portSpec(m('8080:80'))).toBe('8080:80/tcp');
    expect(portSpec(m('127.0.0.1:53:53/udp'))).toBe('127.0.0.1:53:53/udp');
  });

  it.each<[string, string, boolean]>([
    ['8080:80', '8080:81', true],
    ['8080:80', '127.0.0.1:8080:80', true], // every local address includes 127.0.0.1
    ['0.0.0.0:8080:80', '10.0.0.1:8080:80', true], // 0.0.0.0 is every address too
    ['127.0.0.1:8080:80', '127.0.0.1:8080:81', true],
    ['127.0.0.1:8080:80', '127.0.0.2:8080:80', false],
    ['8080:80', '8080:80/udp', false],
    ['8080:80', '8081:80', false],
  ])('%s and %s: %s', (a, b, clash) => {
    expect(portsOverlap(m(a), m(b))).toBe(clash);
    expect(portsOverlap(m(b), m(a))).toBe(clash);
  });

  it('findPublished: the first wanted port a holder has, or one the list repeats', () => {
    const holders = [{ owner: 'container web', ports: [m('8080:80'), m('53:53/udp')] }, { owner: 'container db', ports: [m('127.0.0.1:5432:5432')] }];
    expect(findPublished([m('9000:80'), m('53:5353/udp')], holders)).toEqual({ port: m('53:5353/udp'), owner: 'container web' });
    expect(findPublished([m('5432:5432')], holders)).toEqual({ port: m('5432:5432'), owner: 'container db' });
    expect(findPublished([m('127.0.0.2:5432:5432'), m('53:53')], holders)).toBeUndefined();
    expect(findPublished([m('9000:80'), m('127.0.0.1:9000:81')], [])).toEqual({ port: m('127.0.0.1:9000:81') });
  });

  it('checkPortsFree: one line naming the owner (this state directory\'s by name, the kernel\'s by id)', () => {
    const holders = [{ owner: 'container web', ports: [m('8080:80')] }];
    const kernel = [{ ...m('9090:1'), ctr: '3f2a9c1b0d4e' }];
    expect(() => checkPortsFree([m('8080:81')], holders, kernel)).toThrow(new ConflictError('-p 8080:81/tcp: host port 8080/tcp is already published by container web'));
    expect(() => checkPortsFree([m('127.0.0.1:9090:80')], holders, kernel)).toThrow(new ConflictError('-p 127.0.0.1:9090:80/tcp: host port 9090/tcp is already published by minictr container 3f2a9c1b0d4e'));
    expect(() => checkPortsFree([m('9000:80'), m('9000:81')], [], [])).toThrow(new UsageError('-p 9000:81/tcp: host port 9000/tcp is published twice by this command'));
  });

  // as the kernel writes them: addresses are 32-bit words in host (little-endian) order
  const TCP = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0',
    // an established connection from local port 8081: not a listener
    '   2: 0100007F:1F91 0100007F:0050 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0000000000000000 20 4 30 10 -1',
  ].join('\n');
  const TCP6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0',
    '   1: 0000000000000000FFFF00000100007F:1F93 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 100 0 0 10 0',
    '   2: 00000000000000000000000001000000:1F94 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6666 1 0000000000000000 100 0 0 10 0',
  ].join('\n');
  const UDP = [
    '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
    '  100: 3500000A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 7777 2 0000000000000000 0',
    // a connected socket (a client's): not one that receives from anyone
    '  101: 0100007F:A000 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 8888 2 0000000000000000 0',
  ].join('\n');

  it('parseProcNet: listening TCP sockets and unconnected UDP ones, with their addresses', () => {
    expect(parseProcNet(TCP, 'tcp')).toEqual<HostSocket[]>([
      { proto: 'tcp', address: '127.0.0.1', port: 8080, inode: 1111 },
      { proto: 'tcp', address: '0.0.0.0', port: 22, inode: 2222 },
    ]);
    expect(parseProcNet(TCP6, 'tcp')).toEqual<HostSocket[]>([
      { proto: 'tcp', address: '0.0.0.0', port: 8082, inode: 4444 }, // [::] takes IPv4 too
      { proto: 'tcp', address: '127.0.0.1', port: 8083, inode: 5555 }, // ::ffff:127.0.0.1
      { proto: 'tcp', address: '00000000000000000000000001000000', port: 8084, inode: 6666 }, // ::1
    ]);
    expect(parseProcNet(UDP, 'udp')).toEqual<HostSocket[]>([{ proto: 'udp', address: '10.0.0.53', port: 53, inode: 7777 }]);
    expect(parseProcNet('', 'udp')).toEqual([]);
  });

  it('socketTakes: would the DNAT rule take the socket\'s traffic', () => {
    const [lo, any] = parseProcNet(TCP, 'tcp') as [HostSocket, HostSocket];
    const v6only = parseProcNet(TCP6, 'tcp')[2]!;
    expect(socketTakes(lo, m('8080:80'))).toBe(true); // every local address
    expect(socketTakes(lo, m('127.0.0.1:8080:80'))).toBe(true);
    expect(socketTakes(lo, m('10.0.0.1:8080:80'))).toBe(false); // another address
    expect(socketTakes(lo, m('8080:80/udp'))).toBe(false); // another protocol
    expect(socketTakes(any, m('10.0.0.1:22:22'))).toBe(true); // a wildcard listener has every address
    expect(socketTakes(v6only, m('8084:80'))).toBe(false); // IPv6 only: DNAT is IPv4
  });
});

describe('anti-spoofing rules of a bridge port', () => {
  const net: NetworkConfig = { name: 'backend', driver: 'linux', bridge: 'mctr-backend', subnet: '10.89.0.0/24', gateway: '10.89.0.1', created: '' };
  const port = { ctrId: '3f2a9c1b0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8', veth: 'veth3f2a9c1b0d4', mac: '02:42:0a:59:00:07', ip: '10.89.0.7' };

  it('the container MAC comes from its address: 02:42 and the four octets', () => {
    expect(containerMac('10.89.0.7')).toBe('02:42:0a:59:00:07');
    expect(containerMac('192.168.255.1')).toBe('02:42:c0:a8:ff:01');
    expect(() => containerMac('10.89.0')).toThrow('10.89.0 is not an IPv4 address');
  });

  it('the veth pair is made with that MAC on eth0, in the container\'s namespace', () => {
    const a = vethPair({ ifname: 'eth0', address: port.mac, netns: 4242 }, { ifname: port.veth });
    expect(equivalent(a)).toBe(`ip link add eth0 address ${port.mac} netns 4242 type veth peer name ${port.veth}`);
    expect(a.creates).toEqual([{ kind: 'link', name: port.veth }]);
  });

  it('a Linux bridge\'s cable is one `ip link add`: the host end plugged in and up, eth0 in the container with that MAC', () => {
    const [a, ...rest] = containerLink(4242, port.veth, net, 'system', port.mac);
    expect(rest).toEqual([]);
    expect(equivalent(a!)).toBe(`ip link add ${port.veth} master mctr-backend up type veth peer name eth0 address ${port.mac} netns 4242`);
    // the addon sends what that line says, read back from the same args
    expect(vethOp((a as IpAction).args)).toEqual({ op: 'veth', dev: port.veth, master: 'mctr-backend', up: true, peer: 'eth0', peerAddress: port.mac, peerPid: 4242 });
  });

  it('the addon takes only that form of `ip link add`: anything else stays with ip', () => {
    expect(vethOp(['link', 'add', 'a', 'type', 'veth', 'peer', 'name', 'b'])).toEqual({ op: 'veth', dev: 'a', up: false, peer: 'b' });
    expect(vethOp(['link', 'add', 'a', 'type', 'bridge'])).toBeUndefined();
    expect(vethOp(['link', 'add', 'a', 'type', 'veth', 'peer', 'name', 'b', 'netns', 'red'])).toBeUndefined();
    expect(vethOp(['link', 'add', 'a', 'type', 'veth', 'peer', 'name', 'b', 'address', 'zz:42:0a:59:00:07'])).toBeUndefined();
    expect(vethOp(['link', 'add', 'a', 'master', '../x', 'type', 'veth', 'peer', 'name', 'b'])).toBeUndefined();
    expect(vethOp(['link', 'add', 'a', 'mtu', '9000', 'type', 'veth', 'peer', 'name', 'b'])).toBeUndefined();
  });

  it('nftables (bridge family): three fixed rules that look the port up in sets; a port is its three elements', () => {
    const t = 'bridge minictr-mctr-backend';
    expect(nftGuardTable(net).filter((l) => l.startsWith('add rule '))).toEqual([
      `add rule ${t} ports iifname . ether saddr . arp saddr ether . arp saddr ip @arp_ok accept`,
      `add rule ${t} ports iifname . ether saddr . ip saddr @ip_ok accept`,
      `add rule ${t} ports iifname @guarded drop`,
    ]);
    // flushed and refilled in the same run: the rules never pile up
    expect(nftGuardTable(net).indexOf(`flush chain ${t} ports`)).toBeLessThan(nftGuardTable(net).findIndex((l) => l.startsWith('add rule ')));
    const tag = 'comment "minictr:ctr:3f2a9c1b0d4e"';
    expect(nftPortElements(net, port, 'add')).toEqual([
      `add element ${t} arp_ok { "veth3f2a9c1b0d4" . 02:42:0a:59:00:07 . 02:42:0a:59:00:07 . 10.89.0.7 ${tag} }`,
      `add element ${t} ip_ok { "veth3f2a9c1b0d4" . 02:42:0a:59:00:07 . 10.89.0.7 ${tag} }`,
      `add element ${t} guarded { "veth3f2a9c1b0d4" ${tag} }`,
    ]);
    expect(nftPortElements(net, { veth: port.veth, mac: port.mac, ip: port.ip }, 'delete')).toEqual([
      `delete element ${t} arp_ok { "veth3f2a9c1b0d4" . 02:42:0a:59:00:07 . 02:42:0a:59:00:07 . 10.89.0.7 }`,
      `delete element ${t} ip_ok { "veth3f2a9c1b0d4" . 02:42:0a:59:00:07 . 10.89.0.7 }`,
      `delete element ${t} guarded { "veth3f2a9c1b0d4" }`,
    ]);
  });

  it('the addon sends those elements with the bytes nft stores: each field of the key padded to 4 bytes, the comment as nft\'s userdata', () => {
    const actions = nftPortActions(net, port, 'add');
    // explained as the nft commands they are, read back from the same args
    expect(actions.map(equivalent)).toEqual(nftPortElements(net, port, 'add').map((l) => `nft ${l.replace(/ \{ (.*) \}$/, " '{ $1 }'")}`));
    const [arp, ipOk, guarded] = actions.map((a) => netnsOps(a)![0]);
    const veth = Buffer.alloc(16);
    veth.write('veth3f2a9c1b0d4');
    const mac = '0242 0a59 0007 0000'.replace(/ /g, '');
    expect(arp).toEqual({ op: 'nftelem', verb: 'add', family: 7, table: 'minictr-mctr-backend', set: 'arp_ok', key: `${veth.toString('hex')}${mac}${mac}0a590007`, comment: 'minictr:ctr:3f2a9c1b0d4e' });
    expect(ipOk).toMatchObject({ set: 'ip_ok', key: `${veth.toString('hex')}${mac}0a590007` });
    expect(guarded).toMatchObject({ set: 'guarded', key: veth.toString('hex') });
    expect(nftPortActions(net, { veth: port.veth, mac: port.mac, ip: port.ip }, 'delete').map((a) => netnsOps(a)![0]).map((o) => [o?.op === 'nftelem' && o.verb, o?.op === 'nftelem' && o.comment])).toEqual([['delete', ''], ['delete', ''], ['delete', '']]);
  });

  it('the addon takes only a port element\'s form of nft: anything else stays with nft', () => {
    const t = ['bridge', 'minictr-x'];
    expect(nftElementOp(['add', 'element', ...t, 'guarded', '{ "veth1" }'])).toEqual([{ op: 'nftelem', verb: 'add', family: 7, table: 'minictr-x', set: 'guarded', key: Buffer.concat([Buffer.from('veth1'), Buffer.alloc(11)]).toString('hex'), comment: '' }]);
    for (const args of [
      ['add', 'rule', ...t, 'ports', 'accept'],
      ['add', 'element', ...t, 'guarded', '{ veth1 }'],
      ['add', 'element', ...t, 'ip_ok', '{ "veth1" . 10.0.0.300 }'],
      ['add', 'element', ...t, 'ip_ok', '{ "veth1" . 10.0.0.3/24 }'],
      ['add', 'element', 'netdev', 'minictr-x', 'guarded', '{ "veth1" }'],
      ['add', 'element', ...t, 'guarded', '{ "../x" }'],
      ['delete', 'element', ...t, 'guarded', '{ "veth1" comment "c" }'],
      ['flush', 'element', ...t, 'guarded', '{ "veth1" }'],
      ['add', 'element', ...t, 'guarded', '{ "veth1" }', 'extra'],
    ]) expect(nftElementOp(args), args.join(' ')).toBeUndefined();
  });

  it('in the host\'s namespace the addon takes a container\'s cable only: a lab\'s switch-to-switch veth stays with ip', () => {
    const [cable] = containerLink(4242, port.veth, net, 'system', port.mac);
    expect(netnsOps(cable!)).toEqual([vethOp((cable as IpAction).args)]);
    expect(netnsOps({ kind: 'ip', what: '', args: ['link', 'add', 'sw1-p1', 'type', 'veth', 'peer', 'name', 'sw2-p1'] })).toBeUndefined();
  });

  it('Open vSwitch: the same as flows on the port, with the container\'s id as cookie', () => {
    expect(ovsPortFlows(port)).toEqual([
      'cookie=0x3f2a9c1b0d4e5f60,in_port=veth3f2a9c1b0d4,priority=200,dl_src=02:42:0a:59:00:07,arp,arp_spa=10.89.0.7,arp_sha=02:42:0a:59:00:07,actions=NORMAL',
      'cookie=0x3f2a9c1b0d4e5f60,in_port=veth3f2a9c1b0d4,priority=200,dl_src=02:42:0a:59:00:07,ip,nw_src=10.89.0.7,actions=NORMAL',
      'cookie=0x3f2a9c1b0d4e5f60,in_port=veth3f2a9c1b0d4,priority=100,actions=drop',
    ]);
  });

  it('ebtables: a chain of the container\'s own, policy DROP, that PREROUTING sends its port to', () => {
    expect(ebtablesPortRules(port).map((a) => a.join(' '))).toEqual([
      '-N minictr-3f2a9c1b0d4e -P DROP',
      '-A minictr-3f2a9c1b0d4e -s 02:42:0a:59:00:07 -p ARP --arp-mac-src 02:42:0a:59:00:07 --arp-ip-src 10.89.0.7 -j RETURN',
      '-A minictr-3f2a9c1b0d4e -s 02:42:0a:59:00:07 -p IPv4 --ip-src 10.89.0.7 -j RETURN',
      '-A PREROUTING -i veth3f2a9c1b0d4 -j minictr-3f2a9c1b0d4e',
    ]);
  });
});
