/** Graphviz DOT: `dot -Tpng lab.dot > lab.png` where graphviz is installed. */
import { KIND_TEXT, type Graph } from './model.js';

const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function renderDot(g: Graph): string {
  const lines = [`graph ${q(g.title)} {`, '  rankdir=LR;', '  node [shape=box, style="rounded,filled", fontname="monospace", fillcolor="#dbeafe"];', '  edge [fontname="monospace", fontsize=10];'];
  const node = (n: Graph['nodes'][number], indent: string): void => {
    const label = [n.label, `(${KIND_TEXT[n.kind]})`, ...n.details].join('\\n');
    const style = n.kind === 'bridge' ? ', shape=box, style=filled, fillcolor="#fde68a"' : n.kind === 'ovs' ? ', shape=box, style=filled, fillcolor="#bbf7d0"' : '';
    lines.push(`${indent}${q(n.id)} [label=${q(label).replace(/\\\\n/g, '\\n')}${style}];`);
  };
  // each machine of a lab across machines is a cluster: a frame with its name and address
  (g.machines ?? []).forEach((m, i) => {
    lines.push(`  subgraph cluster_${i} {`, `    label=${q(`${m.name} ${m.address}`)}; style=dashed;`);
    for (const n of g.nodes) if (n.machine === m.name) node(n, '    ');
    lines.push('  }');
  });
  const framed = new Set((g.machines ?? []).map((m) => m.name));
  for (const n of g.nodes) if (!n.machine || !framed.has(n.machine)) node(n, '  ');
  for (const e of g.edges) {
    const note = (e.note ? `, label=${q(e.note)}` : '') + (e.tunnel ? ', style=dashed' : '');
    lines.push(`  ${q(e.from)} -- ${q(e.to)} [taillabel=${q(e.fromLabel)}, headlabel=${q(e.toLabel)}${note}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
