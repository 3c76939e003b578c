/**
 * Tunnels between machines in a topology file: a link of `type: vxlan` or `type: gre` joins a
 * switch to a switch on another machine (or, with `remote:`, to one outside the file). The keys
 * are containerlab's vxlan-stitch ones (remote, vni, dst-port, mtu) plus dev, the local
 * underlay device. Validated here (pure); planned as the kernel device plugged into a Linux
 * bridge, or an OVS port of type vxlan/gre on the kernel datapath.
 */
import { isIP } from 'node:net';
import { checkName, type NameKind } from '../../../names.js';

export type TunnelType = 'vxlan' | 'gre';

/** One switch end of a tunnel: the tunnel device (or OVS port) on it is called ifname. */
export interface TunnelEnd {
  node: string;
  ifname: string;
}

export interface Tunnel {
  type: TunnelType;
  /** Where it is in links[], for messages. */
  index: number;
  /** One end (to a remote outside the file) or two (switches on two machines). */
  ends: TunnelEnd[];
  /** The other side's underlay address, when the file does not place it (one end). */
  remote?: string;
  /** VXLAN network identifier; for gre, the GRE key (optional). */
  vni?: number;
  /** VXLAN's UDP port (4789, IANA's). */
  dstPort?: number;
  /** The MTU inside the tunnel: its device's, and every lab cable on its switches. */
  mtu: number;
  /** The local underlay device (else: the machine's dev, else the route's). */
  dev?: string;
}

/** A tunnel as one machine builds it: its own end, and the addresses of both sides. */
export interface LocalTunnel {
  type: TunnelType;
  index: number;
  switch: string;
  ifname: string;
  remote: string;
  /** The field the remote comes from, for messages: links[i].remote or machines.NAME.address. */
  remoteField: string;
  local?: string;
  /** The field of local, machines.NAME.address. */
  localField?: string;
  /** The field of dev: links[i].dev or machines.NAME.dev. */
  devField?: string;
  vni?: number;
  dstPort?: number;
  mtu: number;
  dev?: string;
}

export type Fail = (path: string, msg: string) => never;

/** checkName, its message under the field's path (and the file's name, which fail adds). */
export function checkNamed(fail: Fail, kind: NameKind, name: string, path: string): string {
  try {
    return checkName(kind, name);
  } catch (err) {
    return fail(path, (err as Error).message);
  }
}

export const TUNNEL_TYPES: readonly TunnelType[] = ['vxlan', 'gre'];
export const TUNNEL_KEYS = ['type', 'endpoints', 'remote', 'vni', 'dst-port', 'mtu', 'dev'] as const;
export const VXLAN_PORT = 4789;
/** IPv6's minimum link MTU: below it a lab with IPv6 addresses would not work at all. */
export const MIN_TUNNEL_MTU = 1280;
export const MAX_TUNNEL_MTU = 65000;

/**
 * Bytes each packet gains inside the underlay: the outer IP header (20, IPv6 40), then VXLAN's
 * UDP (8) + VXLAN (8) header, or GRE's 4 (+4 with a key), then the inner Ethernet header (14).
 */
export function overhead(t: { type: TunnelType; vni?: number }, family: 4 | 6 = 4): number {
  const ip = family === 6 ? 40 : 20;
  return ip + 14 + (t.type === 'vxlan' ? 16 : t.vni === undefined ? 4 : 8);
}

/** A whole number within [min, max], or the failure naming the field. */
function integer(fail: Fail, v: unknown, path: string, min: number, max: number, what: string): number {
  const n = typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) fail(path, `${JSON.stringify(v)} is not ${what} (${min}..${max})`);
  return n;
}

function unicast(fail: Fail, v: unknown, path: string): string {
  const ip = typeof v === 'string' ? v : '';
  if (!ip || ip.includes('%') || !isIP(ip)) fail(path, `${JSON.stringify(v)} is not an IP address`);
  const first = isIP(ip) === 4 ? Number(ip.split('.')[0]) : -1;
  if (ip === '0.0.0.0' || ip === '::' || (first >= 224 && first <= 255) || /^ff/i.test(ip) || first === 127 || ip === '::1') {
    fail(path, `${ip} cannot be a tunnel's underlay address (unspecified, loopback or multicast)`);
  }
  return ip;
}

