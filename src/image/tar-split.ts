/**
 * A layer's tarball, made again byte for byte from its files: the "tar-split" Docker and
 * containers/storage keep beside each layer.
 *
 * The store keeps a layer extracted (layers/<digest>/diff/), and its digest is sha256 of the
 * uncompressed tar it came from (the image config's diff_id). To push or save the layer, that
 * very tar must exist again, or the digest changes and the image with it. Everything in the tar
 * but the contents of regular files is small (headers, pax records, padding, the end blocks),
 * so while a layer is checked (tar-check.ts hands every uncompressed chunk to a TarSplitter)
 * that part is kept, in order, with a placeholder for each file's content: its path and size.
 * Putting the two back together (splitStream) reads the contents from diff/:
 *
 *   [header "etc/passwd" 512 B] [content: 1233 bytes of etc/passwd] [padding 303 B] [header ...
 *   \_____ kept ______________/ \_____ read from diff/etc/passwd __/ \______ kept ___________
 *
 * The file, layers/<digest>/tar-split, is gzip'd frames: "MTS1", then per frame a tag byte,
 * 'K' u32 length + kept bytes, 'F' u32 name length + name + u64 size, and 'E' at the end.
 *
 * A layer whose tar names one file twice (the later one wins on disk) or anything the splitter
 * cannot follow gets no split; layer-tar.ts then archives the files anew (another digest). The
 * caller always hashes what splitStream gives and compares it with the layer digest.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MinictrError } from '../errors.js';
import { WHITEOUT_PREFIX } from './tar-check.js';

const BLOCK = 512;
const MAGIC = Buffer.from('MTS1');

export type SplitOp = { keep: Buffer } | { file: Buffer; size: number };

export interface TarSplit {
  ops: SplitOp[];
}

/** The stored files do not give back the tarball (changed, or a split that does not fit). */
export class SplitMismatchError extends MinictrError {}

