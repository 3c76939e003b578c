/**
 * Limits on what minictr unpacks from a tarball that a user or a registry hands it (import,
 * pull, and commit, which goes the same way): a small .tar.xz can expand to terabytes, and a
 * tar of empty files to millions of inodes.
 *
 *  - bytes: the size of the uncompressed tar stream (file contents, headers, padding), counted
 *    while it streams out of the decompressor, so a bomb is stopped after the limit, not after
 *    it has filled the disk. Default: the free space of the store's filesystem less a margin
 *    of 10% of that filesystem's size, at most 1 GiB; `--max-size SIZE` (import, pull) or
 *    MINICTR_IMPORT_MAX_BYTES sets it (500M, 2G, ...). One budget per command: the layers of
 *    one pull share it.
 *  - entries: 1,000,000 per command by default (a Debian rootfs has about 10,000, a large
 *    desktop image a few hundred thousand); MINICTR_IMPORT_MAX_ENTRIES sets it. The names of
 *    all entries may take at most 256 MiB (they are held in memory by the tar-slip check).
 *  - layers: an image has at most 127, Docker's limit (its overlay2 driver, and podman's
 *    storage, refuse more: every lower dir must fit in the one page of mount options).
 */
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MinictrError, UsageError } from '../errors.js';
import { paths } from '../paths.js';
import { formatBytes, parseBytes } from '../util/size.js';

export const MAX_LAYERS = 127;
export const DEFAULT_MAX_ENTRIES = 1_000_000;
export const MAX_NAME_BYTES_TOTAL = 256 * 1024 ** 2;
const MAX_MARGIN = 1024 ** 3;

export const MAX_BYTES_VAR = 'MINICTR_IMPORT_MAX_BYTES';
export const MAX_ENTRIES_VAR = 'MINICTR_IMPORT_MAX_ENTRIES';

export interface UnpackLimits {
  maxBytes: number;
  /** how that limit was set, for the message: "--max-size 50M", "MINICTR_IMPORT_MAX_BYTES=2G", ... */
  bytesSource: string;
  maxEntries: number;
  entriesSource: string;
}

/** What statfs says of the store's filesystem. */
export interface FsSpace {
  /** the directory asked about */
  dir: string;
  /** blocks free for use, and their size */
  bavail: number;
  bsize: number;
  /** the filesystem's size in blocks */
  blocks: number;
}

/** The default byte limit: free space less min(10% of the filesystem, 1 GiB). */
export function defaultMaxBytes(fs: FsSpace): { limit: number; free: number; margin: number } {
  const free = fs.bavail * fs.bsize;
  const margin = Math.min(Math.floor(fs.blocks * fs.bsize * 0.1), MAX_MARGIN);
  return { limit: Math.max(0, free - margin), free, margin };
}

function positiveSize(what: string, value: string): number {
  const n = parseBytes(what, value);
  if (n <= 0) throw new UsageError(`invalid ${what} "${value}": must be more than 0`);
  return n;
}

/**
 * The limits for one command, from its --max-size flag, the environment and (when neither
 * sets the byte limit) the free space. Pure: fs is only read when it is needed.
 */
export function chooseUnpackLimits(opts: { maxSize?: string; env: NodeJS.ProcessEnv; space: () => FsSpace }): UnpackLimits {
  let maxBytes: number;
  let bytesSource: string;
  const envBytes = opts.env[MAX_BYTES_VAR];
  if (opts.maxSize !== undefined) {
    maxBytes = positiveSize('--max-size', opts.maxSize);
    bytesSource = `--max-size ${opts.maxSize}`;
  } else if (envBytes !== undefined && envBytes !== '') {
    maxBytes = positiveSize(MAX_BYTES_VAR, envBytes);
    bytesSource = `${MAX_BYTES_VAR}=${envBytes}`;
  } else {
    const fs = opts.space();
    const d = defaultMaxBytes(fs);
    maxBytes = d.limit;
    bytesSource = `the free space of ${fs.dir}, ${formatBytes(d.free)}, less a ${formatBytes(d.margin)} margin; raise it with --max-size or ${MAX_BYTES_VAR}`;
  }
  let maxEntries = DEFAULT_MAX_ENTRIES;
  let entriesSource = `the default; raise it with ${MAX_ENTRIES_VAR}`;
  const envEntries = opts.env[MAX_ENTRIES_VAR];
  if (envEntries !== undefined && envEntries !== '') {
    if (!/^\d+$/.test(envEntries.trim()) || !Number.isSafeInteger(Number(envEntries)) || Number(envEntries) <= 0) {
      throw new UsageError(`invalid ${MAX_ENTRIES_VAR} "${envEntries}": expected a positive integer`);
    }
    maxEntries = Number(envEntries);
    entriesSource = `${MAX_ENTRIES_VAR}=${envEntries.trim()}`;
  }
  return { maxBytes, bytesSource, maxEntries, entriesSource };
}

/** The nearest existing directory at or above dir (the store may not exist yet). */
function existingAncestor(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** The limits for this command, with the free space of the filesystem that holds the store. */
export async function unpackLimits(maxSize?: string): Promise<UnpackLimits> {
  const dir = existingAncestor(paths.tmp());
  let space: FsSpace | undefined;
  try {
    const s = await statfs(dir);
    space = { dir, bavail: s.bavail, bsize: s.bsize, blocks: s.blocks };
  } catch (err) {
    if (maxSize === undefined && !process.env[MAX_BYTES_VAR]) {
      throw new MinictrError(`cannot tell the free space of ${dir} (${(err as NodeJS.ErrnoException).code}): set --max-size or ${MAX_BYTES_VAR}`);
    }
  }
  return chooseUnpackLimits({ maxSize, env: process.env, space: () => space! });
}

/**
 * A limit was reached. `phrase` completes a sentence about the tarball ("unpacks to more than
 * 50MiB (--max-size 50M)"); callers say what it was and that nothing was stored.
 */
export class UnpackLimitError extends MinictrError {
  constructor(
    readonly phrase: string,
    message = `the tarball ${phrase}`,
  ) {
    super(message);
  }

  /** The same limit, said of `subject` ("x.tar.xz"), ending with `outcome` ("nothing was imported"). */
  about(subject: string, outcome: string): UnpackLimitError {
    return new UnpackLimitError(this.phrase, `${subject} ${this.phrase}; ${outcome}`);
  }
}

/** What one command has unpacked so far, against its limits (shared by the layers of a pull). */
export class UnpackBudget {
  bytes = 0;
  entries = 0;
  nameBytes = 0;
  constructor(readonly limits: UnpackLimits) {}

  addBytes(n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxBytes) {
      throw new UnpackLimitError(`unpacks to more than ${formatBytes(this.limits.maxBytes)} (${this.limits.bytesSource})`);
    }
  }

  addEntry(nameBytes: number): void {
    this.entries++;
    this.nameBytes += nameBytes;
    if (this.entries > this.limits.maxEntries) {
      throw new UnpackLimitError(`has more than ${this.limits.maxEntries} entries (${this.limits.entriesSource})`);
    }
    if (this.nameBytes > MAX_NAME_BYTES_TOTAL) {
      throw new UnpackLimitError(`has more than ${formatBytes(MAX_NAME_BYTES_TOTAL)} of entry names`);
    }
  }
}

/** An image may have at most MAX_LAYERS layers; `what` names it ("image x:1"). */
export function checkLayerCount(what: string, layers: number, nothing: string): void {
  if (layers > MAX_LAYERS) {
    throw new MinictrError(`${what} has ${layers} layers, more than the ${MAX_LAYERS} an image may have (as in Docker); ${nothing}`);
  }
}
