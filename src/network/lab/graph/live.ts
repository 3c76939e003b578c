/**
 * The picture of what the kernel has now, including objects made by hand with `ip`: every
 * named namespace, veth pairs resolved across namespaces (a veth knows its peer's ifindex
 * and, when the peer is elsewhere, the peer namespace's id as seen from its own namespace),
 * Linux bridge masters and Open vSwitch ports (from ovsdb: the userspace datapath has no
 * kernel master to read).
 */
import { runTool } from '../../../util/tool.js';
import { listPorts } from '../../host/ovs.js';
import { NETNS_DIR, namedNamespaces, ovsBridges } from '../../host/state.js';
import type { Graph, GraphEdge, GraphNode } from './model.js';
import { statSync } from 'node:fs';

function netnsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** A running minictr container, as the caller (the CLI) found it: the lab library does not
 * read the runtime's store itself. */
export interface RunningContainer {
  name: string;
  ip?: string;
  /** the host end of its bridge veth (vethName in network/container/attach.ts) */
  hostVeth?: string;
  /** its process, whose network namespace is looked up */
  pid: number;
}

interface AddrJson {
  ifname: string;
  ifindex: number;
  link_index?: number;
  link_netnsid?: number;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { local: string; prefixlen: number; scope?: string }[];
}

export interface Iface {
  space: string; // '' = the host (initial) namespace
  name: string;
  index: number;
  peerIndex?: number;
  peerNsid?: number;
  master?: string;
  kind?: string;
  addrs: string[];
}

const HOST = '';

/** What one namespace has: its interfaces, and the nsids it numbers other namespaces by. */
export interface SpaceRead {
  ifaces: Iface[];
  /** nsid -> namespace name, as seen from this namespace */
  nsids: Map<number, string>;
}

