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
      }),
    ),
    ...topo.switches.map((s): GraphNode => ({ id: s.name, label: s.name, kind: s.kind === 'ovs' ? 'ovs' : 'bridge', details: [], interfaces: [] })),
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
  return { title: topo.name, nodes, edges };
}