/** A numeric tar header field: octal text, or base-256 when the high bit is set (GNU, star). */
export function headerNumber(field: Buffer): number {
  if (field[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString('latin1').replace(/^[ \0]+/, '').replace(/[\0 ].*$/s, '');
  return text ? parseInt(text, 8) : 0;
}

function cString(b: Buffer): Buffer {
  const nul = b.indexOf(0);
  return nul === -1 ? b : b.subarray(0, nul);
}

/** "./a//b/" -> "a/b", as latin1 text (one char per byte, so no name is mangled). */
export function normalizeName(name: Buffer): string {
  return name
    .toString('latin1')
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

/** pax extended header records "LEN key=value\n": the values of path and size. */
function parsePax(data: Buffer): { path?: Buffer; size?: number } {
  const out: { path?: Buffer; size?: number } = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const len = parseInt(data.toString('latin1', at, space), 10);
    if (!(len > 0) || at + len > data.length) break;
    const record = data.subarray(space + 1, at + len - 1); // without the "\n"
    const eq = record.indexOf(0x3d);
    if (eq !== -1) {
      const key = record.toString('latin1', 0, eq);
      const value = record.subarray(eq + 1);
      if (key === 'path') out.path = Buffer.from(value);
      if (key === 'size') out.size = parseInt(value.toString('latin1'), 10);
    }
    at += len;
  }
  return out;
}

type State = 'header' | 'data' | 'pad' | 'trailer';

/**
 * Fed the uncompressed tar stream in order (any chunk sizes), it keeps all but file contents.
 * finish() gives the split, or undefined when the layer cannot be made again from its files.
 */
export class TarSplitter {
  private readonly ops: SplitOp[] = [];
  /** kept bytes not yet in an op: copies, so no chunk of the stream is pinned in memory */
  private keep: Buffer[] = [];
  private state: State = 'header';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** what the current data part is: metadata for the next entry, a file's content, or other */
  private mode: 'meta' | 'content' | 'raw' = 'raw';
  private remaining = 0;
  private padding = 0;
  private metaType = '';
  private meta: Buffer[] = [];
  private longName: Buffer | undefined;
  private pax: { path?: Buffer; size?: number } = {};
  private readonly seen = new Map<string, number>();
  private readonly contentNames: string[] = [];

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'trailer') {
        this.keep.push(Buffer.from(chunk.subarray(at)));
        return;
      }
      if (this.state === 'header') {
        const take = chunk.subarray(at, at + BLOCK - this.pendingBytes);
        at += take.length;
        this.pending.push(take);
        this.pendingBytes += take.length;
        if (this.pendingBytes === BLOCK) {
          const block = Buffer.concat(this.pending);
          this.pending = [];
          this.pendingBytes = 0;
          this.header(block);
        }
      } else if (this.state === 'data') {
        const take = chunk.subarray(at, at + this.remaining);
        at += take.length;
        this.remaining -= take.length;
        if (this.mode !== 'content') {
          const copy = Buffer.from(take);
          this.keep.push(copy);
          if (this.mode === 'meta') this.meta.push(copy);
        }
        if (this.remaining === 0) {
          if (this.mode === 'meta') this.endMeta();
          this.state = this.padding > 0 ? 'pad' : 'header';
        }
      } else {
        const take = chunk.subarray(at, at + this.padding);
        at += take.length;
        this.padding -= take.length;
        this.keep.push(Buffer.from(take));
        if (this.padding === 0) this.state = 'header';
      }
    }
  }

  private flushKeep(): void {
    if (!this.keep.length) return;
    this.ops.push({ keep: Buffer.concat(this.keep) });
    this.keep = [];
  }

  private header(block: Buffer): void {
    this.keep.push(block);
    if (block.every((b) => b === 0)) {
      this.state = 'trailer'; // the end-of-archive blocks and the record padding: kept as they are
      return;
    }
    const flag = String.fromCharCode(block[156]!);
    let size = headerNumber(block.subarray(124, 136));
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      // metadata for the next entry, kept as is (and read for the name and size it gives)
      this.metaType = flag;
      this.meta = [];
      this.mode = 'meta';
      this.start(size);
      if (size === 0) this.endMeta();
      return;
    }
    let name: Buffer;
    if (this.longName) name = this.longName;
    else if (this.pax.path) name = this.pax.path;
    else {
      name = cString(block.subarray(0, 100));
      // POSIX ustar splits long names into prefix + name; GNU's "ustar  " uses those bytes otherwise
      if (block.toString('latin1', 257, 263) === 'ustar\0') {
        const prefix = cString(block.subarray(345, 500));
        if (prefix.length) name = Buffer.concat([prefix, Buffer.from('/'), name]);
      }
    }
    if (this.pax.size !== undefined && Number.isSafeInteger(this.pax.size)) size = this.pax.size;
    this.longName = undefined;
    this.pax = {};
    const key = normalizeName(name);
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    const base = key.slice(key.lastIndexOf('/') + 1);
    const regular = flag === '0' || flag === '\0' || flag === '7';
    // whiteout files are gone after extraction (whiteout.ts): their bytes, if any, are kept
    if (regular && size > 0 && !base.startsWith(WHITEOUT_PREFIX)) {
      this.flushKeep();
      this.ops.push({ file: Buffer.from(key, 'latin1'), size });
      this.contentNames.push(key);
      this.mode = 'content';
    } else {
      this.mode = 'raw';
    }
    this.start(size);
  }

  /** A data part of `size` bytes follows, padded to a whole block. */
  private start(size: number): void {
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.state = size > 0 ? 'data' : 'header';
  }

  private endMeta(): void {
    const data = Buffer.concat(this.meta);
    this.meta = [];
    if (this.metaType === 'x') this.pax = parsePax(data);
    else if (this.metaType === 'L') this.longName = Buffer.from(cString(data));
    // 'g' (a global pax header) renaming entries is refused by tar-check; 'K' (a long link
    // name) is only kept
  }

  /** The split, or undefined: the files on disk cannot give back this tarball. */
  finish(): TarSplit | undefined {
    if (this.state === 'data' || this.state === 'pad' || this.pendingBytes) return undefined; // ends inside an entry
    if (this.contentNames.some((n) => (this.seen.get(n) ?? 0) > 1)) return undefined; // a file named twice: the last one is on disk
    this.flushKeep();
    return { ops: this.ops };
  }
}

/** Bytes of the tarball the split makes. */
export function splitSize(split: TarSplit): number {
  return split.ops.reduce((n, op) => n + ('keep' in op ? op.keep.length : op.size), 0);
}

