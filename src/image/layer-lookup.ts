/**
 * A file of an image, found in its layer dirs the way overlayfs will show it, before any
 * container (and so any overlay mount) exists: `run -u alice IMAGE` needs the image's
 * /etc/passwd. The layers are looked at top first, each as a root of its own, one path
 * component at a time, as overlayfs merges them:
 *
 *   - a char device 0:0 (a whiteout) hides that name in every lower layer: a deleted
 *     /etc/passwd is not found again in the layer below;
 *   - a directory merges with the same directory of the layers below it, down to the first
 *     layer where the name is not a directory, or one where it is opaque
 *     (trusted.overlay.opaque=y: `rm -rf /etc && mkdir /etc` in a container);
 *   - anything else (a file, a symlink, a FIFO) hides the layers below;
 *   - a symlink is followed in the merged view, against the image's root (an absolute
 *     target or "../.." never leaves the image), 40 links at most, as the kernel.
 *
 * The walk itself is pure (findInLayers, over a LayerView): layerView() gives it the real
 * layer dirs through the addon, which resolves every path inside its layer dir
 * (openat2 RESOLVE_IN_ROOT) and never follows the last component, so nothing of the host
 * is ever looked at, whatever the layers hold.
 */
import { MinictrError } from '../errors.js';
import { native, type RootEntry } from '../native/index.js';

/** What findInLayers needs to know about one entry of one layer. */
export type LayerEntry = Pick<RootEntry, 'type' | 'major' | 'minor' | 'opaque' | 'target'>;

export interface LayerView {
  /** how many layers, top first: 0 is the top */
  count: number;
  /** entry `path` (relative, no "..", every parent a directory of that layer) of a layer */
  entry(layer: number, path: string): LayerEntry | undefined;
}

export interface FoundEntry {
  /** the layer that shows it */
  layer: number;
  /** its path in that layer: relative, without symlinks or ".." */
  path: string;
  entry: LayerEntry;
}

/** The kernel's limit (MAXSYMLINKS) on symlinks followed in one lookup. */
const MAX_LINKS = 40;

/** A symlink loop in the image (ELOOP). */
export class SymlinkLoopError extends MinictrError {}

export const isWhiteout = (e: LayerEntry): boolean => e.type === 'char-device' && e.major === 0 && e.minor === 0;

const components = (path: string): string[] => path.split('/').filter((p) => p !== '' && p !== '.');

/**
 * Where `path` (of the merged image, absolute or not) is, following symlinks, or undefined
 * when the image has no such path (deleted by a whiteout, below a non-directory, missing).
 * Throws a SymlinkLoopError on a symlink loop.
 */
export function findInLayers(view: LayerView, path: string): FoundEntry | undefined {
  const rootLayers: number[] = [];
  for (let l = 0; l < view.count; l++) {
    rootLayers.push(l);
    if (view.entry(l, '')?.opaque) break;
  }
  // the directory we are in: its components, and for each depth the layers that merge there
  const dir: string[] = [];
  const merged: number[][] = [rootLayers];
  let todo = components(path);
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift()!;
    if (name === '..') {
      if (dir.length > 0) {
        dir.pop();
        merged.pop();
      }
      continue;
    }
    const rel = [...dir, name].join('/');
    let found: FoundEntry | undefined;
    const dirLayers: number[] = [];
    for (const l of merged.at(-1)!) {
      const e = view.entry(l, rel);
      if (!e) continue;
      if (isWhiteout(e)) break; // deleted here: the layers below do not show it
      if (!found) found = { layer: l, path: rel, entry: e };
      if (e.type !== 'directory') break; // a non-directory hides what is below it
      dirLayers.push(l);
      if (e.opaque) break;
    }
    if (!found) return undefined;
    if (found.entry.type === 'symlink') {
      if (++links > MAX_LINKS) throw new SymlinkLoopError(`${path}: too many levels of symbolic links in the image`);
      const target = found.entry.target ?? '';
      if (target.startsWith('/')) {
        dir.length = 0;
        merged.length = 1;
      }
      todo = [...components(target), ...todo];
      continue;
    }
    if (todo.length === 0) return found;
    if (found.entry.type !== 'directory') return undefined; // ENOTDIR
    dir.push(name);
    merged.push(dirLayers);
  }
  // the path named a directory (".", "..", a symlink to a directory)
  const top = merged.at(-1)![0];
  const rel = dir.join('/');
  const entry = top === undefined ? undefined : view.entry(top, rel);
  return entry && top !== undefined ? { layer: top, path: rel, entry } : undefined;
}

/** The image's layer dirs (top first) as a LayerView, read through the addon. */
export function layerView(layerDirs: string[]): LayerView {
  const addon = native();
  return { count: layerDirs.length, entry: (layer, path) => addon.lstatInRoot(layerDirs[layer]!, path) };
}
