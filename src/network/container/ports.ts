/**
 * -p [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp], checked before anything is created: its syntax, and
 * that the host port is free (no other container publishes it, nothing on the host is bound
 * to it).
 */
import { readFileSync } from 'node:fs';
import { hostPids, processComm, processFdLinks } from '../../util/proc.js';
import { ConflictError, UsageError } from '../../errors.js';
import { ipToInt } from './cidr.js';
import type { PortMapping } from './firewall.js';

function port(v: string, spec: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UsageError(`invalid port mapping "${spec}": ${v || '""'} is not a port (1-65535)`);
  return n;
}

export function parsePortMapping(spec: string): PortMapping {
  const [addr, protoRaw, ...extra] = spec.split('/') as [string, string | undefined, ...string[]];
  if (extra.length) throw new UsageError(`invalid port mapping "${spec}": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]`);
  const proto = (protoRaw ?? 'tcp').toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') throw new UsageError(`invalid port mapping "${spec}": protocol must be tcp or udp`);
  const parts = addr.split(':');
  if (parts.length < 2 || parts.length > 3) throw new UsageError(`invalid port mapping "${spec}": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]`);
  const hostIp = parts.length === 3 ? parts[0] : undefined;
  if (hostIp !== undefined && ipToInt(hostIp) === undefined) throw new UsageError(`invalid port mapping "${spec}": ${hostIp || '""'} is not an IPv4 address`);
  return { hostIp, hostPort: port(parts.at(-2)!, spec), containerPort: port(parts.at(-1)!, spec), proto };
}

/** How the user wrote it: [HOSTIP:]HOSTPORT:CTRPORT/PROTO. */
export function portSpec(p: PortMapping): string {
  return `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}:${p.containerPort}/${p.proto}`;
}

/** No host address (or 0.0.0.0): the DNAT rule takes the port on every local address. */
const everyAddress = (p: { hostIp?: string }): boolean => p.hostIp === undefined || p.hostIp === '0.0.0.0';

/** Do two mappings take the same host port: one protocol, one port, and an address in common. */
export function portsOverlap(a: PortMapping, b: PortMapping): boolean {
  return a.proto === b.proto && a.hostPort === b.hostPort && (everyAddress(a) || everyAddress(b) || a.hostIp === b.hostIp);
}

/** A container's published ports, for the clash check: owner is how the error names it. */
export interface PortHolder {
  owner: string;
  ports: PortMapping[];
}

/** The first wanted port one of the holders already publishes (or that the list repeats). */
export function findPublished(wanted: readonly PortMapping[], holders: readonly PortHolder[]): { port: PortMapping; owner?: string } | undefined {
  for (const [i, p] of wanted.entries()) {
    if (wanted.slice(0, i).some((q) => portsOverlap(p, q))) return { port: p };
    const h = holders.find((x) => x.ports.some((q) => portsOverlap(p, q)));
    if (h) return { port: p, owner: h.owner };
  }
  return undefined;
}

/** A socket bound in the host's network namespace, from /proc/net/{tcp,tcp6,udp,udp6}. */
export interface HostSocket {
  proto: 'tcp' | 'udp';
  /** dotted IPv4 (an IPv4-mapped IPv6 address too), 0.0.0.0 for a wildcard, else the IPv6 hex */
  address: string;
  port: number;
  inode: number;
}

const TCP_LISTEN = '0A';
/** an unconnected UDP socket (TCP_CLOSE): one that receives from anyone */
const UDP_UNCONNECTED = '07';

/** One /proc/net table: TCP sockets that listen, UDP sockets that are bound and unconnected. */
export function parseProcNet(text: string, proto: 'tcp' | 'udp'): HostSocket[] {
  const out: HostSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [addrHex, portHex] = f[1]!.split(':') as [string, string | undefined];
    if (portHex === undefined || f[3] !== (proto === 'tcp' ? TCP_LISTEN : UDP_UNCONNECTED)) continue;
    out.push({ proto, address: procAddress(addrHex), port: parseInt(portHex, 16), inode: Number(f[9]) });
  }
  return out;
}

/** /proc/net's address: 32-bit words in host byte order (little-endian here). */
function procAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const v4 = (w: string): string => [...Buffer.from(w, 'hex')].reverse().join('.');
  if (words.length === 1) return v4(words[0]!);
  if (/^0{32}$/.test(hex)) return '0.0.0.0';
  if (/^0{16}FFFF0000$/i.test(words.slice(0, 3).join(''))) return v4(words[3]!);
  return hex.toLowerCase();
}

/** Would the DNAT rule of p take traffic meant for socket s? (IPv6-only addresses: no.) */
export function socketTakes(s: HostSocket, p: PortMapping): boolean {
  if (s.proto !== p.proto || s.port !== p.hostPort || !s.address.includes('.')) return false;
  return everyAddress(p) || s.address === '0.0.0.0' || s.address === p.hostIp;
}

function hostSockets(proto: 'tcp' | 'udp'): HostSocket[] {
  return [proto, `${proto}6`].flatMap((t) => {
    try {
      return parseProcNet(readFileSync(`/proc/net/${t}`, 'utf8'), proto);
    } catch {
      return []; // no IPv6
    }
  });
}

/** "node (pid 1234)": the process that holds the socket, found by its inode in /proc/PID/fd. */
function socketOwner(inode: number): string | undefined {
  const link = `socket:[${inode}]`;
  const owner = hostPids().find((pid) => processFdLinks(pid).includes(link));
  return owner === undefined ? undefined : `${processComm(owner) ?? '?'} (pid ${owner})`;
}

/**
 * -p takes a host port only if nothing has it: no other mapping of the same command, no
 * minictr container (holders: this state directory's, by name; published: the kernel's
 * rules, which also show other state directories'), and no socket bound on the host for
 * that protocol and address (the DNAT rule would silently take its traffic).
 */
export function checkPortsFree(wanted: readonly PortMapping[], holders: readonly PortHolder[], published: readonly (PortMapping & { ctr: string })[]): void {
  const taken = findPublished(wanted, [...holders, ...published.map((r) => ({ owner: `minictr container ${r.ctr}`, ports: [r] }))]);
  if (taken) {
    const { port: p, owner } = taken;
    if (!owner) throw new UsageError(`-p ${portSpec(p)}: host port ${p.hostPort}/${p.proto} is published twice by this command`);
    throw new ConflictError(`-p ${portSpec(p)}: host port ${p.hostPort}/${p.proto} is already published by ${owner}`);
  }
  for (const p of wanted) {
    const s = hostSockets(p.proto).find((x) => socketTakes(x, p));
    if (!s) continue;
    const by = socketOwner(s.inode);
    throw new ConflictError(`-p ${portSpec(p)}: host port ${p.hostPort}/${p.proto} is already in use on the host: ${s.address}:${s.port} is bound${by ? ` by ${by}` : ''}`);
  }
}