export interface RawTunnel {
  raw: Record<string, unknown>;
  index: number;
}

/**
 * A tunnel link checked on its own: type, endpoints (switches only), remote, vni, dst-port,
 * mtu, dev. nextPort names an unnamed switch end as the veth ends are named (SWITCH-N).
 */
export function checkTunnel(fail: Fail, t: RawTunnel, switches: ReadonlySet<string>, hosts: ReadonlySet<string>, nextPort: (sw: string) => string): Tunnel {
  const path = `links[${t.index}]`;
  const o = t.raw;
  const type = o.type as TunnelType;
  if (!TUNNEL_TYPES.includes(type)) fail(`${path}.type`, `${JSON.stringify(o.type)} must be vxlan or gre (or no type: a veth cable)`);
  const list = Array.isArray(o.endpoints) ? (o.endpoints as unknown[]) : fail(`${path}.endpoints`, 'must be a list of one or two switches like [s1, s2]');
  if (list.length !== 1 && list.length !== 2) fail(`${path}.endpoints`, `a ${type} tunnel joins two switches (on two machines), or one switch and a remote`);
  const ends = list.map((e, j): TunnelEnd => {
    const epath = `${path}.endpoints[${j}]`;
    const [node, ifname, extra] = String(e).split(':');
    if (!node || extra !== undefined) fail(epath, `${JSON.stringify(e)} must be SWITCH or SWITCH:INTERFACE`);
    if (hosts.has(node)) fail(epath, `${node} is a host: a tunnel ends on a switch (link the host to a switch on its machine)`);
    if (!switches.has(node)) fail(epath, `unknown switch ${JSON.stringify(node)} (not in switches)`);
    const name = ifname || nextPort(node);
    checkNamed(fail, 'interface', name, epath);
    return { node, ifname: name };
  });
  if (ends.length === 2 && ends[0]!.node === ends[1]!.node) fail(`${path}.endpoints`, 'a tunnel needs two different switches');
  const out: Tunnel = { type, index: t.index, ends, mtu: 0 };
  if (o.remote !== undefined) {
    if (ends.length === 2) fail(`${path}.remote`, "a tunnel between two switches of this file goes to the other switch's machine: its address is machines.NAME.address, not remote");
    out.remote = unicast(fail, o.remote, `${path}.remote`);
  } else if (ends.length === 1) {
    fail(`${path}.remote`, `missing: a ${type} tunnel from one switch needs the underlay address of the machine at its other end`);
  }
  if (type === 'vxlan') {
    if (o.vni === undefined) fail(`${path}.vni`, 'missing: a vxlan tunnel needs its VXLAN network identifier (1..16777215)');
    out.vni = integer(fail, o.vni, `${path}.vni`, 1, 16777215, 'a VNI');
    out.dstPort = o['dst-port'] === undefined ? VXLAN_PORT : integer(fail, o['dst-port'], `${path}.dst-port`, 1, 65535, 'a UDP port');
  } else {
    if (o['dst-port'] !== undefined) fail(`${path}.dst-port`, 'gre has no UDP port (dst-port is for vxlan)');
    if (o.vni !== undefined) out.vni = integer(fail, o.vni, `${path}.vni`, 1, 4294967295, 'a GRE key');
  }
  const byDefault = 1500 - overhead(out);
  out.mtu = o.mtu === undefined ? byDefault : integer(fail, o.mtu, `${path}.mtu`, MIN_TUNNEL_MTU, MAX_TUNNEL_MTU, `an MTU inside the tunnel (too small for IPv6 below ${MIN_TUNNEL_MTU})`);
  if (o.dev !== undefined) {
    if (ends.length === 2) fail(`${path}.dev`, 'a tunnel between two machines uses each machine\'s own dev (machines.NAME.dev)');
    out.dev = String(o.dev);
    checkNamed(fail, 'interface', out.dev, `${path}.dev`);
  }
  return out;
}

/**
 * What the kernel would refuse or mix up across tunnels: two VXLAN devices with one VNI and
 * port ("A VXLAN device with the specified VNI already exists"), and two GRE tunnels between
 * the same two machines with the same key (or none): packets of one would arrive on the other.
 */
