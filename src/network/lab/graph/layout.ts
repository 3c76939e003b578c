/**
 * A small layered layout, enough for lab-sized pictures without a graphviz dependency:
 * breadth-first from a leaf host, one column per hop, so a chain reads left to right and a
 * switch sits between the hosts it joins. Connected components are stacked vertically.
 */
import { KIND_TEXT, type Graph, type GraphNode } from './model.js';

export interface Box {
  node: GraphNode;
  x: number;
  y: number;
  w: number;
  h: number;
  lines: string[];
}

export interface Layout {
  boxes: Map<string, Box>;
  width: number;
  height: number;
}

export const CHAR_W = 7.2;
const LINE_H = 16;
const ROW_GAP = 36;
const MARGIN = 30;
const TITLE_H = 30;

export function boxLines(n: GraphNode): string[] {
  return [n.label, `(${KIND_TEXT[n.kind]})`, ...n.details];
}

export function layout(g: Graph): Layout {
  const adj = new Map<string, string[]>(g.nodes.map((n) => [n.id, []]));
  for (const e of g.edges) {
    adj.get(e.from)?.push(e.to);
    adj.get(e.to)?.push(e.from);
  }
  // Columns far enough apart for the interface labels at both ends of a cable.
  const longest = Math.max(0, ...g.edges.flatMap((e) => [e.fromLabel.length, e.toLabel.length]));
  const COL_GAP = Math.max(110, Math.ceil(longest * CHAR_W * 2 + 40));
  const boxes = new Map<string, Box>();
  const placed = new Set<string>();
  let top = MARGIN + TITLE_H;
  let width = 0;
  // Start each component at a leaf namespace when there is one: chains then read end to end.
  const starts = [...g.nodes].sort((a, b) => {
    const score = (n: GraphNode): number => (n.kind === 'netns' ? 0 : 1) * 100 + adj.get(n.id)!.length;
    return score(a) - score(b);
  });
  for (const start of starts) {
    if (placed.has(start.id)) continue;
    const columns: GraphNode[][] = [];
    let frontier = [start];
    placed.add(start.id);
    while (frontier.length) {
      columns.push(frontier);
      const next: GraphNode[] = [];
      for (const n of frontier) {
        for (const id of adj.get(n.id)!) {
          if (placed.has(id)) continue;
          placed.add(id);
          next.push(g.nodes.find((x) => x.id === id)!);
        }
      }
      frontier = next;
    }
    const sized = columns.map((col) =>
      col.map((node) => {
        const lines = boxLines(node);
        return { node, lines, w: Math.max(120, Math.ceil(Math.max(...lines.map((l) => l.length)) * CHAR_W) + 24), h: lines.length * LINE_H + 16 };
      }),
    );
    const colHeights = sized.map((col) => col.reduce((s, b) => s + b.h, 0) + ROW_GAP * (col.length - 1));
    const compH = Math.max(...colHeights);
    let x = MARGIN;
    sized.forEach((col, ci) => {
      const colW = Math.max(...col.map((b) => b.w));
      let y = top + (compH - colHeights[ci]!) / 2;
      for (const b of col) {
        boxes.set(b.node.id, { ...b, x: x + (colW - b.w) / 2, y });
        y += b.h + ROW_GAP;
      }
      x += colW + COL_GAP;
    });
    width = Math.max(width, x - COL_GAP + MARGIN);
    top += compH + ROW_GAP * 2;
  }
  return { boxes, width: Math.max(width, 320), height: top - ROW_GAP * 2 + MARGIN };
}
