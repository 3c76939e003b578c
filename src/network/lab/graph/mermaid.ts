/** Mermaid flowchart: renders in GitHub/GitLab markdown inside a ```mermaid block. */
import { KIND_TEXT, type Graph } from './model.js';

const text = (s: string): string => s.replace(/"/g, '#quot;');

export function renderMermaid(g: Graph): string {
  const ids = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ['flowchart LR'];
  for (const n of g.nodes) {
    const label = text([n.label, `(${KIND_TEXT[n.kind]})`, ...n.details].join('<br/>'));
    const id = ids.get(n.id)!;
    lines.push(n.kind === 'bridge' || n.kind === 'ovs' ? `  ${id}[["${label}"]]` : `  ${id}("${label}")`);
  }
  for (const e of g.edges) {
    const a = ids.get(e.from);
    const b = ids.get(e.to);
    if (!a || !b) continue;
    const label = text(`${e.fromLabel} — ${e.toLabel}${e.note ? ` (${e.note})` : ''}`);
    lines.push(`  ${a} ---|"${label}"| ${b}`);
  }
  return lines.join('\n') + '\n';
}
