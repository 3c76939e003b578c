/**
 * Deletions in layers: the two ways to say "this file is gone".
 *
 *   OCI / Docker layer tar            overlayfs (a layer's diff dir, a container's upper dir)
 *   ----------------------            -------------------------------------------------------
 *   dir/.wh.NAME  (empty file)        dir/NAME: a character device 0:0   (mknod NAME c 0 0)
 *   dir/.wh..wh..opq (empty file)     dir with xattr trusted.overlay.opaque=y
 *                                     (setfattr -n trusted.overlay.opaque -v y dir)
 *
 * A registry layer (or a committed one) is extracted as it is, then its OCI whiteouts are
 * turned into overlay whiteouts, so that overlayfs, given the diff dirs as lower layers, hides
 * what a layer deleted. `commit` goes the other way (overlayChanges below).
 *
 * Node has no mknod(2) nor setxattr(2): the coreutils and attr commands do it, one per
 * whiteout (layers have few), and --explain prints each as it runs, from its own argv.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MinictrError } from '../errors.js';
import type { Explainer } from '../util/explain.js';
import { hostCommand } from '../util/host-command.js';
import { runTool } from '../util/tool.js';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from './tar-check.js';

export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** -h: the xattr goes on the directory itself, never through a symlink */
const opaque = (dir: string, explain: Explainer, why: string): Promise<unknown> =>
  hostCommand('setfattr', ['-h', '-n', OPAQUE_XATTR, '-v', 'y', dir], { explain, why });

/**
 * Turn the OCI whiteouts of an extracted layer into overlay whiteouts. `whiteouts` are the
 * paths tar-check found (relative to diff, already checked: no "..", no symlinked parents).
 */
export async function applyWhiteouts(diff: string, whiteouts: string[], explain: Explainer): Promise<void> {
  for (const rel of whiteouts) {
    const marker = join(diff, rel);
    const dir = dirname(marker);
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    const st = await lstat(marker).catch(() => undefined);
    if (!st?.isFile()) continue; // listed twice, or replaced later in the archive
    await rm(marker);
    if (base === OPAQUE_WHITEOUT) {
      await opaque(dir, explain, `opaque directory ${dirname(rel)}: hide what lower layers have in it`);
      continue;
    }
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name.startsWith(WHITEOUT_PREFIX)) continue; // other .wh..wh. metadata: not a deletion
    const target = join(dir, name);
    const existing = await lstat(target).catch(() => undefined);
    if (existing) {
      // The layer deleted NAME and made it anew: what it made wins, and a directory made anew
      // must not show what the lower layers had in it.
      if (existing.isDirectory()) await opaque(target, explain, `${name} was deleted and made anew in this layer: hide what lower layers had in it`);
      continue;
    }
    await hostCommand('mknod', ['-m', '000', target, 'c', '0', '0'], { explain, why: `whiteout ${rel}: ${name} is deleted in this layer` });
  }
}

/** What commit takes from a container's upper dir. */
export interface OverlayChanges {
  /** Paths relative to upper, parents before children, to archive as they are. */
  entries: string[];
  /** OCI whiteout files to add (".wh.NAME", ".wh..wh..opq"), relative paths. */
  markers: string[];
}

/** Parse `getfattr -d` output: "# file: PATH" then NAME="VALUE" lines. */
function parseGetfattr(out: string, root: string): Map<string, Map<string, string>> {
  const byPath = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  // getfattr escapes unusual bytes in names as \ooo (octal)
  const unescape = (s: string): string =>
    Buffer.from(s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), 'latin1').toString('utf8');
  for (const line of out.split('\n')) {
    if (line.startsWith('# file: ')) {
      const abs = unescape(line.slice(8));
      const rel = abs === root ? '' : abs.startsWith(`${root}/`) ? abs.slice(root.length + 1) : abs;
      current = new Map();
      byPath.set(rel, current);
      continue;
    }
    const m = /^([^=]+)(?:="(.*)")?$/.exec(line);
    if (m && current) current.set(m[1]!, m[2] ?? '');
  }
  return byPath;
}

/**
 * Walk a container's upper dir: which entries to archive, and which deletions to record as
 * OCI whiteouts. `skip` are runtime mount points (/proc, /etc/hosts...) that the runtime
 * created empty and that are not the user's changes. A directory that overlayfs only copied up
 * to hold such a mount point (same owner and mode as in the image, nothing else changed in it)
 * is left out too; `lower` are the image's layer dirs, top first.
 */
export async function overlayChanges(
  upper: string,
  lower: string[],
  skip: (rel: string, isEmpty: boolean) => boolean,
): Promise<OverlayChanges> {
  // exit status 1 with output: some entries have no xattrs at all, which is fine
  const r = await runTool('getfattr', ['-R', '-P', '--absolute-names', '-m', '^trusted\\.overlay\\.', '-d', upper], { allowFailure: true });
  const xattrs = parseGetfattr(r.stdout, upper);
  for (const [rel, attrs] of xattrs) {
    for (const name of attrs.keys()) {
      if (name === 'trusted.overlay.redirect' || name === 'trusted.overlay.metacopy') {
        throw new MinictrError(
          `cannot commit: ${rel || '/'} uses overlayfs ${name.slice(16)} (a renamed directory or metadata-only copy), which a layer tarball cannot express`,
        );
      }
    }
  }
  /** The same directory in the image, unchanged but for its mtime? */
  const sameAsImage = async (rel: string, st: Stats): Promise<boolean> => {
    for (const dir of lower) {
      const l = await lstat(join(dir, rel)).catch(() => undefined);
      if (!l) continue;
      if (l.isCharacterDevice() && l.rdev === 0) return false; // deleted in the image
      return l.isDirectory() && l.mode === st.mode && l.uid === st.uid && l.gid === st.gid;
    }
    return false;
  };
  const markers: string[] = [];
  const walk = async (rel: string): Promise<string[]> => {
    const out: string[] = [];
    const names = (await readdir(join(upper, rel))).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(upper, path));
      if (st.isCharacterDevice() && st.rdev === 0) {
        markers.push(rel ? `${rel}/${WHITEOUT_PREFIX}${name}` : `${WHITEOUT_PREFIX}${name}`);
        out.push(''); // something changed here (the marker is listed separately)
        continue;
      }
      if (!st.isDirectory()) {
        if (!skip(path, st.size === 0)) out.push(path);
        continue;
      }
      const opaque = xattrs.get(path)?.get(OPAQUE_XATTR) === 'y';
      const children = await walk(path);
      const empty = (await readdir(join(upper, path))).length === 0;
      if (skip(path, empty)) continue;
      if (children.length === 0 && !opaque && !empty && (await sameAsImage(path, st))) continue;
      out.push(path, ...children);
      if (opaque) markers.push(`${path}/${OPAQUE_WHITEOUT}`);
    }
    return out;
  };
  const entries = (await walk('')).filter((e) => e !== '');
  return { entries, markers };
}

/** The opaque directories of a layer dir (trusted.overlay.opaque=y), relative paths. */
export async function opaqueDirs(dir: string): Promise<Set<string>> {
  const r = await runTool('getfattr', ['-R', '-P', '--absolute-names', '-m', '^trusted\\.overlay\\.opaque$', '-d', dir], { allowFailure: true });
  const out = new Set<string>();
  for (const [rel, attrs] of parseGetfattr(r.stdout, dir)) if (attrs.get(OPAQUE_XATTR) === 'y') out.add(rel);
  return out;
}
