/**
 * What the live page shows, as data: the network picture (the same Graph `net graph --live`
 * draws, laid out by the same layout.ts), plus containers and labs, every object with how it
 * was made and the commands that inspect it. Pure: the reading is in snapshot.ts, so this
 * (and the diff that marks what appeared or went away) is unit tested without root.
 */
import type { Graph, GraphNode } from '../network/lab/graph/model.js';
import { layout } from '../network/lab/graph/layout.js';

export type ObjectKind = GraphNode['kind'] | 'container' | 'lab' | 'cable';

/** One thing on the page: a box, a cable, a container or a lab. */
export interface ViewObject {
  id: string;
  kind: ObjectKind;
  label: string;
  details: string[];
  /** How it was made: the recorded command when minictr made it, else who made it. */
  how: string;
  /** Shell commands that show it from a terminal. */
  inspect: string[];
  /** the lab or container it belongs to */
  owner?: string;
}

export interface PlacedNode {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PlacedEdge {
  id: string;
  from: string;
  to: string;
  fromLabel: string;
  toLabel: string;
  note?: string;
}

/** A picture ready to draw: node boxes where layout.ts put them, and the cables. */
export interface Picture {
  title: string;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

export interface ViewSnapshot {
  /** bumped on every change, so the page can tell a new picture from a repeat */
  version: number;
  at: string;
  live: Picture;
  /** every object by id: the graph's boxes and cables, containers, labs */
  objects: ViewObject[];
  /** ids that are new since the previous snapshot / gone since it */
  appeared: string[];
  gone: string[];
  /** the topology file given to `minictr view FILE`, drawn as planned (not read from the kernel) */
  planned?: { picture: Picture; objects: ViewObject[] };
}

/** A cable's id: its two ends, so the same veth pair keeps its id between snapshots. */
export function edgeId(e: { from: string; to: string; fromLabel: string; toLabel: string }): string {
  const ends = [`${e.from}/${e.fromLabel.split(' ')[0]}`, `${e.to}/${e.toLabel.split(' ')[0]}`].sort();
  return `cable:${ends.join('|')}`;
}

/** The graph placed by layout.ts (the same columns `net graph` draws). */
export function placeGraph(g: Graph): Picture {
  const placed = layout(g);
  const nodes: PlacedNode[] = g.nodes.map((n) => {
    const b = placed.boxes.get(n.id)!;
    return { id: n.id, x: Math.round(b.x + b.w / 2), y: Math.round(b.y + b.h / 2), w: Math.round(b.w), h: Math.round(b.h) };
  });
  const edges = g.edges.map((e): PlacedEdge => ({ id: edgeId(e), from: e.from, to: e.to, fromLabel: e.fromLabel, toLabel: e.toLabel, note: e.note }));
  return { title: g.title, nodes, edges };
}

/** What appeared and what went away between two sets of object ids. */
export function diffIds(before: ReadonlySet<string> | undefined, after: ReadonlySet<string>): { appeared: string[]; gone: string[] } {
  if (!before) return { appeared: [], gone: [] };
  return { appeared: [...after].filter((id) => !before.has(id)).sort(), gone: [...before].filter((id) => !after.has(id)).sort() };
}
