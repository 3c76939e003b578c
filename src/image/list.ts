/** `minictr images`: the table docker prints, one row per tag (dangling images as <none>). */
import { parseReference, splitTagKey, tagKey } from './reference.js';
import { listImages } from './store.js';
import { humanDuration, humanSize, table } from '../util/format.js';

export interface ImagesOptions {
  /** Only this REPOSITORY or REPOSITORY:TAG. */
  repository?: string;
  quiet?: boolean;
  noTrunc?: boolean;
}

export async function formatImages(opts: ImagesOptions = {}): Promise<string> {
  const filter = opts.repository ? parseReference(opts.repository) : undefined;
  const now = Date.now();
  const rows: string[][] = [];
  for (const img of await listImages()) {
    const id = opts.noTrunc ? `sha256:${img.id}` : img.id.slice(0, 12);
    const age = `${humanDuration(now - Date.parse(img.created))} ago`;
    const names = img.tags.length ? img.tags.map(splitTagKey) : [{ name: '<none>', tag: '<none>' }];
    for (const { name, tag } of names) {
      if (filter && (filter.name !== name || (filter.tag !== undefined && tagKey(filter) !== `${name}:${tag}`))) continue;
      rows.push([name, tag, id, age, humanSize(img.size)]);
    }
  }
  if (opts.quiet) return [...new Set(rows.map((r) => r[2]))].map((id) => `${id}\n`).join('');
  return table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows);
}
