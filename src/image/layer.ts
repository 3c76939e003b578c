/**
 * A layer tarball (from a registry, or made by commit) becomes a layer dir ready for the
 * store: the same two passes as import (tar-check.ts, then GNU tar), then its OCI whiteouts
 * become overlay whiteouts (whiteout.ts). Everything happens in an owned temp dir; the store
 * moves it into layers/<digest> when the image is committed.
 */
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MinictrError } from '../errors.js';
import { silent, type Explainer } from '../util/explain.js';
import { extractTarball } from './extract.js';
import { makeTempDir } from './files.js';
import type { PreparedLayer } from './store.js';
import { detectCompression, scanTarball, UnsafeTarError, type Compression } from './tar-check.js';
import { applyWhiteouts } from './whiteout.js';
import type { UnpackBudget } from './limits.js';

export interface PrepareOptions {
  /** The digest the uncompressed tar must have (an image config's rootfs.diff_ids entry). */
  diffId?: string;
  /** How to name the layer in errors, e.g. "layer 1a2b3c4d5e6f". */
  display: string;
  /** What this command may still unpack (limits.ts); a pull shares one among its layers. */
  budget: UnpackBudget;
  explain?: Explainer;
}

/** Refused: the data is not what its digest says. */
export class DigestMismatchError extends MinictrError {}

/**
 * Check, extract and convert the tarball at `file` (tar, tar.gz, tar.xz or tar.zst) into a
 * new temp dir holding diff/. On failure nothing is left behind. Over a limit of opts.budget it
 * throws UnpackLimitError, which the caller words (it knows what was not stored).
 */
export async function prepareLayer(file: string, opts: PrepareOptions): Promise<PreparedLayer & { dir: string; compression: Compression }> {
  const explain = opts.explain ?? silent;
  const fh = await open(file, 'r');
  let dir: string | undefined;
  try {
    const compression = await detectCompression(fh, opts.display);
    let scan;
    try {
      scan = await scanTarball(fh, compression, opts.display, opts.budget);
    } catch (err) {
      if (err instanceof UnsafeTarError) throw new UnsafeTarError(`refusing ${opts.display}: ${err.message}`);
      throw err;
    }
    if (opts.diffId && scan.digest !== opts.diffId) {
      throw new DigestMismatchError(
        `${opts.display}: its uncompressed content has digest ${scan.digest}, but the image config says ${opts.diffId}`,
      );
    }
    dir = await makeTempDir('layer');
    const diff = join(dir, 'diff');
    await mkdir(diff, { mode: 0o755 });
    await extractTarball(fh.fd, file, diff, compression, scan.tarBytes, explain);
    if (scan.whiteouts.length) {
      explain.note(`${opts.display} deletes ${scan.whiteouts.length} path(s): OCI whiteouts become overlay whiteouts`);
      await applyWhiteouts(diff, scan.whiteouts, explain);
    }
    const prepared = { digest: scan.digest, size: scan.size, dir, compression };
    dir = undefined;
    return prepared;
  } finally {
    await fh.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
