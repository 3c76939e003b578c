/**
 * `minictr export CTR -o FILE`: the container's filesystem as one flat tarball (docker export):
 * its image layers and its own changes merged, deletions applied, as `import` reads it back.
 *
 * The merged view is an overlay mounted read-only (the container's upper dir and the image
 * layers, all as lower dirs: no upper, so nothing can change) in a private mount namespace of
 * a child process, `unshare -m`, which then becomes tar. The mount exists only in that
 * namespace: when tar exits, or is killed, the namespace and the mount are gone with it, so
 * export can never leave a mount behind on the host.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool, TAR_NOISE } from '../util/tool.js';
import { UsageError } from '../errors.js';
import { silent, type Explainer } from '../util/explain.js';
import { makeTempDir, sweepStaleTemp } from './files.js';
import { resolveImage } from './resolve.js';
import { layerDirs } from './store.js';

export interface ExportOptions {
  /** Output file; undefined: stdout (refused on a terminal, like docker). */
  output?: string;
  explain?: Explainer;
}

// Inside the new mount namespace: mount, then become tar. "$1" lowerdir, "$2" mount point.
const SCRIPT =
  'mount -t overlay overlay -o "ro,lowerdir=$1" "$2" && exec tar -c --format=posix --numeric-owner ' +
  '--xattrs --xattrs-include=security.capability --xattrs-include=user.* --pax-option=delete=atime,delete=ctime -C "$2" .';

export async function exportContainer(container: { config: { name: string; imageId: string }; dir: string }, opts: ExportOptions = {}): Promise<void> {
  const explain = opts.explain ?? silent;
  if (opts.output === undefined && process.stdout.isTTY) {
    throw new UsageError('refusing to write a tarball to a terminal: use -o FILE or redirect the output');
  }
  const image = await resolveImage(container.config.imageId);
  const lower = [join(container.dir, 'upper'), ...layerDirs(image)];
  await sweepStaleTemp();
  const scratch = await makeTempDir('export');
  const mnt = join(scratch, 'rootfs');
  await mkdir(mnt);
  const lowerdir = lower.join(':');
  explain.step(
    'mount the merged view read-only in a private mount namespace and archive it',
    `unshare -m sh -c 'mount -t overlay overlay -o ro,lowerdir=${lowerdir} ${mnt} && tar -c -C ${mnt} .'${opts.output ? ` > ${opts.output}` : ''}`,
  );
  let ok = false;
  try {
    await runTool('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', SCRIPT, 'minictr-export', lowerdir, mnt], {
      stdout: opts.output ? { file: opts.output } : 'inherit',
      label: `export ${container.config.name}`,
      noise: TAR_NOISE,
    });
    ok = true;
  } finally {
    await rm(scratch, { recursive: true, force: true });
    if (!ok && opts.output) await rm(opts.output, { force: true });
  }
}
