/**
 * Pass 1 of an import: read every tar header and refuse the archive if any entry could land
 * outside the image root ("tar-slip"). Nothing is written to disk in this pass; pass 2
 * (extract.ts) runs GNU tar only on an archive that passed.
 *
 * The rules, for each entry in archive order:
 *  - no absolute name (we refuse it rather than strip the '/', as GNU tar would);
 *  - no ".." component, in the name or in a hardlink target;
 *  - no parent directory that an earlier entry made a symlink (writing "a/x" after the symlink
 *    "a -> /etc" writes /etc/x on the host), nor one that is not a directory;
 *  - a hardlink must point to an earlier non-directory entry, reached without symlinks
 *    (link(2) follows symlinks in the parent path of its target);
 *  - a path may not appear twice with a symlink involved or a change between directory and
 *    non-directory (GNU tar would replace one with the other: an escape route);
 *  - no entry types GNU tar and tar-stream might read differently (sparse files, multi-volume,
 *    GNU rename lists), nor a pax header that renames entries globally.
 * Symlinks themselves may point anywhere: /bin -> usr/bin and absolute links are normal in a
 * rootfs, and inside the container they resolve against the container's root.
 *
 * The same pass computes the layer digest: sha256 of the uncompressed tar stream.
 */
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import tarStream, { type Header } from 'tar-stream';
import { MinictrError } from '../errors.js';
import { decompress, type Compression } from './decompress.js';
import { digestMeter } from './meter.js';
import type { UnpackBudget } from './limits.js';

export type { Compression } from './decompress.js';

/** A header as tar-stream really delivers it: type is null for typeflags it does not know. */
export type Headers = Omit<Header, 'type' | 'linkname'> & { type: Header['type'] | null; linkname: string | null; pax?: unknown };

/** The archive is unsafe: some entry would land outside the image root. */
export class UnsafeTarError extends MinictrError {}

/** The archive is not a readable tarball (corrupt, truncated, not a tar). */
export class CorruptTarError extends MinictrError {}

export interface TarScan {
  /** "sha256:<hex>" of the uncompressed tar stream. */
  digest: string;
  /** Bytes of the uncompressed tar stream (what pass 2 must feed tar, no more). */
  tarBytes: number;
  /** Bytes of file content (what `du --apparent-size` would roughly say). */
  size: number;
  entries: number;
  /**
   * OCI whiteouts met, as normalized paths ("etc/.wh.motd", "var/cache/.wh..wh..opq"), in
   * archive order: a registry layer's deletions, turned into overlay whiteouts after
   * extraction (whiteout.ts).
   */
  whiteouts: string[];
}

/** OCI whiteout file names: ".wh.NAME" deletes NAME; ".wh..wh..opq" hides the directory's lower content. */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

type Kind = 'directory' | 'file' | 'symlink' | 'device';

const KIND_OF: Partial<Record<Header['type'], Kind>> = {
  directory: 'directory',
  file: 'file',
  'contiguous-file': 'file',
  symlink: 'symlink',
  'character-device': 'device',
  'block-device': 'device',
  fifo: 'device',
};

/** The longest path Linux takes in one system call (PATH_MAX), and the longest name in a dir. */
const MAX_PATH = 4096;
const MAX_COMPONENT = 255;

