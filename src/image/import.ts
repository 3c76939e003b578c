/**
 * `minictr import FILE NAME[:TAG]`: a rootfs tarball becomes a one-layer image.
 *
 *   1. check the name (nothing is touched if it is invalid);
 *   2. pass 1 (tar-check.ts): read every header, refuse tar-slip, compute the layer digest;
 *   3. pass 2 (extract.ts): GNU tar extracts into a temp dir under $MINICTR_ROOT/tmp;
 *   4. commit (store.ts): rename the temp dir to layers/<digest>, write the image and its tag.
 * Any failure removes the temp dir, so a failed import leaves the store as it was; a killed
 * import leaves a temp dir that the next import or rmi sweeps away.
 *
 * What the tarball may unpack is bounded (limits.ts): bytes (--max-size, default the free
 * space less a margin) and entries, counted in pass 1 as the stream is decompressed, before
 * anything is written; pass 2 feeds tar no more than pass 1 counted.
 */
import { constants } from 'node:fs';
import { open, mkdir, rm, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MinictrError, NotFoundError, UsageError } from '../errors.js';
import { paths } from '../paths.js';
import { silent, type Explainer } from '../util/explain.js';
import { formatBytes } from '../util/size.js';
import { DEFAULT_PATH } from '../spec/config.js';
import { extractTarball } from './extract.js';
import { makeTempDir, sweepStaleTemp } from './files.js';
import { UnpackBudget, UnpackLimitError, unpackLimits } from './limits.js';
import { parseReference, tagKey } from './reference.js';
import { commitImage, layerDir, layerExists, type ImageConfig, type ImageRecord } from './store.js';
import { detectCompression, scanTarball, UnsafeTarError } from './tar-check.js';

export interface ImportOptions {
  /** The image config; default: just a PATH. */
  config?: ImageConfig;
  explain?: Explainer;
  /** --max-size: the most bytes the tarball may unpack to, e.g. "500M" (default: limits.ts) */
  maxSize?: string;
}

export const DEFAULT_IMPORT_CONFIG: ImageConfig = { Env: [`PATH=${DEFAULT_PATH}`] };

export async function importTarball(file: string, name: string, opts: ImportOptions = {}): Promise<ImageRecord> {
  const explain = opts.explain ?? silent;
  const ref = parseReference(name);
  if (ref.digest) throw new UsageError(`import needs NAME[:TAG], not a digest: ${name}`);
  const key = tagKey(ref);

  const limits = await unpackLimits(opts.maxSize);
  const budget = new UnpackBudget(limits);
  const fh = await openTarball(file);
  let tmp: string | undefined;
  try {
    const compression = await detectCompression(fh, file);
    explain.step(
      `check every entry of ${file} (${compression === 'none' ? 'tar' : `${compression}-compressed tar`}): no "..", no absolute path, nothing through a symlink`,
      `${{ xz: 'xz -dc', zstd: 'zstd -dc', gzip: 'gzip -dc', none: 'cat' }[compression]} ${file} | tee >(sha256sum) | tar -tv`,
    );
    explain.note(`it may unpack to at most ${formatBytes(limits.maxBytes)} (${limits.bytesSource}) and ${limits.maxEntries} entries`);
    let scan;
    try {
      // a plain tar is as big as its file: refused before a byte is read
      if (compression === 'none') new UnpackBudget(limits).addBytes((await fh.stat()).size);
      scan = await scanTarball(fh, compression, file, budget);
    } catch (err) {
      if (err instanceof UnsafeTarError) throw new UnsafeTarError(`refusing to import ${file}: ${err.message}`);
      if (err instanceof UnpackLimitError) throw err.about(file, 'nothing was imported');
      throw err;
    }
    explain.note(`${scan.entries} entries; layer digest ${scan.digest} (sha256 of the uncompressed tar)`);

    if (layerExists(scan.digest)) {
      explain.note(`layer ${scan.digest.slice(7, 19)} is already stored: nothing to extract`);
    } else {
      await sweepStaleTemp();
      tmp = await makeTempDir('import');
      const diff = join(tmp, 'diff');
      await mkdir(diff, { mode: 0o755 }); // the image root's mode, unless the archive has "./"
      await extractTarball(fh.fd, file, diff, compression, scan.tarBytes, explain);
      explain.step('move the layer into the store (atomic rename)', `mv ${tmp} ${layerDir(scan.digest)}`);
    }
    const config = opts.config ?? DEFAULT_IMPORT_CONFIG;
    const layer = tmp ? { digest: scan.digest, size: scan.size, dir: tmp } : { digest: scan.digest, size: scan.size };
    const img = await commitImage(key, [layer], config, {
      history: [{ created: new Date().toISOString(), createdBy: `minictr import ${basename(file)}`, comment: 'Imported from a tarball' }],
    });
    explain.step(`tag the image ${key}`, `echo '{"${key}": "${img.id.slice(0, 12)}..."}' > ${join(paths.images(), 'tags.json')}`);
    return img;
  } finally {
    await fh.close();
    // After a successful commit the temp dir has been renamed away and this does nothing.
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Open the tarball a user named: a regular file, checked on the open file (O_NONBLOCK, so a
 * FIFO or a device is refused at once instead of blocking the open or the reads).
 */
async function openTarball(file: string): Promise<FileHandle> {
  if (file === '-') throw new UsageError("import reads a file, not stdin ('-'): save the tarball to a file first");
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new NotFoundError(`no such file: ${file}`);
    throw new MinictrError(`cannot open ${file}: ${err.message}`);
  });
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new UsageError(`${file} is not a regular file (expected a .tar, .tar.gz, .tar.xz or .tar.zst)`);
  }
  return fh;
}
