/**
 * The topology file format and its validation. A topology is hosts (network namespaces),
 * switches (OVS or Linux bridges) and links (veth pairs), plus addresses, routes, sysctls and
 * per-link impairments. Everything is checked here, with the path of the bad field in the
 * message, so `up` never starts on an invalid file: names (src/names.ts), references, values
 * and their ranges, and the limits of limits.ts (the file's size, the number of hosts, switches
 * and links, the size of any value), each before anything is looked at in detail.
 */
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { isIP } from 'node:net';
import { UsageError } from '../../../errors.js';
import { checkName } from '../../../names.js';
import { checkNamespacedSysctl } from '../../../spec/sysctl.js';
import { readBoundedFile } from '../../../util/bounded-read.js';
import { checkIfName } from '../../host/names.js';
import { containerNodeOf, CONTAINER_KEYS, type ContainerNode } from './container-node.js';
import { DEFAULT_LIMITS, MAX_LIST, MAX_VALUE_BYTES, raiseHint, type LabLimits } from './limits.js';
import { checkMachines, checkPlacement, type Machine, type Part } from './placement.js';
import { checkTunnel, checkTunnelSet, TUNNEL_KEYS, type RawTunnel, type Tunnel } from './tunnel.js';

export type SwitchKind = 'ovs' | 'linux';

export interface Route {
  to: string;
  via?: string;
  dev?: string;
}

export interface Interface {
  name: string;
  addresses: string[];
}

export interface Host {
  name: string;
  interfaces: Interface[];
  routes: Route[];
  sysctls: Record<string, string>;
  /** `image:` given: the host's namespace is a container's (container-node.ts) */
  container?: ContainerNode;
  /** The machine it lives on (placement.ts), when the lab lists machines. */
  machine?: string;
}

export interface Switch {
  name: string;
  kind: SwitchKind;
  machine?: string;
}

export interface Endpoint {
  node: string;
  kind: 'host' | 'switch';
  ifname: string;
}

export interface Impairment {
  delay?: string;
  jitter?: string;
  loss?: string;
  rate?: string;
}

export interface Link {
  a: Endpoint;
  b: Endpoint;
  impair?: Impairment;
}

export interface Topology {
  name: string;
  hosts: Host[];
  switches: Switch[];
  links: Link[];
  /** The machines a lab spans (placement.ts); [] for a lab on one machine. */
  machines: Machine[];
  /** Links of type vxlan or gre (tunnel.ts). */
  tunnels: Tunnel[];
  /** Hash of the definition: `up` of an unchanged file is a no-op. */
  hash: string;
  /** Set when this is one machine's part of a placed lab (placement.ts partOf). */
  part?: Part;
}

type Obj = Record<string, unknown>;

/** A value as a message shows it: a number as it is, a string quoted and cut at 40 characters. */
export function shownValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/** A key as a path shows it, cut like a value. */
const seg = (k: string): string => (k.length > 40 ? `${k.slice(0, 40)}…` : k);

class Checker {
  constructor(private readonly file: string) {}

  fail(path: string, msg: string): never {
    throw new UsageError(`${this.file}: ${path ? `${path}: ` : ''}${msg}`);
  }

  object(v: unknown, path: string, allowed: readonly string[]): Obj {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(path, 'must be a mapping');
    for (const k of Object.keys(v as Obj)) {
      if (!allowed.includes(k)) this.fail(path, `unknown key ${shownValue(k)} (expected one of: ${allowed.join(', ')})`);
    }
    return v as Obj;
  }

  map(v: unknown, path: string): Obj {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(path, 'must be a mapping');
    return v as Obj;
  }

  list(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, 'must be a list');
    return v;
  }

  string(v: unknown, path: string): string {
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string' || v === '') this.fail(path, 'must be a non-empty string');
    return v;
  }
}