/** A name for an error message: quoted, and cut short if it is long. */
function q(s: string): string {
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 100)}...` : s);
}

/** Checks entries in archive order; throws UnsafeTarError on the first unsafe one. */
export class TarEntryChecker {
  private readonly kinds = new Map<string, Kind>();
  size = 0;
  entries = 0;
  readonly whiteouts: string[] = [];

  /** "./a//b/" -> "a/b"; refuses absolute names and ".." components. */
  private normalize(name: string, what: string): string {
    if (name.startsWith('/')) throw new UnsafeTarError(`${what} ${q(name)} is an absolute path`);
    if (Buffer.byteLength(name) > MAX_PATH) throw new UnsafeTarError(`${what} ${q(name)} is a path of more than ${MAX_PATH} bytes`);
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw new UnsafeTarError(`${what} ${q(name)} has a ".." component`);
    if (parts.some((p) => Buffer.byteLength(p) > MAX_COMPONENT)) throw new UnsafeTarError(`${what} ${q(name)} has a name of more than ${MAX_COMPONENT} bytes`);
    return parts.join('/');
  }

  /** Every proper ancestor of path must be a directory we know is not a symlink. */
  private checkParents(path: string, what: string, original: string): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const kind = this.kinds.get(parent);
      if (kind === 'symlink') {
        throw new UnsafeTarError(`${what} ${q(original)} goes through the symlink ${q(parent)} made earlier in the archive`);
      }
      if (kind !== undefined && kind !== 'directory') {
        throw new UnsafeTarError(`${what} ${q(original)} is below ${q(parent)}, which is not a directory`);
      }
    }
  }

  check(h: Headers): void {
    this.entries++;
    const name = h.name;
    if (h.pax && typeof h.pax === 'object' && Object.keys(h.pax).some((k) => k.startsWith('GNU.sparse'))) {
      throw new UnsafeTarError(`entry ${q(name)} is a sparse file, which minictr does not import`);
    }
    const type = h.type;
    if (type === 'link') {
      this.checkHardlink(h);
      return;
    }
    const kind = type ? KIND_OF[type] : undefined;
    if (kind === undefined) {
      throw new UnsafeTarError(`entry ${q(name)} has an unsupported type (${type ?? 'sparse, multi-volume or unknown'})`);
    }
    const path = this.normalize(name, 'entry');
    if (path === '') {
      // "./" is the root itself: fine as a directory (it carries the root's mode and owner).
      if (kind !== 'directory') throw new UnsafeTarError(`entry ${q(name)} replaces the image root with a ${kind}`);
      return;
    }
    this.checkParents(path, 'entry', name);
    if (kind === 'symlink' && !h.linkname) throw new UnsafeTarError(`symlink ${q(name)} has an empty target`);
    this.record(path, kind, name);
    if (kind === 'file') this.size += h.size ?? 0;
    if (kind === 'file' && (path.split('/').pop() ?? '').startsWith(WHITEOUT_PREFIX)) this.whiteouts.push(path);
  }

  private checkHardlink(h: Headers): void {
    const name = h.name;
    const path = this.normalize(name, 'hardlink');
    if (path === '') throw new UnsafeTarError(`hardlink ${q(name)} replaces the image root`);
    this.checkParents(path, 'hardlink', name);
    const linkname = h.linkname ?? '';
    if (linkname.startsWith('/')) {
      throw new UnsafeTarError(`hardlink ${q(name)} points to the absolute path ${q(linkname)}`);
    }
    const target = linkname.split('/').filter((p: string) => p !== '' && p !== '.');
    if (target.includes('..')) {
      throw new UnsafeTarError(`hardlink ${q(name)} points to ${q(linkname)}, outside the image`);
    }
    const targetPath = target.join('/');
    this.checkParents(targetPath, `hardlink ${q(name)} target`, linkname);
    const kind = this.kinds.get(targetPath);
    if (kind === undefined) {
      throw new UnsafeTarError(`hardlink ${q(name)} points to ${q(linkname)}, which is not earlier in the archive`);
    }
    if (kind === 'directory') throw new UnsafeTarError(`hardlink ${q(name)} points to the directory ${q(linkname)}`);
    // A hardlink to a symlink is another symlink (link(2) does not follow the last component).
    this.record(path, kind, name);
  }

  private record(path: string, kind: Kind, original: string): void {
    const before = this.kinds.get(path);
    if (
      before !== undefined &&
      (before === 'symlink' || kind === 'symlink' || (before === 'directory') !== (kind === 'directory'))
    ) {
      throw new UnsafeTarError(`entry ${q(original)} appears twice, as a ${before} and as a ${kind}`);
    }
    this.kinds.set(path, kind);
  }
}

/** Which compression the file uses, from its first bytes (not its name). */
export async function detectCompression(fh: FileHandle, display: string): Promise<Compression> {
  const buf = Buffer.alloc(6);
  const { bytesRead } = await fh.read(buf, 0, 6, 0);
  const head = buf.subarray(0, bytesRead);
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (head.subarray(0, 3).equals(Buffer.from('BZh'))) {
    throw new CorruptTarError(`${display} is compressed with bzip2; minictr imports .tar, .tar.gz, .tar.xz and .tar.zst`);
  }
  return 'none';
}

/** Rephrase a parser or decompressor failure as the one line a user needs. */
function corruptMessage(err: Error): string {
  const msg = err.message;
  if (/Invalid tar header/.test(msg)) return 'bad tar header (corrupt, or not a tar archive)';
  if (/Unexpected end of data/i.test(msg)) return 'it ends in the middle of an entry (truncated?)';
  if (/unexpected end of file/i.test(msg)) return 'the gzip data is truncated';
  if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) return `the gzip data is corrupt (${msg})`;
  return msg;
}

/**
 * Pass 1: stream the archive open as fh, decompress it, hash it, and check every header. Its
 * bytes and entries are counted into `budget` as they stream: past a limit the decompressor is
 * stopped and UnpackLimitError thrown (nothing has been written anywhere). `tap` sees every
 * uncompressed chunk, in order (tar-split.ts keeps the headers).
 */
export async function scanTarball(fh: FileHandle, compression: Compression, display: string, budget: UnpackBudget, tap?: (chunk: Buffer) => void): Promise<TarScan> {
  const checker = new TarEntryChecker();
  let tarBytes = 0;
  /** the first reason to refuse the archive (unsafe, or over a limit); the parse error it causes is only its echo */
  let refused: Error | undefined;

  const extract = tarStream.extract();
  extract.on('entry', (header, body, next) => {
    // An entry's stream fails with the archive (truncated data, or our destroy below); the
    // pipeline reports that error, so the entry's copy is only swallowed here.
    body.on('error', () => undefined);
    try {
      budget.addEntry(Buffer.byteLength(header.name) + Buffer.byteLength(header.linkname ?? ''));
      checker.check(header as Headers);
      // A global pax header may rename every later entry; tar-stream and GNU tar disagree on
      // how. Real rootfs tarballs never use one for names.
      const global = (extract as unknown as { _paxGlobal?: Record<string, string> | null })._paxGlobal;
      if (global && ('path' in global || 'linkpath' in global)) {
        throw new UnsafeTarError('a global pax header renames entries');
      }
    } catch (err) {
      refused ??= err as Error;
      extract.destroy(err as Error);
      return;
    }
    body.on('end', () => next());
    body.resume();
  });

  const hasher = digestMeter((size, chunk) => {
    tarBytes = size;
    try {
      budget.addBytes(chunk.length);
    } catch (err) {
      refused ??= err as Error;
      throw err;
    }
    tap?.(chunk);
  });
  const input = decompress(fh.fd, compression);
  let decompressFailure: string | undefined;
  try {
    const parsed = await pipeline(input.output, hasher.stream, extract).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    // refused: stop the decompressor now (a bomb's next gigabytes are of no interest)
    if (parsed && refused) input.stop();
    const why = await input.finished;
    if (why && !refused) decompressFailure = `the ${compression} data is corrupt or truncated (${why})`;
    if (parsed) throw parsed;
  } catch (err) {
    if (refused) throw refused;
    if (err instanceof MinictrError) throw err; // e.g. xz is not installed
    throw new CorruptTarError(`${display} is not a valid tarball: ${decompressFailure ?? corruptMessage(err as Error)}`);
  } finally {
    input.stop();
  }
  if (refused) throw refused;
  if (decompressFailure) throw new CorruptTarError(`${display} is not a valid tarball: ${decompressFailure}`);
  if (checker.entries === 0) throw new CorruptTarError(`${display} is not a valid tarball: it has no entries`);
  return { digest: hasher.digest(), tarBytes, size: checker.size, entries: checker.entries, whiteouts: checker.whiteouts };
}

