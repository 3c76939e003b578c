/**
 * The lab picture as JSON, for other tools (`net graph --json`, with or without --live). Its
 * shape is written down in docs/net-graph.schema.json, and the tests hold this to it: change
 * both together, and raise `version` when a field changes meaning or goes away.
 */
import type { Graph, GraphEdge } from './model.js';

export const GRAPH_JSON_VERSION = 1;

interface EndJson {
  node: string;
  interface?: string;
  label: string;
}

function end(e: GraphEdge, side: 'from' | 'to'): EndJson {
  const ifname = side === 'from' ? e.fromIfname : e.toIfname;
  return { node: side === 'from' ? e.from : e.to, ...(ifname ? { interface: ifname } : {}), label: side === 'from' ? e.fromLabel : e.toLabel };
}

export function renderJson(g: Graph): string {
  const doc = {
    version: GRAPH_JSON_VERSION,
    title: g.title,
    nodes: g.nodes.map((n) => ({
      id: n.id,
      name: n.label,
      kind: n.kind,
      interfaces: n.interfaces ?? [],
      ...(n.container ? { container: n.container } : {}),
      ...(n.machine ? { machine: n.machine } : {}),
    })),
    links: g.edges.map((e) => ({ a: end(e, 'from'), b: end(e, 'to'), ...(e.note ? { note: e.note } : {}), ...(e.tunnel ? { tunnel: true } : {}) })),
    // the machines a lab across machines spans (topology `machines:`); none for a lab on one
    machines: (g.machines ?? []).map((m) => ({ name: m.name, address: m.address })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