export function encodeSplit(split: TarSplit): Buffer {
  const parts: Buffer[] = [MAGIC];
  for (const op of split.ops) {
    if ('keep' in op) {
      const h = Buffer.alloc(5);
      h.write('K', 0, 'latin1');
      h.writeUInt32BE(op.keep.length, 1);
      parts.push(h, op.keep);
    } else {
      const h = Buffer.alloc(5);
      h.write('F', 0, 'latin1');
      h.writeUInt32BE(op.file.length, 1);
      const size = Buffer.alloc(8);
      size.writeBigUInt64BE(BigInt(op.size));
      parts.push(h, op.file, size);
    }
  }
  parts.push(Buffer.from('E'));
  return gzipSync(Buffer.concat(parts));
}

export function decodeSplit(data: Buffer): TarSplit {
  const bad = (why: string): Error => new SplitMismatchError(`the layer's tar-split is unreadable (${why})`);
  let raw: Buffer;
  try {
    raw = gunzipSync(data);
  } catch {
    throw bad('not gzip data');
  }
  if (!raw.subarray(0, 4).equals(MAGIC)) throw bad('wrong magic');
  const ops: SplitOp[] = [];
  let at = 4;
  for (;;) {
    const tag = raw.toString('latin1', at, at + 1);
    if (tag === 'E') return { ops };
    if (at + 5 > raw.length) throw bad('truncated');
    const len = raw.readUInt32BE(at + 1);
    at += 5;
    if (at + len > raw.length) throw bad('truncated');
    if (tag === 'K') {
      ops.push({ keep: raw.subarray(at, at + len) });
      at += len;
    } else if (tag === 'F') {
      const file = raw.subarray(at, at + len);
      at += len;
      if (at + 8 > raw.length) throw bad('truncated');
      ops.push({ file, size: Number(raw.readBigUInt64BE(at)) });
      at += 8;
    } else {
      throw bad(`unknown frame ${JSON.stringify(tag)}`);
    }
  }
}

/** Its file in a layer dir (next to diff/ and layer.json). */
export const SPLIT_FILE = 'tar-split';

/** Keep the split of a layer being prepared (its temp dir, moved into the store whole). */
export async function writeSplit(layerDir: string, split: TarSplit | undefined): Promise<void> {
  if (split) await writeFile(join(layerDir, SPLIT_FILE), encodeSplit(split), { mode: 0o600 });
}

/** A stored layer's split; undefined if it has none (stored before minictr kept them). */
export async function readSplit(layerDir: string): Promise<TarSplit | undefined> {
  let data: Buffer;
  try {
    data = await readFile(join(layerDir, SPLIT_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return decodeSplit(data);
}

const CHUNK = 1 << 20;

/**
 * The tarball again: kept bytes and file contents from diff/, in order. A file is opened only
 * if it is a regular file (O_NOFOLLOW) of the recorded size in a directory reached without a
 * symlink, so a layer can never make this read anything outside its own diff/.
 */
export async function* splitStream(split: TarSplit, diff: string): AsyncGenerator<Buffer> {
  const root = realpathSync(diff);
  const dirOk = new Map<string, boolean>();
  const checkDir = (rel: string): boolean => {
    if (rel === '') return true;
    let ok = dirOk.get(rel);
    if (ok === undefined) {
      const want = Buffer.from(`${root}/${rel}`, 'latin1');
      try {
        ok = (realpathSync(want, { encoding: 'buffer' }) as Buffer).equals(want);
      } catch {
        ok = false;
      }
      dirOk.set(rel, ok);
    }
    return ok;
  };
  const buf = Buffer.alloc(CHUNK);
  for (const op of split.ops) {
    if ('keep' in op) {
      yield op.keep;
      continue;
    }
    const rel = op.file.toString('latin1');
    const slash = rel.lastIndexOf('/');
    const where = `${diff}/${rel}`;
    if (!checkDir(slash === -1 ? '' : rel.slice(0, slash))) throw new SplitMismatchError(`${where}: its directory is not where the layer put it`);
    let fd: number;
    try {
      fd = openSync(Buffer.from(`${root}/${rel}`, 'latin1'), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      throw new SplitMismatchError(`${where}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.size !== op.size) throw new SplitMismatchError(`${where}: expected a file of ${op.size} bytes`);
      let left = op.size;
      while (left > 0) {
        const n = readSync(fd, buf, 0, Math.min(CHUNK, left), null);
        if (n === 0) throw new SplitMismatchError(`${where}: shorter than ${op.size} bytes`);
        left -= n;
        yield Buffer.from(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }
}