export function checkTunnelSet(fail: Fail, tunnels: readonly Tunnel[], machineOf: (node: string) => string | undefined): void {
  const seen = new Map<string, number>();
  for (const t of tunnels) {
    const where = t.ends.map((e) => machineOf(e.node) ?? '').concat(t.remote ?? []).sort().join('|');
    const key = t.type === 'vxlan' ? `vxlan:${t.vni}:${t.dstPort}` : `gre:${where}:${t.vni ?? '-'}`;
    const before = seen.get(key);
    if (before !== undefined) {
      if (t.type === 'vxlan') fail(`links[${t.index}].vni`, `VNI ${t.vni} (port ${t.dstPort}) is already the VNI of links[${before}]: each tunnel needs its own`);
      fail(`links[${t.index}].vni`, `links[${before}] is a gre tunnel between the same machines with ${t.vni === undefined ? 'no key' : `key ${t.vni}`}: give each its own key (vni)`);
    }
    seen.set(key, t.index);
  }
}

/**
 * The MTU inside each switch's layer-2 domain: the smallest of the tunnels on it or on a switch
 * cabled to it (hosts route, they do not bridge). Every cable into such a switch gets it, so a
 * full-size frame from a host is never dropped (or fragmented) at the tunnel without a word.
 */
export function domainMtus(tunnels: readonly { switch: string; mtu: number }[], switchLinks: readonly [string, string][]): Map<string, number> {
  const adj = new Map<string, string[]>();
  for (const [a, b] of switchLinks) {
    adj.set(a, [...(adj.get(a) ?? []), b]);
    adj.set(b, [...(adj.get(b) ?? []), a]);
  }
  const out = new Map<string, number>();
  const seen = new Set<string>();
  for (const start of new Set(tunnels.map((t) => t.switch))) {
    if (seen.has(start)) continue;
    const domain: string[] = [];
    const queue = [start];
    seen.add(start);
    while (queue.length) {
      const sw = queue.pop()!;
      domain.push(sw);
      for (const n of adj.get(sw) ?? []) {
        if (seen.has(n)) continue;
        seen.add(n);
        queue.push(n);
      }
    }
    const mtu = Math.min(...tunnels.filter((t) => domain.includes(t.switch)).map((t) => t.mtu));
    for (const sw of domain) out.set(sw, mtu);
  }
  return out;
}

/** `ip link add NAME mtu M type vxlan|gretap ...`: the kernel tunnel device, as typed. */
export function kernelTunnelArgs(t: LocalTunnel): string[] {
  const dev = t.dev ? ['dev', t.dev] : [];
  const local = t.local ? ['local', t.local] : [];
  if (t.type === 'vxlan') return ['link', 'add', t.ifname, 'mtu', String(t.mtu), 'type', 'vxlan', 'id', String(t.vni), ...local, 'remote', t.remote, 'dstport', String(t.dstPort), ...dev];
  const ip6 = isIP(t.remote) === 6;
  return ['link', 'add', t.ifname, 'mtu', String(t.mtu), 'type', ip6 ? 'ip6gretap' : 'gretap', ...local, 'remote', t.remote, ...(t.vni !== undefined ? ['key', String(t.vni)] : []), ...dev];
}

/** `ovs-vsctl add-port BR NAME -- set interface NAME type=vxlan|gre options:...`: OVS's own tunnel port. */
export function ovsTunnelArgs(bridge: string, t: LocalTunnel): string[] {
  const opts = [`options:remote_ip=${t.remote}`, ...(t.local ? [`options:local_ip=${t.local}`] : [])];
  if (t.vni !== undefined) opts.push(`options:key=${t.vni}`);
  if (t.type === 'vxlan') opts.push(`options:dst_port=${t.dstPort}`);
  // no mtu_request: a tunnel vport's MTU is not OVS's to set; the lab's cables carry the inner MTU
  return ['add-port', bridge, t.ifname, '--', 'set', 'interface', t.ifname, `type=${t.type}`, ...opts];
}

export function tunnelWhat(t: LocalTunnel): string {
  const id = t.type === 'vxlan' ? `VNI ${t.vni}, UDP ${t.dstPort}` : t.vni !== undefined ? `key ${t.vni}` : 'no key';
  return `${t.type} tunnel ${t.ifname} on ${t.switch} to ${t.remote} (${id}, MTU ${t.mtu} inside)`;
}
