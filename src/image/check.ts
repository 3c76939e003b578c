/**
 * The image store's part of `minictr system check`: every store file minictr cannot use, with
 * what is wrong and what the user can do about it. Reads only; nothing is changed or removed.
 *
 *  - the store directory itself (a file, or unreadable);
 *  - images/tags.json that cannot be parsed, and tags pointing at an image that is not stored;
 *  - image records (images/<id>.json) that cannot be parsed or fail their checks, and records
 *    whose layers are missing;
 *  - layer dirs without a readable layer.json or without diff/, and strays in layers/.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { paths } from '../paths.js';
import type { BrokenRecord } from '../util/broken.js';
import { BrokenImageFileError, layerDir, readLayerMeta, readTags, recordPath, scanRecords, StoreUnreadableError, tagsFile, type RecordScan } from './store.js';

const short = (id: string): string => id.slice(0, 12);

export async function checkImageStore(): Promise<BrokenRecord[]> {
  const out: BrokenRecord[] = [];
  let scan: RecordScan;
  try {
    scan = await scanRecords();
  } catch (err) {
    if (!(err instanceof StoreUnreadableError)) throw err;
    return [{ kind: 'image store', path: paths.images(), problem: err.message, fix: `move what is at ${paths.images()} (or above it) out of the way; minictr makes the directory again` }];
  }

  let tags: Record<string, string> | undefined;
  try {
    tags = await readTags();
  } catch (err) {
    if (!(err instanceof BrokenImageFileError)) throw err;
    out.push(err.record);
  }
  const stored = new Set(scan.ids);
  for (const [key, id] of Object.entries(tags ?? {})) {
    if (!stored.has(id)) {
      out.push({ kind: 'image tags', path: tagsFile(), problem: `the tag ${key} points to image ${short(id)}, which is not stored`, fix: "'minictr system prune' removes the tag" });
    }
  }

  const usedBy = new Map<string, string[]>();
  for (const b of scan.broken) out.push(b.record);
  for (const [id, r] of scan.records) {
    for (const l of r.layers) usedBy.set(l, [...(usedBy.get(l) ?? []), short(id)]);
    const missing = [...new Set(r.layers)].filter((l) => !existsSync(join(layerDir(l), 'diff')));
    for (const l of missing) {
      out.push({
        kind: 'image',
        path: recordPath(id),
        problem: `its layer ${join(layerDir(l), 'diff')} is missing`,
        fix: `'minictr rmi ${short(id)}', then pull or import the image again`,
      });
    }
  }

  const layerNames = await readdir(paths.layers()).catch(() => [] as string[]);
  for (const name of layerNames.sort()) {
    const path = join(paths.layers(), name);
    if (!/^[0-9a-f]{64}$/.test(name)) {
      out.push({ kind: 'layer', path, problem: 'not a layer: its name is not a sha256 digest', fix: 'move it out of the store' });
      continue;
    }
    const digest = `sha256:${name}`;
    const users = usedBy.get(digest);
    const fix = users
      ? `it is used by image ${users.join(', ')}: 'minictr rmi' them, then pull or import them again`
      : "no image uses it: 'minictr system prune' removes it";
    try {
      if (!(await readLayerMeta(digest))) out.push({ kind: 'layer', path: join(path, 'layer.json'), problem: 'it is missing', fix });
    } catch (err) {
      if (!(err instanceof BrokenImageFileError)) throw err;
      out.push({ ...err.record, fix });
    }
    if (!existsSync(join(path, 'diff'))) out.push({ kind: 'layer', path, problem: 'its diff/ directory is missing', fix });
  }
  return out;
}
