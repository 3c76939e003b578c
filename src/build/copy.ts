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
 * tarball and layer.ts stores it as it stores any pulled layer (copy-layer.ts: loaded only
 * when the step misses the cache, so a cached build never loads the tar and layer code).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { NotFoundError, UsageError } from '../errors.js';
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

export interface Item {
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
  const { detectCompression } = await import('../image/tar-check.js');
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
