/**
 * The image store's part of `minictr system prune`: what interrupted image commands (pull,
 * import, commit, export, rmi killed with SIGKILL, or a crash) left behind.
 *
 *  - temp dirs under $MINICTR_ROOT/tmp whose owning process is gone (downloads, extractions);
 *  - layers no image refers to (a commit killed between moving its layers in and writing the
 *    image record);
 *  - half-written JSON files (*.tmp-PID-*) of dead processes;
 *  - tags pointing at an image that is not stored.
 *
 * Tagged and dangling images are kept: they are the user's, not leftovers.
 */
import { readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { paths } from '../paths.js';
import { makeTempDir, sweepStaleTemp, writeJsonAtomic } from './files.js';
import { withStoreLock } from './store.js';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/** Remove the image store's leftovers; returns what was removed, one description each. */
export async function pruneImageStore(): Promise<string[]> {
  const removed = (await sweepStaleTemp()).map((t) => `temp dir ${t} (interrupted command)`);
  const doomed: string[] = [];
  await withStoreLock(async () => {
    // half-written JSON files of dead writers (writeJsonAtomic: NAME.tmp-PID-HEX)
    for (const dir of [paths.images(), ...(await names(paths.layers())).map((h) => join(paths.layers(), h))]) {
      for (const n of await names(dir)) {
        const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(n);
        if (m && !pidAlive(Number(m[1]))) {
          await unlink(join(dir, n)).catch(() => undefined);
          removed.push(`partial file ${join(dir, n)}`);
        }
      }
    }
    const images = new Map<string, string[]>();
    for (const n of await names(paths.images())) {
      if (!/^[0-9a-f]{64}\.json$/.test(n)) continue;
      try {
        const img = JSON.parse(await readFile(join(paths.images(), n), 'utf8')) as { layers: string[] };
        images.set(n.slice(0, 64), img.layers);
      } catch {
        /* unreadable: leave it for a human to look at */
        images.set(n.slice(0, 64), []);
      }
    }
    const used = new Set([...images.values()].flat().map((d) => d.replace(/^sha256:/, '')));
    for (const hex of await names(paths.layers())) {
      if (used.has(hex)) continue;
      const trash = await makeTempDir('prune');
      await rename(join(paths.layers(), hex), join(trash, 'layer'));
      doomed.push(trash);
      removed.push(`layer sha256:${hex.slice(0, 12)} (used by no image)`);
    }
    const tagsFile = join(paths.images(), 'tags.json');
    let tags: Record<string, string> | undefined;
    try {
      tags = JSON.parse(await readFile(tagsFile, 'utf8')) as Record<string, string>;
    } catch {
      tags = undefined;
    }
    if (tags) {
      const dangling = Object.keys(tags).filter((k) => !images.has(tags![k]!));
      for (const k of dangling) {
        delete tags[k];
        removed.push(`tag ${k} (its image is gone)`);
      }
      if (dangling.length) await writeJsonAtomic(tagsFile, tags);
    }
  });
  for (const d of doomed) await rm(d, { recursive: true, force: true });
  return removed;
}