/** One `ip -b` per namespace for both (a spawn into a namespace costs more than the reads). */
async function readSpace(space: string): Promise<SpaceRead> {
  const res = await runTool('ip', [...(space ? ['-n', space] : []), '-j', '-d', '-b', '-'], { input: 'addr show\nnetns list-id\n', allowFailure: true });
  const [addrs, ids] = res.stdout.split('\n').filter((l) => l.startsWith('['));
  if (res.exitCode !== 0 || addrs === undefined) return { ifaces: [], nsids: new Map() };
  const ifaces = (JSON.parse(addrs) as AddrJson[]).map((l) => ({
    space,
    name: l.ifname,
    index: l.ifindex,
    peerIndex: l.link_index,
    peerNsid: l.link_netnsid,
    master: l.master,
    kind: l.linkinfo?.info_kind,
    addrs: (l.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`),
  }));
  const nsids = new Map<number, string>();
  for (const r of JSON.parse(ids ?? '[]') as { nsid: number; name?: string }[]) if (r.name !== undefined) nsids.set(r.nsid, r.name);
  return { ifaces, nsids };
}

/** How each namespace is read: afresh by default; the live view (src/view/) keeps the reads
 * between kernel events and asks again only for the namespaces that changed. */
export interface SpaceReader {
  read(space: string): Promise<SpaceRead>;
}

export const freshReader: SpaceReader = { read: readSpace };

/** Interface kinds that are tunnels: named with their kind in the picture. */
const TUNNEL_KINDS = new Set(['vxlan', 'gre', 'gretap', 'ip6gre', 'ipip', 'sit', 'ip6tnl', 'geneve', 'wireguard']);

function ifaceLine(i: Iface): string {
  return `${i.name}${i.kind && TUNNEL_KINDS.has(i.kind) ? ` (${i.kind})` : ''} ${i.addrs.join(' ')}`.trim();
}

export interface LiveFilter {
  /** Keep only these namespaces and switches (a lab's), when given. */
  names: ReadonlySet<string>;
}

export async function liveGraph(running: RunningContainer[], filter?: LiveFilter, reader: SpaceReader = freshReader): Promise<Graph> {
  // a lab's picture reads the lab's namespaces only: a machine can have hundreds of others
  const spaces = [HOST, ...namedNamespaces().filter((n) => !filter || filter.names.has(n))];
  const [reads, bridges] = await Promise.all([Promise.all(spaces.map((s) => reader.read(s))), ovsBridges().catch(() => [] as string[])]);
  const ifaces = reads.flatMap((r) => r.ifaces);
  const nsidOf = new Map(spaces.map((s, i) => [s, reads[i]!.nsids]));
  const ovsPortOf = new Map<string, string>();
  for (const br of bridges) for (const p of await listPorts(br).catch(() => [])) ovsPortOf.set(p, br);

  const nodes = new Map<string, GraphNode>();
  const spaceId = (s: string): string => (s === HOST ? 'host' : `ns:${s}`);
  for (const s of spaces.slice(1)) nodes.set(spaceId(s), { id: spaceId(s), label: s, kind: 'netns', details: [], interfaces: [] });
  const hostNode: GraphNode = { id: 'host', label: 'host', kind: 'host', details: [], interfaces: [] };
  for (const br of bridges) nodes.set(`ovs:${br}`, { id: `ovs:${br}`, label: br, kind: 'ovs', details: [], interfaces: [] });
  for (const i of ifaces) {
    if (i.kind === 'bridge') {
      const id = `br:${i.space}/${i.name}`;
      nodes.set(id, { id, label: i.space ? `${i.name} (in ${i.space})` : i.name, kind: 'bridge', details: i.addrs.map((a) => `${i.name} ${a}`), interfaces: [{ name: i.name, addresses: i.addrs }] });
    } else if (i.space && i.name !== 'lo') {
      const node = nodes.get(spaceId(i.space))!;
      node.details.push(ifaceLine(i));
      node.interfaces!.push({ name: i.name, addresses: i.addrs });
    }
  }

  // Where a veth end plugs in: its bridge, its OVS bridge, or its namespace.
  const attach = (i: Iface): string => {
    if (i.master && ifaces.some((b) => b.space === i.space && b.name === i.master && b.kind === 'bridge')) return `br:${i.space}/${i.master}`;
    if (i.space === HOST && ovsPortOf.has(i.name)) return `ovs:${ovsPortOf.get(i.name)}`;
    if (i.space === HOST) {
      hostNode.details.push(ifaceLine(i));
      hostNode.interfaces!.push({ name: i.name, addresses: i.addrs });
      nodes.set('host', hostNode);
    }
    return spaceId(i.space);
  };

  const veths = ifaces.filter((i) => i.kind === 'veth');
  const vethAt = new Map(veths.map((v) => [`${v.space}/${v.index}`, v]));
  const done = new Set<Iface>();
  const edges: GraphEdge[] = [];
  for (const v of veths) {
    if (done.has(v)) continue;
    done.add(v);
    let peerSpaces: string[];
    if (v.peerNsid === undefined) peerSpaces = [v.space];
    else {
      const named = nsidOf.get(v.space)?.get(v.peerNsid);
      // No name: the host namespace (or an unnamed one, such as a container's).
      peerSpaces = named !== undefined ? [named] : [HOST];
    }
    const peer = peerSpaces.map((s) => vethAt.get(`${s}/${v.peerIndex}`)).find((p) => p && !done.has(p) && p.peerIndex === v.index);
    const label = (i: Iface): string => `${i.name}${i.addrs[0] ? ` ${i.addrs[0]}` : ''}`;
    if (peer) {
      done.add(peer);
      edges.push({ from: attach(v), to: attach(peer), fromLabel: label(v), toLabel: label(peer), fromIfname: v.name, toIfname: peer.name });
    } else if (v.peerIndex !== undefined) {
      const id = `other:${v.space}/${v.peerNsid ?? 'self'}`;
      nodes.set(id, { id, label: `nsid ${v.peerNsid ?? '?'}`, kind: 'other', details: [] });
      edges.push({ from: attach(v), to: id, fromLabel: label(v), toLabel: `ifindex ${v.peerIndex}`, fromIfname: v.name });
    }
  }

  // minictr containers: those that joined a named namespace (--network netns:NAME) are
  // listed in it; one on a bridge network is the far end of its host veth (veth + id prefix)
  const containers = running.map((c) => ({ ...c, netnsInode: netnsInode(`/proc/${c.pid}/ns/net`) }));
  // each namespace's inode once (not once per container: 200 containers x 200 hosts is 40,000 stats)
  const spaceByInode = new Map<number, string[]>();
  for (const space of spaces.slice(1)) {
    const ino = netnsInode(`${NETNS_DIR}/${space}`);
    if (ino !== undefined) spaceByInode.set(ino, [...(spaceByInode.get(ino) ?? []), space]);
  }
  for (const c of containers) {
    for (const space of (c.netnsInode && spaceByInode.get(c.netnsInode)) || []) {
      const node = nodes.get(spaceId(space));
      if (!node) continue;
      node.details.push(`container ${c.name}`);
      node.container = { name: c.name };
    }
  }
  const byHostVeth = new Map(containers.filter((c) => c.hostVeth).map((c) => [c.hostVeth!, c]));
  for (const e of edges) {
    const hostVeth = /^(veth[0-9a-f]{11})/.exec(e.fromLabel ?? '')?.[1];
    const c = hostVeth ? byHostVeth.get(hostVeth) : undefined;
    if (c && e.to.startsWith('other:')) {
      nodes.delete(e.to);
      e.to = `ctr:${c.name}`;
      e.toLabel = `eth0 ${c.ip ?? ''}`.trim();
      e.toIfname = 'eth0';
      nodes.set(e.to, { id: e.to, label: `container ${c.name}`, kind: 'netns', details: [], interfaces: [{ name: 'eth0', addresses: c.ip ? [c.ip] : [] }], container: { name: c.name } });
    }
  }

  let nodeList = [...nodes.values()];
  let edgeList = edges;
  if (filter) {
    nodeList = nodeList.filter((n) => n.kind !== 'host' && n.kind !== 'other' && filter.names.has(n.label.split(' ')[0]!));
    const keep = new Set(nodeList.map((n) => n.id));
    edgeList = edges.filter((e) => keep.has(e.from) && keep.has(e.to));
  }
  return { title: 'live', nodes: nodeList, edges: edgeList };
}
