/**
 * Placement: one file describes a lab across machines (`machines: {vm1: {address, dev}}`, and
 * `machine: vm1` on each host and switch); `net up FILE --machine vm1` builds the part of vm1
 * and its ends of the tunnels. Names are unique in the whole file, so two parts never clash,
 * even as two emulated machines (network namespaces) on one host.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { UsageError } from '../../../errors.js';
import { checkNamed, type Fail, type LocalTunnel, type Tunnel } from './tunnel.js';

export interface Machine {
  name: string;
  /** Its underlay address: where the other machines' tunnels go. */
  address: string;
  /** The underlay device its tunnels use (else the kernel's route to the remote decides). */
  dev?: string;
}

/** What placement needs of a node (host or switch). */
export interface Placed {
  name: string;
  machine?: string;
}

/** A host as placement sees it: where it is, and its addresses (for the other parts' /etc/hosts). */
export interface PlacedHost extends Placed {
  interfaces: { name: string; addresses: string[] }[];
}

/** The part of a lab one machine builds (set by partOf). */
export interface Part {
  machine: string;
  /** Hosts placed on the other machines: named in /etc/hosts, not built here. */
  elsewhere: PlacedHost[];
  tunnels: LocalTunnel[];
}

export function checkMachines(fail: Fail, raw: unknown): Machine[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('machines', 'must be a mapping like {vm1: {address: 192.168.56.11}}');
  const seen = new Map<string, string>();
  return Object.entries(raw as Record<string, unknown>).map(([name, v]): Machine => {
    const path = `machines.${name.slice(0, 40)}`;
    checkNamed(fail, 'lab host', name, path);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, 'must be a mapping with address (and dev)');
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'address' && k !== 'dev') fail(path, `unknown key ${JSON.stringify(k.slice(0, 40))} (expected one of: address, dev)`);
    if (o.address === undefined) fail(`${path}.address`, 'missing: the address the other machines reach this one at (its underlay address)');
    const address = String(o.address);
    if (!isIP(address) || address.includes('%')) fail(`${path}.address`, `${JSON.stringify(o.address)} is not an IP address`);
    const other = seen.get(address);
    if (other) fail(`${path}.address`, `${address} is already the address of machine ${other}`);
    seen.set(address, name);
    const m: Machine = { name, address };
    if (o.dev !== undefined) {
      m.dev = String(o.dev);
      checkNamed(fail, 'interface', m.dev, `${path}.dev`);
    }
    return m;
  });
}

interface Cable {
  a: { node: string };
  b: { node: string };
}

interface IndexedCable extends Cable {
  /** where it is in the file's links[] */
  index: number;
}

/**
 * Every node on a listed machine (when there are machines), every cable within one machine,
 * every two-ended tunnel between two.
 */
export function checkPlacement(fail: Fail, machines: readonly Machine[], hosts: readonly Placed[], switches: readonly Placed[], links: readonly IndexedCable[], tunnels: readonly Tunnel[]): void {
  const names = new Set(machines.map((m) => m.name));
  const list = machines.map((m) => m.name).join(', ');
  const where = new Map<string, string | undefined>();
  for (const [key, nodes] of [['hosts', hosts], ['switches', switches]] as const) {
    for (const n of nodes) {
      if (n.machine !== undefined && !names.has(n.machine)) {
        fail(`${key}.${n.name}.machine`, machines.length ? `unknown machine ${JSON.stringify(n.machine)} (machines: ${list})` : `${JSON.stringify(n.machine)}: the file lists no machines`);
      }
      if (n.machine === undefined && machines.length) fail(`${key}.${n.name}`, `machine: missing: the lab lists machines (${list}), say which one ${n.name} is on`);
      where.set(n.name, n.machine);
    }
  }
  links.forEach((l) => {
    const [ma, mb] = [where.get(l.a.node), where.get(l.b.node)];
    if (ma !== mb) fail(`links[${l.index}]`, `${l.a.node} is on ${ma} and ${l.b.node} on ${mb}: a cable cannot join two machines (use a link of type vxlan or gre between two switches)`);
  });
  for (const t of tunnels) {
    if (t.ends.length !== 2) continue;
    const [ma, mb] = t.ends.map((e) => where.get(e.node));
    if (!machines.length) fail(`links[${t.index}]`, 'a tunnel between two switches of the file needs them placed on two machines (machines: and machine:)');
    if (ma === mb) fail(`links[${t.index}].endpoints`, `both switches are on ${ma}: a tunnel joins two machines (cable switches on one machine directly)`);
  }
}

/**
 * The part of a placed lab that machine builds: its hosts and switches, the cables between
 * them, and its end of each tunnel with the addresses of both sides.
 */