/** The address as a number (IPv4: 32 bits, IPv6: 128), for prefix arithmetic. */
function addressBits(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split('.').reduce((n, part) => (n << 8n) | BigInt(part), 0n);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (text: string | undefined): string[] => (text ? text.split(':') : []);
  const v4 = (list: string[]): string[] => {
    // a dotted quad at the end (::ffff:10.0.0.1) is the last two groups
    const last = list[list.length - 1];
    if (!last?.includes('.')) return list;
    const n = addressBits(last);
    return [...list.slice(0, -1), (n >> 16n).toString(16), (n & 0xffffn).toString(16)];
  };
  const h = v4(groups(head));
  const t = tail === undefined ? [] : v4(groups(tail));
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return all.reduce((n, g) => (n << 16n) | BigInt(`0x${g}`), 0n);
}

/** addressBits back to text; IPv6 with its longest run of zero groups as "::". */
function formatAddress(n: bigint, family: number): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((n >> sh) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

function checkCidr(c: Checker, v: string, path: string, network = false): void {
  const [ip, prefix, extra] = v.split('/');
  // a zone (fe80::1%eth0) passes isIP but is no part of an address ip(8) adds
  const family = ip?.includes('%') ? 0 : isIP(ip ?? '');
  const max = family === 4 ? 32 : 128;
  if (!family || prefix === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
    c.fail(path, `${shownValue(v)} is not an address with a prefix length (like 10.0.0.1/24)`);
  }
  // a route's destination is a network: ip route refuses 10.9.0.1/16 ("Invalid prefix")
  if (network) {
    const hostBits = BigInt(max - Number(prefix));
    const bits = addressBits(ip!);
    if (bits & ((1n << hostBits) - 1n)) {
      const net = formatAddress((bits >> hostBits) << hostBits, family);
      c.fail(path, `${shownValue(v)} is not a network: host bits set (did you mean ${net}/${prefix}?)`);
    }
  }
}

const UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/** tc's rates: bit/s with k, m, g (powers of 1000), or bytes/s (bps). */
function rateBits(v: string): number | undefined {
  const m = /^(\d{1,15}(?:\.\d{1,15})?)([kmg]?)(bit|bps)$/i.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]! * (m[3]!.toLowerCase() === 'bps' ? 8 : 1);
}

/** tc's times: us, ms, s; in microseconds. */
function timeMicros(v: string): number | undefined {
  const m = /^(\d{1,15}(?:\.\d{1,15})?)(us|ms|s)$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * { us: 1, ms: 1e3, s: 1e6 }[m[2] as 'us' | 'ms' | 's'];
}

const MIN_RATE = 1e3;
const MAX_RATE = 100e9;
const MAX_TIME = 60e6;

function checkImpairment(c: Checker, raw: Obj, path: string): Impairment | undefined {
  const out: Impairment = {};
  const time = (key: 'delay' | 'jitter'): string => {
    const v = c.string(raw[key], `${path}.${key}`);
    const us = timeMicros(v);
    if (us === undefined || us > MAX_TIME) c.fail(`${path}.${key}`, `${shownValue(raw[key])} is not a time (0us..60s, like ${key === 'delay' ? '50ms' : '5ms'})`);
    return v;
  };
  if (raw.delay !== undefined) out.delay = time('delay');
  if (raw.jitter !== undefined) {
    out.jitter = time('jitter');
    if (!out.delay) c.fail(`${path}.jitter`, 'needs a delay');
  }
  if (raw.loss !== undefined) {
    const loss = c.string(raw.loss, `${path}.loss`).replace(/%$/, '');
    if (!/^\d{1,3}(\.\d{1,15})?$/.test(loss) || Number(loss) > 100) c.fail(`${path}.loss`, `${shownValue(String(raw.loss))} is not a percentage like 1%`);
    out.loss = `${loss}%`;
  }
  if (raw.rate !== undefined) {
    out.rate = c.string(raw.rate, `${path}.rate`);
    const bits = rateBits(out.rate);
    if (bits === undefined || bits < MIN_RATE || bits > MAX_RATE) c.fail(`${path}.rate`, `${shownValue(raw.rate)} is not a rate (1kbit..100gbit)`);
  }
  return Object.keys(out).length ? out : undefined;
}

