/** SVG rendering, written by hand: boxes, cables, and interface names at the cable ends. */
import { CHAR_W, layout, type Box } from './layout.js';
import type { Graph, NodeKind } from './model.js';

const FILL: Record<NodeKind, string> = {
  netns: '#dbeafe',
  host: '#e5e7eb',
  bridge: '#fde68a',
  ovs: '#bbf7d0',
  other: '#f3f4f6',
};

export function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const center = (b: Box): [number, number] => [b.x + b.w / 2, b.y + b.h / 2];

export function renderSvg(g: Graph): string {
  const { boxes, width, height } = layout(g);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, monospace" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="30" y="28" font-size="16" font-weight="bold">${xml(g.title)}</text>`,
  ];
  // a lab across machines: a dashed frame around each machine's boxes, named with its address
  for (const m of g.machines ?? []) {
    const mine = [...boxes.values()].filter((b) => b.node.machine === m.name);
    if (!mine.length) continue;
    const x = Math.min(...mine.map((b) => b.x)) - 12;
    const y = Math.min(...mine.map((b) => b.y)) - 28;
    const w = Math.max(...mine.map((b) => b.x + b.w)) + 12 - x;
    const h = Math.max(...mine.map((b) => b.y + b.h)) + 12 - y;
    out.push(`<g class="machine" id="machine-${xml(m.name)}">`);
    out.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6" fill="none" stroke="#64748b" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${x + 8}" y="${y + 16}" fill="#334155" font-weight="bold">${xml(`${m.name} ${m.address}`)}</text>`);
    out.push('</g>');
  }
  for (const e of g.edges) {
    const a = boxes.get(e.from);
    const b = boxes.get(e.to);
    if (!a || !b) continue;
    const [x1, y1] = center(a);
    const [x2, y2] = center(b);
    const dash = e.tunnel ? ' stroke-dasharray="8 5"' : '';
    out.push(`<line class="${e.tunnel ? 'tunnel' : 'cable'}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#475569" stroke-width="2"${dash}/>`);
    const at = (t: number): [number, number] => [x1 + (x2 - x1) * t, y1 + (y2 - y1) * t];
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    // How far along the cable a label must start to clear its box entirely.
    const clear = (box: Box, text: string): number => {
      const dh = Math.abs(x2 - x1) > 0.5 ? ((box.w / 2 + (text.length * CHAR_W) / 2 + 8) * len) / Math.abs(x2 - x1) : Infinity;
      const dv = Math.abs(y2 - y1) > 0.5 ? ((box.h / 2 + 18) * len) / Math.abs(y2 - y1) : Infinity;
      return Math.min(0.45, Math.min(dh, dv) / len);
    };
    const ta = clear(a, e.fromLabel);
    const tb = 1 - clear(b, e.toLabel);
    for (const [t, text] of [
      [ta, e.fromLabel],
      [tb, e.toLabel],
      [0.5, e.note ?? ''],
    ] as [number, string][]) {
      if (!text) continue;
      const [x, y] = at(t);
      out.push(
        `<text x="${x.toFixed(1)}" y="${(y - 6).toFixed(1)}" text-anchor="middle" fill="#0f172a" stroke="#ffffff" stroke-width="4" paint-order="stroke">${xml(text)}</text>`,
      );
    }
  }
  for (const b of boxes.values()) {
    const rx = b.node.kind === 'bridge' || b.node.kind === 'ovs' ? 2 : 10;
    out.push(`<g class="node" id="${xml(b.node.id)}">`);
    out.push(`<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="${rx}" fill="${FILL[b.node.kind]}" stroke="#334155" stroke-width="1.5"/>`);
    b.lines.forEach((line, i) => {
      const weight = i === 0 ? ' font-weight="bold"' : '';
      const fill = i === 1 ? ' fill="#475569"' : '';
      out.push(`<text x="${b.x + 12}" y="${b.y + 20 + i * 16}"${weight}${fill}>${xml(line)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