export function partOf<
  T extends { name: string; machines: Machine[]; hosts: H[]; switches: Placed[]; links: Cable[]; tunnels: Tunnel[]; hash: string; part?: Part },
  H extends PlacedHost,
>(topo: T, machine: string | undefined, file: string): T {
  const list = topo.machines.map((m) => m.name).join(', ');
  if (machine === undefined) {
    if (topo.machines.length) throw new UsageError(`${file}: lab ${topo.name} is placed on machines ${list}: say which part to build here with --machine NAME`);
    return topo;
  }
  const me = topo.machines.find((m) => m.name === machine);
  if (!me) throw new UsageError(`--machine ${machine}: ${topo.machines.length ? `no such machine in ${file} (machines: ${list})` : `${file} places nothing on machines (no machines:)`}`);
  const here = (n: Placed): boolean => n.machine === machine;
  const machineOf = new Map([...topo.hosts, ...topo.switches].map((n) => [n.name, n.machine]));
  const tunnels: LocalTunnel[] = [];
  for (const t of topo.tunnels) {
    const mine = t.ends.find((e) => machineOf.get(e.node) === machine);
    if (!mine) continue;
    const other = t.ends.find((e) => e !== mine);
    const far = other ? topo.machines.find((m) => m.name === machineOf.get(other.node)) : undefined;
    const dev = t.dev ?? me.dev;
    tunnels.push({
      type: t.type,
      index: t.index,
      switch: mine.node,
      ifname: mine.ifname,
      remote: far?.address ?? t.remote!,
      remoteField: far ? `machines.${far.name}.address` : `links[${t.index}].remote`,
      local: me.address,
      localField: `machines.${me.name}.address`,
      vni: t.vni,
      dstPort: t.dstPort,
      mtu: t.mtu,
      ...(dev ? { dev, devField: t.dev ? `links[${t.index}].dev` : `machines.${me.name}.dev` } : {}),
    });
  }
  return {
    ...topo,
    hosts: topo.hosts.filter(here),
    switches: topo.switches.filter(here),
    links: topo.links.filter((l) => machineOf.get(l.a.node) === machine),
    // one journal and one "already up" check per part: the hash of what this machine builds
    hash: createHash('sha256').update(`${topo.hash}\n${machine}`).digest('hex').slice(0, 16),
    part: { machine, elsewhere: topo.hosts.filter((h) => !here(h)), tunnels },
  };
}

/** The tunnels this machine builds: the part's, or (an unplaced lab) every one-ended tunnel. */
export function localTunnels(topo: { tunnels: Tunnel[]; part?: Part }): LocalTunnel[] {
  if (topo.part) return topo.part.tunnels;
  return topo.tunnels.map((t) => ({
    type: t.type,
    index: t.index,
    switch: t.ends[0]!.node,
    ifname: t.ends[0]!.ifname,
    remote: t.remote!,
    remoteField: `links[${t.index}].remote`,
    vni: t.vni,
    dstPort: t.dstPort,
    mtu: t.mtu,
    ...(t.dev ? { dev: t.dev, devField: `links[${t.index}].dev` } : {}),
  }));
}

/**
 * The whole lab by machine, for `net status`: each machine with its address, hosts and
 * switches, then the tunnels between them. here: the machine the command runs on.
 */
export function describePlacement(
  topo: { machines: Machine[]; hosts: Placed[]; switches: Placed[]; tunnels: Tunnel[] },
  here?: string,
): string[] {
  if (!topo.machines.length) return [];
  const machineOf = new Map([...topo.hosts, ...topo.switches].map((n) => [n.name, n.machine]));
  const lines = ['  the whole lab, by machine:'];
  for (const m of topo.machines) {
    const hosts = topo.hosts.filter((h) => h.machine === m.name).map((h) => h.name);
    const switches = topo.switches.filter((s) => s.machine === m.name).map((s) => s.name);
    lines.push(`    ${m.name} ${m.address}${m.name === here ? ' (this machine)' : ''}: hosts ${hosts.join(' ') || '-'}; switches ${switches.join(' ') || '-'}`);
  }
  for (const t of topo.tunnels) {
    const ends = t.ends.map((e) => `${e.node}/${e.ifname} (${machineOf.get(e.node) ?? '?'})`);
    const id = t.type === 'vxlan' ? `VNI ${t.vni}` : t.vni !== undefined ? `key ${t.vni}` : 'no key';
    lines.push(`    tunnel ${t.type} ${id}, MTU ${t.mtu}: ${ends.join(' <-> ')}${t.remote ? ` <-> ${t.remote}` : ''}`);
  }
  return lines;
}