/** No lab file needs more: `links: [{endpoints: [a, b]}]` is three. */
const MAX_NESTING = 32;

/**
 * The yaml module recurses once per level of [ ] { } (and of `- - -` on one line), and a
 * megabyte of "[" costs it seconds, or all its memory building the message: such a file is
 * refused by this one pass over the text before the parser sees it. Quoted text and comments
 * are skipped; a miscount can only refuse a file with more than 32 unclosed brackets.
 */
function checkNesting(text: string, file: string): void {
  let depth = 0;
  let line = 1;
  // "- " and "? " on this line: each opens a block sequence or a complex key inside the last
  let indicators = 0;
  let quote: '"' | "'" | undefined;
  const fail = (): never => {
    throw new UsageError(`${file}: line ${line}: nested deeper than any field of a lab file (${MAX_NESTING} levels)`);
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      indicators = 0;
      continue;
    }
    if (quote) {
      if (quote === '"' && ch === '\\') i++;
      else if (ch === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = undefined;
      }
      continue;
    }
    const prev = i === 0 ? '\n' : text[i - 1]!;
    if (ch === '#' && /\s/.test(prev)) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if ((ch === '"' || ch === "'") && /[\s[{,:]/.test(prev)) {
      quote = ch;
    } else if ((ch === '-' || ch === '?') && /\s/.test(prev) && /[ \t]/.test(text[i + 1] ?? '')) {
      if (++indicators > MAX_NESTING) fail();
    } else if (ch === '[' || ch === '{') {
      if (++depth > MAX_NESTING) fail();
    } else if ((ch === ']' || ch === '}') && depth > 0) {
      depth--;
    }
  }
}

async function parseYaml(text: string, file: string): Promise<unknown> {
  checkNesting(text, file);
  // loaded only here: the demo builds its object directly
  const mod = await import('yaml');
  // Bundled, the module can arrive as a CommonJS namespace with everything under default.
  const parseDocument = mod.parseDocument ?? (mod as unknown as { default: typeof mod }).default.parseDocument;
  const refuse = (err: unknown): never => {
    throw new UsageError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  };
  try {
    // logLevel error: what the module would print (a complex key it stringifies) stays
    // unprinted, and a second document is still an error ('silent' would drop it)
    const doc = parseDocument(text, { logLevel: 'error', prettyErrors: true });
    // a warning (an unknown !tag) would be printed by the yaml module on its own lines
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) refuse(problem);
    // aliases are expanded at most 100 times (yaml's bound on "billion laughs")
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    // also what a file nested past the parser's stack says ("Maximum call stack size exceeded")
    if (err instanceof UsageError) throw err;
    return refuse(err);
  }
}

/** Parse YAML text and validate it. */
export async function parseTopology(text: string, file: string, limits: LabLimits = DEFAULT_LIMITS): Promise<Topology> {
  return validateTopology(await parseYaml(text, file), file, limits);
}

/** No lab file nests deeper than hosts.H.routes[i].to; a deeper one is refused before it is walked. */
const MAX_DEPTH = 8;

/** Every key and string within MAX_VALUE_BYTES, and no deeper than the format goes. */
function checkSizes(c: Checker, v: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) c.fail(path, `nested deeper than any field of a lab file (${MAX_DEPTH} levels)`);
  const big = (s: string): boolean => s.length > MAX_VALUE_BYTES / 4 && Buffer.byteLength(s) > MAX_VALUE_BYTES;
  if (typeof v === 'string') {
    if (big(v)) c.fail(path, `a value of ${Buffer.byteLength(v)} bytes, more than the ${MAX_VALUE_BYTES} allowed`);
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => checkSizes(c, x, `${path}[${i}]`, depth + 1));
  } else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    for (const [k, x] of Object.entries(v as Obj)) {
      if (big(k)) c.fail(path, `a key of ${Buffer.byteLength(k)} bytes, more than the ${MAX_VALUE_BYTES} allowed`);
      checkSizes(c, x, path ? `${path}.${seg(k)}` : seg(k), depth + 1);
    }
  }
}

