/** Mermaid flowchart: renders in GitHub/GitLab markdown inside a ```mermaid block. */
import { KIND_TEXT, type Graph } from './model.js';

const text = (s: string): string => s.replace(/"/g, '#quot;');

export function renderMermaid(g: Graph): string {
  const ids = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ['flowchart LR'];
  const node = (n: Graph['nodes'][number], indent: string): void => {
    const label = text([n.label, `(${KIND_TEXT[n.kind]})`, ...n.details].join('<br/>'));
    const id = ids.get(n.id)!;
    lines.push(n.kind === 'bridge' || n.kind === 'ovs' ? `${indent}${id}[["${label}"]]` : `${indent}${id}("${label}")`);
  };
  // each machine of a lab across machines is a subgraph
  (g.machines ?? []).forEach((m, i) => {
    lines.push(`  subgraph m${i}["${text(`${m.name} ${m.address}`)}"]`);
    for (const n of g.nodes) if (n.machine === m.name) node(n, '    ');
    lines.push('  end');
  });
  const framed = new Set((g.machines ?? []).map((m) => m.name));
  for (const n of g.nodes) if (!n.machine || !framed.has(n.machine)) node(n, '  ');
  for (const e of g.edges) {
    const a = ids.get(e.from);
    const b = ids.get(e.to);
    if (!a || !b) continue;
    const label = text(`${e.fromLabel} — ${e.toLabel}${e.note ? ` (${e.note})` : ''}`);
    lines.push(e.tunnel ? `  ${a} -.-|"${label}"| ${b}` : `  ${a} ---|"${label}"| ${b}`);
  }
  return lines.join('\n') + '\n';
}
