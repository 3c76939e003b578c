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
}

export interface GraphEdge {
  from: string;
  to: string;
  fromLabel: string;
  toLabel: string;
  /** Impairments and the like, shown in the middle of the cable. */
  note?: string;
}

export interface Graph {
  title: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const KIND_TEXT: Record<NodeKind, string> = {
  netns: 'namespace',
  host: 'host namespace',
  bridge: 'Linux bridge',
  ovs: 'Open vSwitch',
  other: 'unnamed namespace',
};
