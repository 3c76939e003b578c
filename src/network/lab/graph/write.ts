/** Pick the renderer from the output file's extension (.svg, .dot/.gv, .mmd/.mermaid). */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { UsageError } from '../../../errors.js';
import { renderDot } from './dot.js';
import { renderMermaid } from './mermaid.js';
import type { Graph } from './model.js';
import { renderSvg } from './svg.js';

export type GraphFormat = 'svg' | 'dot' | 'mmd';

export function formatOf(file: string): GraphFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.dot' || ext === '.gv') return 'dot';
  if (ext === '.mmd' || ext === '.mermaid') return 'mmd';
  throw new UsageError(`${file}: unknown picture format "${ext}" (use .svg, .dot or .mmd)`);
}

export function render(g: Graph, format: GraphFormat): string {
  return format === 'svg' ? renderSvg(g) : format === 'dot' ? renderDot(g) : renderMermaid(g);
}

export function writeGraph(g: Graph, file: string): void {
  writeFileSync(file, render(g, formatOf(file)));
}