interface Subnet {
  family: number;
  prefix: number;
  bits: bigint;
  dev: string;
  what: string;
}

function subnetOf(cidr: string, dev: string, what: string): Subnet {
  const [ip, prefix] = cidr.split('/') as [string, string];
  const family = isIP(ip);
  return { family, prefix: Number(prefix), bits: addressBits(ip), dev, what };
}

function inSubnet(s: Subnet, family: number, bits: bigint): boolean {
  const host = BigInt((s.family === 4 ? 32 : 128) - s.prefix);
  return s.family === family && bits >> host === s.bits >> host;
}

/**
 * What `ip route add` would refuse, found before the first step: a destination twice
 * ("File exists"), a gateway of the other family, and a gateway the host cannot reach
 * ("Nexthop has invalid gateway"): it must be on a subnet of one of the host's addresses, or
 * of a route by dev alone listed before it, on the route's dev when it names one; an IPv6
 * link-local gateway needs its dev.
 */
function checkRoutes(c: Checker, h: string, path: string, interfaces: readonly Interface[], routes: readonly Route[]): void {
  const reach: Subnet[] = interfaces.flatMap((i) => i.addresses.map((a) => subnetOf(a, i.name, `${i.name} ${a}`)));
  const dests = new Map<string, number>();
  routes.forEach((r, j) => {
    const rpath = `${path}.routes[${j}]`;
    const viaFamily = r.via ? isIP(r.via) : 0;
    const dest = r.to === 'default' ? undefined : subnetOf(r.to, r.dev ?? '', r.to);
    const family = dest?.family ?? (viaFamily || 4);
    if (r.via && viaFamily !== family) c.fail(`${rpath}.via`, `${r.via} is an IPv${viaFamily} gateway for an IPv${family} destination`);
    const key = dest && dest.prefix > 0 ? `${family}:${dest.bits >> BigInt((family === 4 ? 32 : 128) - dest.prefix)}/${dest.prefix}` : `${family}:default`;
    const before = dests.get(key);
    if (before !== undefined) c.fail(`${rpath}.to`, `a route to ${r.to} is already at routes[${before}]`);
    dests.set(key, j);
    if (r.via) {
      const bits = addressBits(r.via);
      if (family === 6 && bits >> 118n === 0x3fan) {
        if (!r.dev) c.fail(rpath, `needs dev: ${r.via} is link-local (fe80::/10), reachable only through a named interface`);
      } else if (!reach.some((s) => (!r.dev || s.dev === r.dev) && inSubnet(s, family, bits))) {
        c.fail(`${rpath}.via`, `host ${h} cannot reach ${r.via}${r.dev ? ` through ${r.dev}` : ''}: it is on no subnet of its addresses or of an earlier route by dev`);
      }
    } else if (dest && r.dev) {
      reach.push(dest);
    }
  });
}

/** The lab's name: `name:`, else the file's name without its extension. */
function labNameOf(c: Checker, top: Obj, file: string): string {
  const name = top.name === undefined ? basename(file, extname(file)) : c.string(top.name, 'name');
  checkName('lab', name, `${file}: name`);
  return name;
}

/** What a count says when it is over its limit. */
function checkCount(c: Checker, n: number, max: number, key: 'hosts' | 'switches' | 'links'): void {
  if (n > max) c.fail(key, `${n} ${key}, more than the ${max} allowed (${raiseHint(key)})`);
}

