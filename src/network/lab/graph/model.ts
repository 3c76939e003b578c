/**
 * A lab picture as data: boxes (namespaces, the host, switches) and cables (veth pairs) with
 * the interface name at each end. Built from a topology file or from the live kernel, then
 * rendered as SVG, DOT or Mermaid.
 */
export type NodeKind = 'netns' | 'host' | 'bridge' | 'ovs' | 'other';

export interface GraphNode {
  id: string;
  label: string;
  kind: NodeKind;
  /** One line per interface: "eth0-r 10.0.0.1/24". */
  details: string[];
  /** The same interfaces as data, for --json (docs/net-graph.schema.json) */
  interfaces?: GraphInterface[];
  /** A container whose network namespace this is (a lab's container node) */
  container?: { name: string; image?: string };
  /** The machine it is placed on (a lab across machines): drawn inside that machine's frame. */
  machine?: string;
}

export interface GraphInterface {
  name: string;
  /** address/prefix, as ip addr shows them (link-local ones left out) */
  addresses: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  fromLabel: string;
  toLabel: string;
  /** the interface at each end, by name alone, for --json (absent where the far end is unknown) */
  fromIfname?: string;
  toIfname?: string;
  /** Impairments and the like, shown in the middle of the cable. */
  note?: string;
  /** A VXLAN or GRE tunnel between machines, not a cable: drawn dashed. */
  tunnel?: boolean;
}

/** A machine of a lab across machines: a frame around its nodes. */
export interface GraphMachine {
  name: string;
  address: string;
}

export interface Graph {
  title: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  machines?: GraphMachine[];
}

export const KIND_TEXT: Record<NodeKind, string> = {
  netns: 'namespace',
  host: 'host namespace',
  bridge: 'Linux bridge',
  ovs: 'Open vSwitch',
  other: 'unnamed namespace',
};
