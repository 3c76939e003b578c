/**
 * COPY and ADD: which files a step reads (sources matched in the context or in a stage's or
 * image's root, through RootView), their digest for the cache, and the layer they make.
 *
 *   COPY src dest        a file lands at dest, or dest/NAME when dest ends in / or is a dir
 *   COPY dir dest        the directory's contents land in dest (not the directory itself)
 *   COPY a* b dest/      wildcards (filepath.Match, per component); several sources need a dir
 *   --chown=U[:G]        owner of every copied file and new dir (names from the image's
 *                        /etc/passwd and /etc/group); else root for the context and the
 *                        source's own owner for --from
 *   --chmod=MODE         mode of every copied file and dir
 *   ADD x.tar[.gz|.xz]   a local archive is unpacked at dest, checked entry by entry first
 *                        (tar-check.ts: no .., no absolute path, nothing through a symlink)
 *
 * The layer is a staged tree: the dest's parent dirs with the metadata they have in the image
 * (so the layer does not change them), then the copied entries; tar makes it a layer
 * tarball and layer.ts stores it as it stores any pulled layer.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { chmod, copyFile, lchown, lutimes, mkdir, open, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { extractTarball } from '../image/extract.js';
import { makeTempDir } from '../image/files.js';
import { prepareLayer } from '../image/layer.js';
import { UnpackBudget, UnpackLimitError, unpackLimits } from '../image/limits.js';
import type { PreparedLayer } from '../image/store.js';
import { detectCompression, scanTarball, UnsafeTarError } from '../image/tar-check.js';
import type { Explainer } from '../util/explain.js';
import { runTool, TAR_NOISE } from '../util/tool.js';
import { hasWildcard, matchComponent, type BuildContext } from './context.js';
import { splitPath, type Entry, type RootView } from './rootfs.js';

export interface CopySpec {
  keyword: 'COPY' | 'ADD';
  /** where sources are read: the context, or a stage's or image's root */
  source: { context: BuildContext } | { view: RootView };
  sources: string[];
  /** the destination as written (relative to workdir unless absolute) */
  dest: string;
  workdir: string;
  /** the image the layer goes on (dest's parent dirs and a dest dir are looked up there) */
  target: RootView;
  /** --chown, resolved */
  owner?: { uid: number; gid: number };
  chmod?: number;
}

interface Item {
  kind: 'dir' | 'file' | 'symlink' | 'archive';
  src: Entry;
  /** path in the image, relative, clean */
  dest: string;
}

const ARCHIVE_NAME = /\.(tar|tar\.gz|tgz|tar\.xz|txz|tar\.zst|tzst)$/i;


function viewOf(spec: CopySpec): RootView {
  return 'context' in spec.source ? spec.source.context.view : spec.source.view;
}

const ignored = (spec: CopySpec, rel: string): boolean => 'context' in spec.source && spec.source.context.ignored(rel);

/** The paths a source names (wildcards expanded), resolved in its root. */
async function match(spec: CopySpec, src: string): Promise<string[]> {
  const view = viewOf(spec);
  const where = 'context' in spec.source ? 'in the build context' : 'in the --from root';
  const parts = splitPath(src);
  if (!hasWildcard(src)) {
    const rel = await view.resolve(parts.join('/'), true);
    if (!(await view.lookup(rel)) || ignored(spec, rel)) {
      throw new NotFoundError(`${spec.keyword} ${src}: not found ${where}${'context' in spec.source ? ' (or excluded by .dockerignore)' : ''}`);
    }
    return [rel];
  }
  let found = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of found) {
      if (part === '..') {
        next.push(await view.resolve(`${dir}/..`, false));
        continue;
      }
      const rdir = await view.resolve(dir, true);
      const e = await view.lookup(rdir);
      if (!e?.st.isDirectory()) continue;
      for (const name of await view.list(rdir)) {
        const rel = rdir ? `${rdir}/${name}` : name;
        if ((hasWildcard(part) ? matchComponent(part, name) : part === name) && !ignored(spec, rel)) next.push(rel);
      }
    }
    found = next;
  }
  const out: string[] = [];
  for (const f of found) out.push(await view.resolve(f, true));
  if (!out.length) throw new NotFoundError(`${spec.keyword} ${src}: no file matches ${where}`);
  return out;
}

