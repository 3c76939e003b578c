/**
 * File helpers for the image store: atomic JSON writes and owned temp dirs.
 *
 * Every change to the store is prepared in a temp dir under paths.tmp() (same filesystem as
 * layers/ and images/) and moved into place with rename(2), which is atomic: a reader sees the
 * old state or the new one, never half of it. A temp dir's name records its owner
 * ("<kind>-<pid>.<starttime>-<random>"), so when a command is killed, the next one can tell its
 * leftovers from the work of a command that is still running, and remove them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { paths } from '../paths.js';
import { ownerAlive, ownerTag } from '../util/lock.js';

/**
 * Write JSON to path atomically: a temp file in the same dir, fsync, rename over, fsync the
 * dir. Every state file of the image store (tags.json, images/<id>.json, layer.json) is
 * written here only. On any failure (a value that cannot be serialized, ENOSPC, EIO) the temp
 * file is removed and path is left as it was.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const text = `${JSON.stringify(value, null, 2)}\n`; // before any file exists: it may throw
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'wx', 0o644);
  try {
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // the rename itself survives a crash once the directory is on disk
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

const TEMP_NAME = /^([a-z]+)-(\d+)\.(\d+)-[0-9a-f]+$/;

/** Make a fresh temp dir under paths.tmp() owned by this process, e.g. kind "import". */
export async function makeTempDir(kind: string): Promise<string> {
  await mkdir(paths.tmp(), { recursive: true, mode: 0o700 });
  const [pid, start] = ownerTag().split(' ');
  const dir = join(paths.tmp(), `${kind}-${pid}.${start}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

/** Remove temp dirs whose owning process is gone (a killed import, an interrupted rmi). */
export async function sweepStaleTemp(): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(paths.tmp());
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || ownerAlive(`${m[2]} ${m[3]}`)) continue;
    await rm(join(paths.tmp(), name), { recursive: true, force: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}
