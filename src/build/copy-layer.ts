/**
 * COPY and ADD that missed the cache: the plan (copy.ts) staged in a temp tree with the
 * owners, modes and times it asks for, archived with tar and stored as a layer (layer.ts, as
 * any pulled layer); a local archive given to ADD is checked entry by entry, then unpacked.
 */
import type { Stats } from 'node:fs';
import { chmod, copyFile, lchown, lutimes, mkdir, open, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { extractTarball } from '../image/extract.js';
import { makeTempDir } from '../image/files.js';
import { prepareLayer } from '../image/layer.js';
import { UnpackBudget, UnpackLimitError, unpackLimits } from '../image/limits.js';
import type { PreparedLayer } from '../image/store.js';
import { detectCompression, scanTarball, UnsafeTarError } from '../image/tar-check.js';
import type { Explainer } from '../util/explain.js';
import { runTool, TAR_NOISE } from '../util/tool.js';
import type { CopyPlan, CopySpec } from './copy.js';

function ownerFor(spec: CopySpec, st: Stats): { uid: number; gid: number } {
  if (spec.owner) return spec.owner;
  return 'context' in spec.source ? { uid: 0, gid: 0 } : { uid: st.uid, gid: st.gid };
}

/** Stage the plan in a temp tree and store it as a layer (prepared, for the store to move in). */
export async function copyLayer(spec: CopySpec, plan: CopyPlan, explain: Explainer): Promise<PreparedLayer & { dir: string }> {
  const scratch = await makeTempDir('copy');
  try {
    const tree = join(scratch, 'tree');
    await mkdir(tree, { mode: 0o755 });
    const dirTimes: [string, Stats][] = [];
    for (const p of plan.parents) {
      const host = join(tree, p);
      const existing = await spec.target.lookup(p);
      if (existing?.st.isDirectory()) {
        await mkdir(host, { mode: 0o700 });
        await chmod(host, existing.st.mode & 0o7777);
        await lchown(host, existing.st.uid, existing.st.gid);
        dirTimes.push([host, existing.st]);
      } else {
        await mkdir(host, { mode: 0o700 });
        await chmod(host, spec.chmod ?? 0o755);
        const o = spec.owner ?? { uid: 0, gid: 0 };
        await lchown(host, o.uid, o.gid);
      }
    }
    for (const it of plan.items) {
      const host = join(tree, it.dest);
      const st = it.src.st;
      const o = ownerFor(spec, st);
      if (it.kind === 'dir') {
        await mkdir(host, { mode: 0o700 });
        await chmod(host, spec.chmod ?? st.mode & 0o7777);
        await lchown(host, o.uid, o.gid);
        dirTimes.push([host, st]);
      } else if (it.kind === 'file') {
        await rm(host, { recursive: true, force: true });
        await copyFile(it.src.host, host);
        await chmod(host, spec.chmod ?? st.mode & 0o7777);
        await lchown(host, o.uid, o.gid);
        await utimes(host, st.atime, st.mtime);
      } else if (it.kind === 'symlink') {
        await rm(host, { recursive: true, force: true });
        await symlink(await readlink(it.src.host), host);
        await lchown(host, o.uid, o.gid);
        await lutimes(host, st.atime, st.mtime);
      } else {
        await unpack(it.src.host, host, explain);
      }
    }
    // directory times last (writing into a dir changes its mtime), deepest first
    for (const [host, st] of dirTimes.reverse()) await utimes(host, st.atime, st.mtime);
    const tarball = join(scratch, 'layer.tar');
    const top = (await readdir(tree)).sort();
    const args = ['-c', '-f', tarball, '--format=posix', '--numeric-owner', '--xattrs', '--xattrs-include=security.capability', '--xattrs-include=user.*',
      '--pax-option=delete=atime,delete=ctime', '--sort=name', '-C', tree, ...(top.length ? top : ['--files-from=/dev/null'])];
    explain.step(`archive the ${plan.count} copied entr${plan.count === 1 ? 'y' : 'ies'} (and their parent dirs, as the image has them) as a layer`, `tar ${args.join(' ')}`);
    await runTool('tar', args, { stdout: 'ignore', label: `tar -c (${spec.keyword})`, noise: TAR_NOISE });
    const display = `the files of ${spec.keyword}`;
    return await prepareLayer(tarball, { display, budget: new UnpackBudget(await unpackLimits()), explain }).catch((err: unknown) => {
      throw err instanceof UnpackLimitError ? err.about(display, 'nothing was built') : err;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** ADD of a local archive: checked entry by entry (as import checks), then extracted at dir. */
async function unpack(file: string, dir: string, explain: Explainer): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const fh = await open(file, 'r');
  try {
    const compression = await detectCompression(fh, file);
    // what import may unpack, an ADD may too (--max-size's default: the free space less a margin)
    const limits = await unpackLimits();
    let scan;
    try {
      if (compression === 'none') new UnpackBudget(limits).addBytes((await fh.stat()).size);
      scan = await scanTarball(fh, compression, file, new UnpackBudget(limits));
    } catch (err) {
      if (err instanceof UnsafeTarError) throw new UnsafeTarError(`ADD: refusing ${file}: ${err.message}`);
      if (err instanceof UnpackLimitError) throw err.about(`ADD ${file}`, 'nothing was built');
      throw err;
    }
    await extractTarball(fh.fd, file, dir, compression, scan.tarBytes, explain);
  } finally {
    await fh.close();
  }
}