async function walk(spec: CopySpec, rel: string, dest: string, items: Item[]): Promise<void> {
  const view = viewOf(spec);
  for (const name of await view.list(rel)) {
    const child = rel ? `${rel}/${name}` : name;
    if (ignored(spec, child)) continue;
    const e = await view.lookup(child);
    if (!e) continue;
    const d = dest ? `${dest}/${name}` : name;
    if (e.st.isDirectory()) {
      items.push({ kind: 'dir', src: e, dest: d });
      await walk(spec, child, d, items);
    } else if (e.st.isSymbolicLink()) items.push({ kind: 'symlink', src: e, dest: d });
    else if (e.st.isFile()) items.push({ kind: 'file', src: e, dest: d });
    // devices, fifos and sockets are not copied
  }
}

async function isArchive(e: Entry, name: string): Promise<boolean> {
  if (!e.st.isFile()) return false;
  const fh = await open(e.host, 'r');
  try {
    if ((await detectCompression(fh, name)) !== 'none') return true;
    const magic = Buffer.alloc(5);
    await fh.read(magic, 0, 5, 257);
    return magic.toString() === 'ustar' || ARCHIVE_NAME.test(name);
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

export interface CopyPlan {
  items: Item[];
  /** dest dirs (relative) the items need, shallowest first */
  parents: string[];
  /** sha256 of everything the step reads: paths, modes, owners, link targets and contents */
  digest: string;
  /** how many source files and dirs (for progress) */
  count: number;
}

/** What the step copies, where, and its digest; throws if a source is missing or outside. */
export async function planCopy(spec: CopySpec): Promise<CopyPlan> {
  const rawDest = spec.dest.startsWith('/') ? spec.dest : `${spec.workdir.replace(/\/+$/, '')}/${spec.dest}`;
  const wantsDir = spec.dest.endsWith('/') || spec.dest === '.' || spec.dest.endsWith('/.');
  const matched: string[] = [];
  let wild = false;
  for (const s of spec.sources) {
    if (/^[a-z]+:\/\//i.test(s)) throw new UsageError(`${spec.keyword} ${s}: URLs are not supported by minictr (download the file into the context)`);
    if (hasWildcard(s)) wild = true;
    matched.push(...(await match(spec, s)));
  }
  const dest = await spec.target.resolve(rawDest, true);
  const destEntry = await spec.target.lookup(dest);
  const destIsDir = wantsDir || Boolean(destEntry?.st.isDirectory());
  const view = viewOf(spec);
  if ((matched.length > 1 || wild) && !destIsDir) {
    throw new UsageError(`${spec.keyword} with more than one source file: the destination ${spec.dest} must be a directory and end with a /`);
  }
  const items: Item[] = [];
  for (const rel of matched) {
    const e = (await view.lookup(rel))!;
    const name = rel.split('/').pop() ?? '';
    if (e.st.isDirectory()) {
      await walk(spec, rel, dest, items);
    } else if (spec.keyword === 'ADD' && 'context' in spec.source && (await isArchive(e, name))) {
      items.push({ kind: 'archive', src: e, dest });
    } else {
      const d = destIsDir ? (dest ? `${dest}/${name}` : name) : dest;
      if (!d) throw new UsageError(`${spec.keyword}: cannot copy a file over the root directory`);
      items.push({ kind: e.st.isSymbolicLink() ? 'symlink' : 'file', src: e, dest: d });
    }
  }
  // the directories the items go in
  const parents = new Set<string>();
  const destDirOf = (it: Item): string => (it.kind === 'archive' ? it.dest : it.dest.split('/').slice(0, -1).join('/'));
  const top = destIsDir ? dest : dest.split('/').slice(0, -1).join('/');
  for (const it of [...items, { dest: top ? `${top}/x` : 'x', kind: 'file' } as Item]) {
    const parts = splitPath(destDirOf(it));
    for (let n = 1; n <= parts.length; n++) parents.add(parts.slice(0, n).join('/'));
  }
  const itemDirs = new Set(items.filter((i) => i.kind === 'dir').map((i) => i.dest));
  const parentList = [...parents].filter((p) => !itemDirs.has(p)).sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));

  const hash = createHash('sha256');
  const fromContext = 'context' in spec.source;
  for (const it of items) {
    const st = it.src.st;
    hash.update(`${it.kind}\0${it.dest}\0${st.mode}\0${fromContext ? '' : `${st.uid}:${st.gid}`}\0${st.size}\0`);
    if (it.kind === 'symlink') hash.update(await readlink(it.src.host));
    else if (it.kind === 'file' || it.kind === 'archive') {
      for await (const chunk of createReadStream(it.src.host)) hash.update(chunk as Buffer);
    }
    hash.update('\n');
  }
  hash.update(JSON.stringify(parentList));
  return { items, parents: parentList, digest: `sha256:${hash.digest('hex')}`, count: items.length };
}

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
