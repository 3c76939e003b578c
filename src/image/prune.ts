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
 * Tagged and dangling images are kept: they are the user's, not leftovers. Only what is proven
 * unused goes: while any image record cannot be read, no layer is removed (that image may use
 * it), and an unreadable tags.json is never rewritten. Both are reported as kept.
 */
import { readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { paths } from '../paths.js';
import { makeTempDir, sweepStaleTemp, writeJsonAtomic } from './files.js';
import { BrokenImageFileError, readTags, scanRecords, tagsFile, withStoreLock } from './store.js';

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

/** As the container part says it: system prune prints "minictr: kept " before it. */
const keptLine = (b: BrokenImageFileError): string => `${b.path}: ${b.problem} (see 'minictr system check')`;

export interface PruneReport {
  /** what was removed, one description each ("layer sha256:1a2b3c4d5e6f (used by no image)") */
  removed: string[];
  /** what was kept although it looked unused, and why: one line each, for stderr after "kept " */
  kept: string[];
}

/** Remove the image store's leftovers. */
export async function pruneImageStore(): Promise<PruneReport> {
  const removed = (await sweepStaleTemp()).map((t) => `temp dir ${t} (interrupted command)`);
  const kept: string[] = [];
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
    const scan = await scanRecords();
    for (const b of scan.broken) kept.push(keptLine(b));
    const used = new Set([...scan.records.values()].flatMap((r) => r.layers).map((d) => d.replace(/^sha256:/, '')));
    const unused = (await names(paths.layers())).filter((hex) => /^[0-9a-f]{64}$/.test(hex) && !used.has(hex));
    if (scan.broken.length) {
      if (unused.length) {
        kept.push(
          `${unused.length} layer(s) no readable image uses (${unused.map((h) => h.slice(0, 12)).join(', ')}): ` +
            `the unreadable image record(s) may use them; fix or remove those first ('minictr system check')`,
        );
      }
    } else {
      for (const hex of unused) {
        const trash = await makeTempDir('prune');
        await rename(join(paths.layers(), hex), join(trash, 'layer'));
        doomed.push(trash);
        removed.push(`layer sha256:${hex.slice(0, 12)} (used by no image)`);
      }
    }
    let tags: Record<string, string>;
    try {
      tags = await readTags();
    } catch (err) {
      if (!(err instanceof BrokenImageFileError)) throw err;
      kept.push(keptLine(err)); // and not rewritten: its tags are unknown
      return;
    }
    // a tag pointing at a broken record still has its image: only missing records count
    const stored = new Set(scan.ids);
    const dangling = Object.keys(tags).filter((k) => !stored.has(tags[k]!));
    for (const k of dangling) {
      delete tags[k];
      removed.push(`tag ${k} (its image is gone)`);
    }
    if (dangling.length) await writeJsonAtomic(tagsFile(), tags);
  });
  for (const d of doomed) await rm(d, { recursive: true, force: true });
  return { removed, kept };
}
