/** Pick the renderer from the output file's extension (.svg, .dot/.gv, .mmd/.mermaid, .json). */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { UsageError } from '../../../errors.js';
import { renderDot } from './dot.js';
import { renderJson } from './json.js';
import { renderMermaid } from './mermaid.js';
import type { Graph } from './model.js';
import { renderSvg } from './svg.js';

export type GraphFormat = 'svg' | 'dot' | 'mmd' | 'json';

export function formatOf(file: string): GraphFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.dot' || ext === '.gv') return 'dot';
  if (ext === '.mmd' || ext === '.mermaid') return 'mmd';
  if (ext === '.json') return 'json';
  throw new UsageError(`${file}: unknown picture format "${ext}" (use .svg, .dot, .mmd or .json)`);
}

export function render(g: Graph, format: GraphFormat): string {
  return format === 'svg' ? renderSvg(g) : format === 'dot' ? renderDot(g) : format === 'json' ? renderJson(g) : renderMermaid(g);
}

export function writeGraph(g: Graph, file: string): void {
  writeFileSync(file, render(g, formatOf(file)));
}
