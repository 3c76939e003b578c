/**
 * What a stored layer is known as on the wire: the gzip blobs (digest, size) it was pulled as or
 * pushed as, and the repository each is in, in layers/<digest>/blobs.json. A registry that has
 * the blob already (HEAD) or can mount it from another repository is not sent it again, and
 * nothing is compressed for it. Only a cache: a missing or unreadable file means "none known".
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from './files.js';
import { layerDir } from './store.js';

/** A compressed form of a layer known to exist somewhere. */
export interface BlobForm {
  digest: string;
  size: number;
  /** "registry/repository" it was pulled from or pushed to */
  from?: string;
}

interface BlobsFile {
  gzip?: BlobForm[];
}

const KEEP_FORMS = 16;

/** The gzip blobs this layer is known as (newest first). */
export async function knownBlobs(digest: string): Promise<BlobForm[]> {
  try {
    const f = JSON.parse(await readFile(join(layerDir(digest), 'blobs.json'), 'utf8')) as BlobsFile;
    return (f.gzip ?? []).filter((b) => typeof b.digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(b.digest) && Number.isSafeInteger(b.size));
  } catch {
    return []; // none yet, or unreadable: it is only a cache
  }
}

/** Remember that the layer exists as this gzip blob (in that repository). */
export async function rememberBlob(digest: string, form: BlobForm): Promise<void> {
  const forms = [form, ...(await knownBlobs(digest)).filter((b) => !(b.digest === form.digest && b.from === form.from))].slice(0, KEEP_FORMS);
  // the layer may be removed meanwhile (rmi): a cache not written is no loss
  await writeJsonAtomic(join(layerDir(digest), 'blobs.json'), { gzip: forms } satisfies BlobsFile).catch(() => undefined);
}
