/**
 * Small JSON state files (a container's config and state, a network's record), replaced
 * atomically: written beside the target and renamed over it, so a reader or a crash never
 * sees half a file. No fsync: these are rewritten on every start and stop, and a lost write
 * after a host crash is repaired by the kernel-checked state (see runtime/store.ts). The
 * image store, which must survive crashes, has its own fsynced writer (image/files.ts).
 */
import { linkSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export function writeJsonFileSync(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, file);
}

/** A state file removed if it is there (one unlink: fs.rmSync would first load node's
 * rimraf module, and stat the file twice, on every container start). */
export function removeStateFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** A file replaced atomically (pid files engines poll for: never seen half-written). */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/**
 * Create a file that must not exist yet, with its whole content at once: written beside it,
 * then link(2)ed into place (which fails with EEXIST, atomically, if the name is taken). A
 * crash never leaves an empty reservation that blocks a name or an address forever.
 */
export function createFileExclusive(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, file);
  } finally {
    unlinkSync(tmp);
  }
}
