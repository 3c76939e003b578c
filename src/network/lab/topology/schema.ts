/**
 * The topology file format and its validation. A topology is hosts (network namespaces),
 * switches (OVS or Linux bridges) and links (veth pairs), plus addresses, routes, sysctls and
 * per-link impairments. Everything is checked here, with the path of the bad field in the
 * message, so `up` never starts on an invalid file.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { isIP } from 'node:net';
import { NotFoundError, UsageError } from '../../../errors.js';
import { checkNamespacedSysctl } from '../../../spec/sysctl.js';
import { checkIfName, checkNetnsName } from '../../host/names.js';

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
}

export interface Switch {
  name: string;
  kind: SwitchKind;
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
  /** Hash of the definition: `up` of an unchanged file is a no-op. */
  hash: string;
}

type Obj = Record<string, unknown>;

class Checker {
  constructor(private readonly file: string) {}

  fail(path: string, msg: string): never {
    throw new UsageError(`${this.file}: ${path ? `${path}: ` : ''}${msg}`);
  }

  object(v: unknown, path: string, allowed: readonly string[]): Obj {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(path, 'must be a mapping');
    for (const k of Object.keys(v as Obj)) {
      if (!allowed.includes(k)) this.fail(path, `unknown key "${k}" (expected one of: ${allowed.join(', ')})`);
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

function checkCidr(c: Checker, v: string, path: string): void {
  const [ip, prefix, extra] = v.split('/');
  const family = isIP(ip ?? '');
  const max = family === 4 ? 32 : 128;
  if (!family || prefix === undefined || extra !== undefined || !/^\d+$/.test(prefix) || Number(prefix) > max) {
    c.fail(path, `"${v}" is not an address with a prefix length (like 10.0.0.1/24)`);
  }
}

function checkImpairment(c: Checker, raw: Obj, path: string): Impairment | undefined {
  const out: Impairment = {};
  const time = /^\d+(\.\d+)?(us|ms|s)$/;
  if (raw.delay !== undefined) {
    out.delay = c.string(raw.delay, `${path}.delay`);
    if (!time.test(out.delay)) c.fail(`${path}.delay`, `"${out.delay}" is not a time like 50ms`);
  }
  if (raw.jitter !== undefined) {
    out.jitter = c.string(raw.jitter, `${path}.jitter`);
    if (!time.test(out.jitter)) c.fail(`${path}.jitter`, `"${out.jitter}" is not a time like 5ms`);
    if (!out.delay) c.fail(`${path}.jitter`, 'needs a delay');
  }
  if (raw.loss !== undefined) {
    const loss = c.string(raw.loss, `${path}.loss`).replace(/%$/, '');
    if (!/^\d+(\.\d+)?$/.test(loss) || Number(loss) > 100) c.fail(`${path}.loss`, `"${String(raw.loss)}" is not a percentage like 1%`);
    out.loss = `${loss}%`;
  }
  if (raw.rate !== undefined) {
    out.rate = c.string(raw.rate, `${path}.rate`);
    if (!/^\d+(\.\d+)?([kmg]?bit|[kmg]?bps)$/i.test(out.rate)) c.fail(`${path}.rate`, `"${out.rate}" is not a rate like 10mbit`);
  }
  return Object.keys(out).length ? out : undefined;
}

/** Parse YAML text (the yaml module is loaded only here: the demo builds its object directly). */
export async function parseTopology(text: string, file: string): Promise<Topology> {
  const mod = await import('yaml');
  // Bundled, the module can arrive as a CommonJS namespace with everything under default.
  const parse = mod.parse ?? (mod as unknown as { default: typeof mod }).default.parse;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return validateTopology(doc, file);
}

export function validateTopology(doc: unknown, file: string): Topology {
  const c: Checker = new Checker(file);
  const top = c.object(doc, '', ['name', 'hosts', 'switches', 'links']);
  const name = top.name === undefined ? basename(file, extname(file)) : c.string(top.name, 'name');
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) c.fail('name', `"${name}" is not a valid lab name`);

  const switches: Switch[] = [];
  for (const [sw, raw] of Object.entries(c.map(top.switches, 'switches'))) {
    const o = c.object(raw, `switches.${sw}`, ['type']);
    checkIfName(sw, `${file}: switches.${sw}`);
    const kind: string = o.type === undefined ? 'linux' : c.string(o.type, `switches.${sw}.type`);
    if (kind !== 'ovs' && kind !== 'linux') c.fail(`switches.${sw}.type`, `"${kind}" must be ovs or linux`);
    switches.push({ name: sw, kind });
  }

  const hostRaw = c.map(top.hosts, 'hosts');
  const hostNames = Object.keys(hostRaw);
  if (hostNames.length === 0) c.fail('hosts', 'a topology needs at least one host');
  for (const h of hostNames) {
    checkNetnsName(h, `${file}: hosts.${h}`);
    if (switches.some((s) => s.name === h)) c.fail(`hosts.${h}`, `"${h}" is both a host and a switch`);
  }

  // Links first: they decide which interfaces each host has.
  const ifaces = new Map<string, string[]>(hostNames.map((h) => [h, []]));
  const ports = new Map<string, number>();
  const links: Link[] = [];
  c.list(top.links, 'links').forEach((raw, i) => {
    const path = `links[${i}]`;
    const o = c.object(raw, path, ['endpoints', 'delay', 'jitter', 'loss', 'rate']);
    const ends = c.list(o.endpoints, `${path}.endpoints`);
    if (ends.length !== 2) c.fail(`${path}.endpoints`, 'must list exactly two endpoints like [red:eth0, ovs1]');
    const [a, b] = ends.map((e, j): Endpoint => {
      const epath = `${path}.endpoints[${j}]`;
      const [node, ifname, extra] = c.string(e, epath).split(':');
      if (extra !== undefined || !node) c.fail(epath, `"${String(e)}" must be NODE or NODE:INTERFACE`);
      if (hostNames.includes(node)) {
        const list = ifaces.get(node)!;
        const name = ifname || `eth${list.length}`;
        checkIfName(name, `${file}: ${epath}`);
        if (list.includes(name)) c.fail(epath, `host ${node} already has an interface ${name}`);
        list.push(name);
        return { node, kind: 'host', ifname: name };
      }
      if (switches.some((s) => s.name === node)) {
        const n = (ports.get(node) ?? 0) + 1;
        ports.set(node, n);
        const name = ifname || `${node}-${n}`;
        checkIfName(name, `${file}: ${epath}`);
        return { node, kind: 'switch', ifname: name };
      }
      return c.fail(epath, `unknown node "${node}" (not in hosts or switches)`);
    }) as [Endpoint, Endpoint];
    if (a.node === b.node) c.fail(`${path}.endpoints`, 'a link needs two different nodes');
    links.push({ a, b, impair: checkImpairment(c, o, path) });
  });

  // Names that land in the host's namespace (bridges, switch-side veth ends) must be unique there.
  const hostNsNames = new Map<string, string>();
  for (const s of switches) hostNsNames.set(s.name, `switch ${s.name}`);
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
    const o = c.object(hostRaw[h], path, ['addresses', 'routes', 'sysctls']);
    const names = ifaces.get(h)!;
    const addrs = c.map(o.addresses, `${path}.addresses`);
    for (const ifn of Object.keys(addrs)) {
      if (!names.includes(ifn)) c.fail(`${path}.addresses.${ifn}`, `host ${h} has no interface ${ifn} (interfaces come from links)`);
    }
    const interfaces: Interface[] = names.map((ifn) => {
      // own keys only: an interface may be called constructor or toString
      const v = Object.hasOwn(addrs, ifn) ? addrs[ifn] : undefined;
      const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
      const addresses = list.map((a, j) => c.string(a, `${path}.addresses.${ifn}${Array.isArray(v) ? `[${j}]` : ''}`));
      addresses.forEach((a) => checkCidr(c, a, `${path}.addresses.${ifn}`));
      return { name: ifn, addresses };
    });
    const routes = c.list(o.routes, `${path}.routes`).map((r, j): Route => {
      const rpath = `${path}.routes[${j}]`;
      const ro = c.object(r, rpath, ['to', 'via', 'dev']);
      const to = c.string(ro.to, `${rpath}.to`);
      if (to !== 'default') checkCidr(c, to, `${rpath}.to`);
      const route: Route = { to };
      if (ro.via !== undefined) {
        route.via = c.string(ro.via, `${rpath}.via`);
        if (!isIP(route.via)) c.fail(`${rpath}.via`, `"${route.via}" is not an IP address`);
      }
      if (ro.dev !== undefined) {
        route.dev = c.string(ro.dev, `${rpath}.dev`);
        if (!names.includes(route.dev)) c.fail(`${rpath}.dev`, `host ${h} has no interface ${route.dev}`);
      }
      if (!route.via && !route.dev) c.fail(rpath, 'needs via or dev');
      return route;
    });
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
    return { name: h, interfaces, routes, sysctls };
  });

  const body = { name, hosts, switches, links };
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  return { ...body, hash };
}

export async function loadTopology(file: string): Promise<Topology> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new NotFoundError(`${file}: no such topology file`);
  }
  return parseTopology(text, file);
}

/** Where a host is reachable: its first address, without the prefix. */
export function primaryAddress(h: Host): string | undefined {
  for (const i of h.interfaces) for (const a of i.addresses) if (a.includes('.')) return a.split('/')[0];
  return h.interfaces.flatMap((i) => i.addresses)[0]?.split('/')[0];
}