export function validateTopology(doc: unknown, file: string, limits: LabLimits = DEFAULT_LIMITS): Topology {
  const c: Checker = new Checker(file);
  const top = c.object(doc, '', ['name', 'machines', 'hosts', 'switches', 'links']);
  // sizes first: nothing below walks a list or a key it has not counted
  const switchRaw = c.map(top.switches, 'switches');
  const hostRaw = c.map(top.hosts, 'hosts');
  const linkRaw = c.list(top.links, 'links');
  checkCount(c, Object.keys(hostRaw).length, limits.hosts, 'hosts');
  checkCount(c, Object.keys(switchRaw).length, limits.switches, 'switches');
  checkCount(c, linkRaw.length, limits.links, 'links');
  checkSizes(c, top, '', 0);
  const name = labNameOf(c, top, file);

  const switches: Switch[] = [];
  const switchNames = new Set<string>();
  for (const [sw, raw] of Object.entries(switchRaw)) {
    const o = c.object(raw, `switches.${seg(sw)}`, ['type', 'machine']);
    checkIfName(sw, `${file}: switches.${seg(sw)}`);
    if (sw === 'lo') c.fail(`switches.${sw}`, 'lo is the loopback every namespace already has');
    const kind: string = o.type === undefined ? 'linux' : c.string(o.type, `switches.${sw}.type`);
    if (kind !== 'ovs' && kind !== 'linux') c.fail(`switches.${sw}.type`, `${shownValue(kind)} must be ovs or linux`);
    switches.push({ name: sw, kind, ...(o.machine !== undefined ? { machine: c.string(o.machine, `switches.${sw}.machine`) } : {}) });
    switchNames.add(sw);
  }

  const hostNames = Object.keys(hostRaw);
  const hostSet = new Set(hostNames);
  if (hostNames.length === 0) c.fail('hosts', 'a topology needs at least one host');
  for (const h of hostNames) {
    checkName('lab host', h, `${file}: hosts.${seg(h)}`);
    if (switchNames.has(h)) c.fail(`hosts.${h}`, `"${h}" is both a host and a switch`);
  }

  // Links first: they decide which interfaces each host has.
  const ifaces = new Map<string, string[]>(hostNames.map((h) => [h, []]));
  const ports = new Map<string, number>();
  const links: Link[] = [];
  const tunnelRaw: RawTunnel[] = [];
  // where each cable is in links[] (tunnels are among them), for messages after this loop
  const cableAt: number[] = [];
  linkRaw.forEach((raw, i) => {
    const path = `links[${i}]`;
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && (raw as Obj).type !== undefined) {
      tunnelRaw.push({ raw: c.object(raw, path, TUNNEL_KEYS), index: i });
      return;
    }
    const o = c.object(raw, path, ['endpoints', 'delay', 'jitter', 'loss', 'rate']);
    const ends = c.list(o.endpoints, `${path}.endpoints`);
    if (ends.length !== 2) c.fail(`${path}.endpoints`, 'must list exactly two endpoints like [red:eth0, ovs1]');
    const [a, b] = ends.map((e, j): Endpoint => {
      const epath = `${path}.endpoints[${j}]`;
      const [node, ifname, extra] = c.string(e, epath).split(':');
      if (extra !== undefined || !node) c.fail(epath, `${shownValue(e)} must be NODE or NODE:INTERFACE`);
      if (hostSet.has(node)) {
        const list = ifaces.get(node)!;
        const name = ifname || `eth${list.length}`;
        checkIfName(name, `${file}: ${epath}`);
        if (name === 'lo') c.fail(epath, 'lo is the loopback every namespace already has');
        if (list.includes(name)) c.fail(epath, `host ${node} already has an interface ${name}`);
        list.push(name);
        return { node, kind: 'host', ifname: name };
      }
      if (switchNames.has(node)) {
        const n = (ports.get(node) ?? 0) + 1;
        ports.set(node, n);
        const name = ifname || `${node}-${n}`;
        checkIfName(name, `${file}: ${epath}`);
        if (name === 'lo') c.fail(epath, 'lo is the loopback every namespace already has');
        return { node, kind: 'switch', ifname: name };
      }
      return c.fail(epath, `unknown node ${shownValue(node)} (not in hosts or switches)`);
    }) as [Endpoint, Endpoint];
    if (a.node === b.node) c.fail(`${path}.endpoints`, 'a link needs two different nodes');
    links.push({ a, b, impair: checkImpairment(c, o, path) });
    cableAt.push(i);
  });

  const fail = (p: string, msg: string): never => c.fail(p, msg);
  const nextPort = (sw: string): string => {
    const n = (ports.get(sw) ?? 0) + 1;
    ports.set(sw, n);
    return `${sw}-${n}`;
  };
  const tunnels = tunnelRaw.map((t) => checkTunnel(fail, t, switchNames, hostSet, nextPort));

  // Names that land in the host's namespace (bridges, switch-side veth ends, tunnel devices) must be unique there.
  const hostNsNames = new Map<string, string>();
  for (const s of switches) hostNsNames.set(s.name, `switch ${s.name}`);
  for (const t of tunnels) {
    for (const e of t.ends) {
      const prev = hostNsNames.get(e.ifname);
      if (prev) c.fail(`links[${t.index}]`, `port name ${e.ifname} is already used by ${prev}`);
      hostNsNames.set(e.ifname, `links[${t.index}]`);
    }
  }
  for (const [i, l] of links.entries()) {
    for (const e of [l.a, l.b]) {
      if (e.kind !== 'switch') continue;
      const prev = hostNsNames.get(e.ifname);
      if (prev) c.fail(`links[${i}]`, `port name ${e.ifname} is already used by ${prev}`);
      hostNsNames.set(e.ifname, `links[${i}]`);
    }
  }

  const hosts: Host[] = hostNames.map((h) => {
    const path = `hosts.${h}`;
    const o = c.object(hostRaw[h], path, ['addresses', 'routes', 'sysctls', 'machine', ...CONTAINER_KEYS]);
    const names = ifaces.get(h)!;
    const addrs = c.map(o.addresses, `${path}.addresses`);
    for (const ifn of Object.keys(addrs)) {
      if (!names.includes(ifn)) c.fail(`${path}.addresses.${seg(ifn)}`, `host ${h} has no interface ${seg(ifn)} (interfaces come from links)`);
    }
    const interfaces: Interface[] = names.map((ifn) => {
      // own keys only: an interface may be called constructor or toString
      const v = Object.hasOwn(addrs, ifn) ? addrs[ifn] : undefined;
      const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
      if (list.length > MAX_LIST) c.fail(`${path}.addresses.${ifn}`, `${list.length} addresses, more than the ${MAX_LIST} allowed`);
      const addresses = list.map((a, j) => c.string(a, `${path}.addresses.${ifn}${Array.isArray(v) ? `[${j}]` : ''}`));
      addresses.forEach((a) => checkCidr(c, a, `${path}.addresses.${ifn}`));
      // the kernel refuses an address an interface already has ("Address already assigned")
      const seen = new Map<string, number>();
      addresses.forEach((a, j) => {
        const ip = a.split('/')[0]!;
        const key = `${isIP(ip)}:${addressBits(ip)}`;
        // ...and an IPv6 address that names no interface: multicast (ff00::/8) or ::
        if (isIP(ip) === 6 && (addressBits(ip) >> 120n === 0xffn || addressBits(ip) === 0n)) {
          c.fail(`${path}.addresses.${ifn}${Array.isArray(v) ? `[${j}]` : ''}`, `${ip} is ${addressBits(ip) === 0n ? 'the unspecified address' : 'a multicast address'}: not an address of an interface`);
        }
        const k = seen.get(key);
        if (k !== undefined) c.fail(`${path}.addresses.${ifn}[${j}]`, `${ip} is already an address of ${h}:${ifn} (at [${k}])`);
        seen.set(key, j);
      });
      return { name: ifn, addresses };
    });
    const routeRaw = c.list(o.routes, `${path}.routes`);
    if (routeRaw.length > MAX_LIST) c.fail(`${path}.routes`, `${routeRaw.length} routes, more than the ${MAX_LIST} allowed`);
    const routes = routeRaw.map((r, j): Route => {
      const rpath = `${path}.routes[${j}]`;
      const ro = c.object(r, rpath, ['to', 'via', 'dev']);
      const to = c.string(ro.to, `${rpath}.to`);
      if (to !== 'default') checkCidr(c, to, `${rpath}.to`, true);
      const route: Route = { to };
      if (ro.via !== undefined) {
        route.via = c.string(ro.via, `${rpath}.via`);
        if (!isIP(route.via) || route.via.includes('%')) c.fail(`${rpath}.via`, `${shownValue(route.via)} is not an IP address`);
      }
      if (ro.dev !== undefined) {
        route.dev = c.string(ro.dev, `${rpath}.dev`);
        if (!names.includes(route.dev)) c.fail(`${rpath}.dev`, `host ${h} has no interface ${seg(route.dev)}`);
      }
      if (!route.via && !route.dev) c.fail(rpath, 'needs via or dev');
      return route;
    });
    checkRoutes(c, h, path, interfaces, routes);
    const sysctls: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.map(o.sysctls, `${path}.sysctls`))) {
      // the containers' checker (one for both): the key normalised first ("/" is a separator
      // too, so "net.//.kernel.core_pattern" cannot pass as net.*), then only what belongs to
      // a network namespace; a lab host has nothing else of its own
      const key = checkNamespacedSysctl(k, { net: true, ipc: false, uts: false }, `${file}: ${path}.sysctls`, 'a lab host');
      // sysctl(8), which sets it, reads a "/" among dots as a dot inside a name (eth0/100 is
      // eth0.100): refused, so what runs is what was checked
      if (k.includes('/') && k.includes('.')) c.fail(`${path}.sysctls.${k}`, 'mixes "." and "/": write it with one separator');
      if (Object.hasOwn(sysctls, key)) c.fail(`${path}.sysctls.${k}`, `is ${key} again`);
      sysctls[key] = c.string(v, `${path}.sysctls.${k}`);
    }
    const container = containerNodeOf(c, o, { lab: name, host: h, path, file });
    return { name: h, interfaces, routes, sysctls, ...(container ? { container } : {}), ...(o.machine !== undefined ? { machine: c.string(o.machine, `${path}.machine`) } : {}) };
  });

  const machines = checkMachines(fail, top.machines);
  checkPlacement(fail, machines, hosts, switches, links.map((l, k) => ({ ...l, index: cableAt[k]! })), tunnels);
  checkTunnelSet(fail, tunnels, (n) => hosts.find((h) => h.name === n)?.machine ?? switches.find((s) => s.name === n)?.machine);
  // a file of one machine and no tunnels hashes as it did before machines and tunnels existed
  const body = { name, hosts, switches, links, ...(machines.length ? { machines } : {}), ...(tunnels.length ? { tunnels } : {}) };
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  return { ...body, machines, tunnels, hash };
}

