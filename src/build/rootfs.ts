/**
 * A read-only view of a root filesystem made of directories stacked as overlayfs stacks them
 * (top first): what a stage or an image looks like from inside, read on the host without
 * mounting anything. COPY --from reads its files through it, COPY and ADD find their
 * destination through it, and the build context is the same view of one directory.
 *
 *   a path is the topmost layer's entry; a whiteout (char device 0:0) there means "deleted";
 *   a layer's opaque directory (trusted.overlay.opaque=y) or a non-directory hides what lower
 *   layers have below it;
 *   symlinks resolve inside the root, never on the host: an absolute target starts at the
 *   root, ".." stops there (clamp, as in a container) or is refused (the build context: a
 *   COPY source never leaves it).
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MinictrError } from '../errors.js';

export interface Entry {
  /** where the entry is on the host (in one of the layers) */
  host: string;
  st: Stats;
}

/** A path that would lead out of the view's root (the build context). */
export class EscapeError extends MinictrError {}

export interface ViewOptions {
  /** char devices 0:0 are deletions and opaque dirs hide lower layers (image layers) */
  layers: boolean;
  /** a symlink out of the root: followed from the root (clamp) or refused (refuse) */
  escape: 'clamp' | 'refuse';
  /** how errors name the view: "the build context", "stage builder" */
  name: string;
}

const MAX_LINKS = 40;

export const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

/** "a//b/./c/" -> ["a", "b", "c"] (".." kept for the caller to judge). */
export function splitPath(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

export class RootView {
  private readonly opaque = new Map<string, Promise<Set<string>>>();

  /** dirs: the layers, top first (one dir for a plain tree; none for scratch) */
  constructor(
    readonly dirs: readonly string[],
    readonly opts: ViewOptions,
  ) {}

  private opaqueIn(dir: string): Promise<Set<string>> {
    let p = this.opaque.get(dir);
    if (!p) {
      // imported here: whiteout.ts brings the tar code, which a build whose steps all come
      // from the cache (and read no layer) never needs
      p = import('../image/whiteout.js').then((w) => w.opaqueDirs(dir));
      this.opaque.set(dir, p);
    }
    return p;
  }

  /** Does this layer hide lower layers' `rel` (an ancestor deleted, not a dir, or opaque)? */
  private async hides(dir: string, parts: string[], last: boolean): Promise<boolean> {
    if (!this.opts.layers || last) return false;
    for (let i = parts.length - 1; i >= 1; i--) {
      const st = await lstat(join(dir, parts.slice(0, i).join('/'))).catch(() => undefined);
      if (!st) continue;
      if (!st.isDirectory()) return true; // a file, a link or a whiteout replaced the directory
      // the nearest ancestor present is a directory: lower layers show unless it, or one
      // above it, is opaque
      const opaque = await this.opaqueIn(dir);
      for (let j = i; j >= 1; j--) if (opaque.has(parts.slice(0, j).join('/'))) return true;
      return false;
    }
    return false;
  }

  /** The entry at rel (not following a symlink there), or undefined. rel "" is the root. */
  async lookup(rel: string): Promise<Entry | undefined> {
    const parts = splitPath(rel);
    const path = parts.join('/');
    for (let i = 0; i < this.dirs.length; i++) {
      const dir = this.dirs[i]!;
      const host = path ? join(dir, path) : dir;
      const st = await lstat(host).catch(() => undefined);
      if (st) {
        if (this.opts.layers && isWhiteout(st)) return undefined;
        return { host, st };
      }
      if (await this.hides(dir, parts, i === this.dirs.length - 1)) return undefined;
    }
    return undefined;
  }

  /** The names in directory rel, merged over the layers, sorted. */
  async list(rel: string): Promise<string[]> {
    const parts = splitPath(rel);
    const path = parts.join('/');
    const names = new Set<string>();
    for (let i = 0; i < this.dirs.length; i++) {
      const dir = this.dirs[i]!;
      const host = path ? join(dir, path) : dir;
      const st = await lstat(host).catch(() => undefined);
      if (st) {
        if (!st.isDirectory()) break; // a file or a whiteout here: nothing below shows
        for (const n of await readdir(host)) names.add(n);
        if (this.opts.layers && (path === '' ? false : (await this.opaqueIn(dir)).has(path))) break;
      } else if (await this.hides(dir, parts, i === this.dirs.length - 1)) break;
      if (!this.opts.layers) break;
    }
    const out: string[] = [];
    for (const n of [...names].sort()) {
      // a whiteout in an upper layer hides the name: lookup says which entry wins
      if (!this.opts.layers || (await this.lookup(path ? `${path}/${n}` : n))) out.push(n);
    }
    return out;
  }

  /**
   * rel with every symlink resolved inside the root (the last component too when followLast),
   * as a clean relative path ("" for the root). A missing component is kept as it is (the
   * path may be about to be made).
   */
  async resolve(rel: string, followLast: boolean): Promise<string> {
    const pending = splitPath(rel);
    const done: string[] = [];
    let links = 0;
    while (pending.length) {
      const part = pending.shift()!;
      if (part === '..') {
        if (done.length === 0 && this.opts.escape === 'refuse') throw new EscapeError(`${rel} leads outside ${this.opts.name}`);
        done.pop();
        continue;
      }
      const cand = [...done, part].join('/');
      const e = await this.lookup(cand);
      if (e?.st.isSymbolicLink() && (pending.length > 0 || followLast)) {
        if (++links > MAX_LINKS) throw new MinictrError(`${rel}: too many levels of symbolic links in ${this.opts.name}`);
        const target = await readlink(e.host);
        if (target.startsWith('/')) {
          if (this.opts.escape === 'refuse') {
            const root = this.dirs[0] ?? '/';
            if (target !== root && !target.startsWith(`${root}/`)) throw new EscapeError(`${rel}: ${cand} is a symlink to ${target}, outside ${this.opts.name}`);
            done.length = 0;
            pending.unshift(...splitPath(target.slice(root.length)));
          } else {
            done.length = 0;
            pending.unshift(...splitPath(target));
          }
        } else {
          const inner = splitPath(target);
          // a relative target climbing above the root: refused in the build context
          if (this.opts.escape === 'refuse') {
            let depth = done.length;
            for (const c of inner) {
              depth += c === '..' ? -1 : 1;
              if (depth < 0) throw new EscapeError(`${rel}: ${cand} is a symlink to ${target}, outside ${this.opts.name}`);
            }
          }
          pending.unshift(...inner);
        }
        continue;
      }
      done.push(part);
    }
    return done.join('/');
  }

  async readlink(e: Entry): Promise<string> {
    return readlink(e.host);
  }
}
