/**
 * `minictr images`: the table docker prints, one row per tag (dangling images as <none>).
 * A store file that cannot be read is reported, one line each, and the rest is listed.
 */
import { parseReference, splitTagKey, tagKey } from './reference.js';
import { scanImages } from './store.js';
import { humanDuration, humanSize, table } from '../util/format.js';

export interface ImagesOptions {
  /** Only this REPOSITORY or REPOSITORY:TAG. */
  repository?: string;
  quiet?: boolean;
  noTrunc?: boolean;
}

export interface ImagesOutput {
  /** the table (or the IDs, with quiet) */
  text: string;
  /** one line per broken store file, for stderr */
  warnings: string[];
  /** true when there were broken files and not one image could be read: the listing failed */
  failed: boolean;
}

export async function formatImages(opts: ImagesOptions = {}): Promise<ImagesOutput> {
  const filter = opts.repository ? parseReference(opts.repository) : undefined;
  const now = Date.now();
  const rows: string[][] = [];
  const { images, broken } = await scanImages();
  const warnings = broken.map((b) => b.message);
  const failed = broken.length > 0 && images.length === 0;
  for (const img of images) {
    const id = opts.noTrunc ? `sha256:${img.id}` : img.id.slice(0, 12);
    const age = `${humanDuration(now - Date.parse(img.created))} ago`;
    const names = img.tags.length ? img.tags.map(splitTagKey) : [{ name: '<none>', tag: '<none>' }];
    for (const { name, tag } of names) {
      if (filter && (filter.name !== name || (filter.tag !== undefined && tagKey(filter) !== `${name}:${tag}`))) continue;
      rows.push([name, tag, id, age, humanSize(img.size)]);
    }
  }
  if (opts.quiet) return { text: [...new Set(rows.map((r) => r[2]))].map((id) => `${id}\n`).join(''), warnings, failed };
  return { text: table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows), warnings, failed };
}
