/**
 * `net save LAB DIR`: the lab as it is now, as a lab file `net up DIR` builds again. The file
 * the lab came up from, with each host's addresses, routes and sysctls replaced by what the
 * kernel has now: a lab changed by hand (an address added, a route, forwarding turned on)
 * is rebuilt as it was left. What is read from the kernel:
 *   addresses   ip -n HOST -j addr show: the global ones of the lab's interfaces
 *   routes      ip -n HOST -j [-6] route show: all but the kernel's own (a subnet's, fe80::/64)
 *   sysctls     the file's keys, and IPv4 and IPv6 forwarding: sysctl in the namespace
 * The result is checked as any lab file (validateTopology) before it is written.
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NotFoundError, UsageError } from '../../../errors.js';
import { runTool } from '../../../util/tool.js';
import { readJournal } from './journal.js';
import { labLimits } from './limits.js';
import { loadTopology, readLabFile, validateTopology, type Host, type Route, type Topology } from './schema.js';

/** The lab file inside a saved directory. */
export const SAVED_FILE = 'lab.yaml';

/** A directory made by `net save` names its lab file; any other target is itself. */
export function labFileOf(target: string): string {
  return statSync(target, { throwIfNoEntry: false })?.isDirectory() ? join(target, SAVED_FILE) : target;
}

/** Always read back: what a routing lab changes by hand. */
const FORWARDING = ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding'];

interface AddrJson {
  ifname: string;
  addr_info?: { local: string; prefixlen: number; scope?: string; family?: string }[];
}

interface RouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  type?: string;
}

export interface HostNow {
  addresses: Record<string, string[]>;
  routes: Route[];
  sysctls: Record<string, string>;
  /** what the kernel has that a lab file cannot say (an interface no link makes), left out */
  skipped: string[];
}

async function json<T>(args: string[]): Promise<T> {
  const r = await runTool('ip', args);
  return JSON.parse(r.stdout || '[]') as T;
}

/** The routes as a lab file writes them: by dev first (a gateway may need one), then by gateway. */
export function routesOf(list: readonly RouteJson[], family: 4 | 6, ifnames: ReadonlySet<string>, skipped: string[]): Route[] {
  const out: Route[] = [];
  for (const r of list) {
    if (r.protocol === 'kernel' || (r.type && r.type !== 'unicast')) continue;
    if (r.dev && !ifnames.has(r.dev)) {
      skipped.push(`route to ${r.dst} (dev ${r.dev} is no interface of the lab)`);
      continue;
    }
    const to = r.dst === 'default' || r.dst.includes('/') ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`;
    out.push({ to, ...(r.gateway ? { via: r.gateway } : {}), ...(r.dev ? { dev: r.dev } : {}) });
  }
  return [...out.filter((r) => !r.via), ...out.filter((r) => r.via)];
}

/** One host's addresses, routes and sysctls as the kernel has them now. */
export async function hostNow(h: Host): Promise<HostNow> {
  const ifnames = new Set(h.interfaces.map((i) => i.name));
  const skipped: string[] = [];
  const keys = [...new Set([...Object.keys(h.sysctls), ...FORWARDING])];
  const [addrs, r4, r6, sysctl] = await Promise.all([
    json<AddrJson[]>(['-n', h.name, '-j', 'addr', 'show']),
    json<RouteJson[]>(['-n', h.name, '-j', 'route', 'show']),
    json<RouteJson[]>(['-n', h.name, '-j', '-6', 'route', 'show']),
    runTool('ip', ['netns', 'exec', h.name, 'sysctl', ...keys]),
  ]);
  const addresses: Record<string, string[]> = {};
  for (const l of addrs) {
    const global = (l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
    if (!global.length) continue;
    if (ifnames.has(l.ifname)) addresses[l.ifname] = global;
    else skipped.push(`${l.ifname} ${global.join(' ')} (no link of the lab makes ${l.ifname})`);
  }
  const sysctls: Record<string, string> = {};
  for (const m of sysctl.stdout.matchAll(/^(\S+) = (.*)$/gm)) sysctls[m[1]!] = m[2]!;
  return { addresses, routes: [...routesOf(r4, 4, ifnames, skipped), ...routesOf(r6, 6, ifnames, skipped)], sysctls, skipped };
}

type Obj = Record<string, unknown>;

/** The lab file's document with each host's state replaced by what it is now. Pure. */
export function savedDocument(raw: Obj, topo: Topology, now: ReadonlyMap<string, HostNow>): Obj {
  const hosts: Obj = {};
  const rawHosts = (raw.hosts ?? {}) as Obj;
  for (const h of topo.hosts) {
    const n = now.get(h.name)!;
    const { addresses: _a, routes: _r, sysctls: _s, binds: _b, ...rest } = (rawHosts[h.name] ?? {}) as Obj;
    hosts[h.name] = {
      ...rest,
      // a relative bind was the old file's: written out whole, so it is found from DIR too
      ...(h.container?.binds.length ? { binds: h.container.binds } : {}),
      ...(Object.keys(n.addresses).length ? { addresses: n.addresses } : {}),
      ...(n.routes.length ? { routes: n.routes } : {}),
      ...(Object.keys(n.sysctls).length ? { sysctls: n.sysctls } : {}),
    };
  }
  // the name said outright: the saved file is lab.yaml, whatever the lab is called
  return { ...raw, name: topo.name, hosts };
}

export interface SaveResult {
  file: string;
  skipped: string[];
}

/** Write DIR/lab.yaml for a lab that is up; DIR is made if need be. */
export async function saveLab(lab: string, dir: string): Promise<SaveResult> {
  const j = readJournal(lab);
  if (!j?.complete) throw new NotFoundError(`lab ${lab} is not up${j ? ' (only partly: run minictr net up again first)' : ''}: nothing to save`);
  if (!j.file || !statSync(j.file, { throwIfNoEntry: false })?.isFile()) throw new NotFoundError(`lab ${lab}: the file it came up from (${j.file ?? 'none'}) is gone: nothing to save it from`);
  const limits = labLimits();
  const topo = await loadTopology(j.file, limits);
  if (topo.name !== lab) throw new UsageError(`${j.file} is now the file of lab ${topo.name}, not of ${lab}: nothing was saved`);
  const { parse, stringify } = await import('yaml');
  const raw = parse(readLabFile(j.file, limits)) as Obj;
  const now = new Map<string, HostNow>();
  await Promise.all(topo.hosts.map(async (h) => now.set(h.name, await hostNow(h))));
  const file = join(resolve(dir), SAVED_FILE);
  const doc = savedDocument(raw, topo, now);
  try {
    validateTopology(doc, file, limits);
  } catch (err) {
    throw new UsageError(`lab ${lab} as it is now makes no valid lab file (${(err as Error).message}): nothing was saved`);
  }
  const text = [`# lab ${lab} as it was at ${new Date().toISOString()}, saved by minictr net save from ${j.file}`, `# rebuild it: minictr net up ${resolve(dir)}`, stringify(doc)].join('\n');
  mkdirSync(dir, { recursive: true });
  if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) throw new UsageError(`${file} is a symlink: refused, nothing was saved`);
  // never through a symlink planted since
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return { file, skipped: [...now].flatMap(([h, n]) => n.skipped.map((s) => `${h}: ${s}`)) };
}
