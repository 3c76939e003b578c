/**
 * `minictr history IMAGE`: how an image was made, newest step first (docker history): each
 * step's command, the size of the layer it made (0B for a config-only step), its comment.
 */
import { humanDuration, humanSize, table } from '../util/format.js';
import { layerSize } from './commit.js';
import { resolveImage } from './resolve.js';
import type { HistoryEntry } from './store.js';

export interface HistoryOptions {
  noTrunc?: boolean;
  quiet?: boolean;
}

export interface HistoryRow {
  /** The image id on the top row, "<missing>" below (as docker shows). */
  image: string;
  created?: string;
  createdBy: string;
  /** The layer the step made, if it made one. */
  layer?: string;
  size: number;
  comment: string;
}

export async function imageHistory(ref: string): Promise<HistoryRow[]> {
  const img = await resolveImage(ref);
  let steps: HistoryEntry[] = img.history ?? [];
  // Steps that made layers must match the layers one to one; if not, show the layers alone.
  if (steps.filter((s) => !s.emptyLayer).length !== img.layers.length) steps = img.layers.map(() => ({ created: img.created }));
  const rows: HistoryRow[] = [];
  let li = 0;
  for (const s of steps) {
    const layer = s.emptyLayer ? undefined : img.layers[li++];
    rows.push({
      image: '<missing>',
      created: s.created,
      createdBy: s.createdBy ?? '',
      layer,
      size: layer ? await layerSize(layer) : 0,
      comment: s.comment ?? '',
    });
  }
  rows.reverse();
  if (rows[0]) rows[0].image = img.id;
  return rows;
}

export async function formatHistory(ref: string, opts: HistoryOptions = {}): Promise<string> {
  const rows = await imageHistory(ref);
  if (opts.quiet) return rows.map((r) => `${opts.noTrunc ? `sha256:${r.image}` : r.image.slice(0, 12)}\n`).filter((l) => !l.startsWith('<')).join('');
  const now = Date.now();
  const cut = (s: string, n: number): string => (opts.noTrunc || s.length <= n ? s : `${s.slice(0, n - 1)}…`);
  return table(
    ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
    rows.map((r) => [
      r.image === '<missing>' ? r.image : opts.noTrunc ? `sha256:${r.image}` : r.image.slice(0, 12),
      r.created ? `${humanDuration(now - Date.parse(r.created))} ago` : '<unknown>',
      cut(r.createdBy.replace(/\s+/g, ' '), 45),
      humanSize(r.size),
      cut(r.comment, 40),
    ]),
  );
}