/**
 * A lab file's text: a regular file (a FIFO or /dev/zero is refused at once, not waited on)
 * of at most limits.bytes.
 */
export function readLabFile(file: string, limits: LabLimits = DEFAULT_LIMITS): string {
  try {
    return readBoundedFile(file, limits.bytes, 'lab file');
  } catch (err) {
    if (err instanceof UsageError && /more than the \d+ allowed$/.test(err.message)) throw new UsageError(`${err.message} (${raiseHint('bytes')})`);
    throw err;
  }
}

export async function loadTopology(file: string, limits: LabLimits = DEFAULT_LIMITS): Promise<Topology> {
  return parseTopology(readLabFile(file, limits), file, limits);
}

/** Only the lab's name (for down and status, which act on the journal, not on the file). */
export async function loadLabName(file: string, limits: LabLimits = DEFAULT_LIMITS): Promise<string> {
  const doc = await parseYaml(readLabFile(file, limits), file);
  const c = new Checker(file);
  return labNameOf(c, c.map(doc, ''), file);
}

/** Where a host is reachable: its first address, without the prefix. */
export function primaryAddress<H extends Pick<Host, 'interfaces'>>(h: H): string | undefined {
  for (const i of h.interfaces) for (const a of i.addresses) if (a.includes('.')) return a.split('/')[0];
  return h.interfaces.flatMap((i) => i.addresses)[0]?.split('/')[0];
}
