/** The picture of a topology file, as written (no kernel access). */
import type { Topology } from '../topology/schema.js';
import type { Graph, GraphEdge, GraphNode } from './model.js';

export function fromTopology(topo: Topology): Graph {
  const nodes: GraphNode[] = [
    ...topo.hosts.map(
      (h): GraphNode => ({
        id: h.name,
        label: h.name,
        kind: 'netns',
        details: [...h.interfaces.map((i) => `${i.name} ${i.addresses.join(' ')}`.trim()), ...(h.container ? [`container ${h.container.name} (${h.container.image})`] : [])],
        interfaces: h.interfaces.map((i) => ({ name: i.name, addresses: [...i.addresses] })),
        ...(h.container ? { container: { name: h.container.name, image: h.container.image } } : {}),
        ...(h.machine ? { machine: h.machine } : {}),
      }),
    ),
    ...topo.switches.map((s): GraphNode => ({ id: s.name, label: s.name, kind: s.kind === 'ovs' ? 'ovs' : 'bridge', details: [], interfaces: [], ...(s.machine ? { machine: s.machine } : {}) })),
  ];
  const edges: GraphEdge[] = topo.links.map((l) => ({
    from: l.a.node,
    to: l.b.node,
    fromLabel: l.a.ifname,
    toLabel: l.b.ifname,
    fromIfname: l.a.ifname,
    toIfname: l.b.ifname,
    note: l.impair ? Object.entries(l.impair).map(([k, v]) => `${k} ${v}`).join(', ') : undefined,
  }));
  for (const t of topo.tunnels) {
    const id = t.type === 'vxlan' ? `vxlan ${t.vni}` : `gre${t.vni !== undefined ? ` key ${t.vni}` : ''}`;
    const [a, b] = t.ends;
    if (!b && !nodes.some((n) => n.id === t.remote)) nodes.push({ id: t.remote!, label: t.remote!, kind: 'other', details: ['(remote, outside the file)'] });
    edges.push({ from: a!.node, to: b?.node ?? t.remote!, fromLabel: a!.ifname, toLabel: b?.ifname ?? '', note: `${id}, MTU ${t.mtu}`, tunnel: true });
  }
  const machines = topo.machines.map((m) => ({ name: m.name, address: m.address }));
  return { title: topo.name, nodes, edges, ...(machines.length ? { machines } : {}) };
}
