/** Addresses and subnets (src/network/container/cidr.ts), -p (ports.ts) and --network (mode.ts). */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { contains, formatSubnet, intToIp, ipToInt, overlaps, parseSubnet, subnetSize } from '../../src/network/container/cidr.js';
import { formatNetworkMode, parseNetworkMode, type NetworkMode } from '../../src/network/container/mode.js';
import { parsePortMapping } from '../../src/network/container/ports.js';

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
