/**
 * Helpers for the image tests: scratch dirs, hand-crafted tarballs (tar-stream lets us write
 * entries GNU tar would refuse to create, like "../../etc/x"), and a snapshot of everything
 * minictr keeps on disk, to prove a failed command left nothing behind.
 */
import { createWriteStream, existsSync, readdirSync, lstatSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tarStream, { type Header } from 'tar-stream';

export function testBase(): string {
  return process.env.MINICTR_TEST_BASE ?? tmpdir();
}

export async function scratchDir(prefix = 'img-'): Promise<string> {
  return mkdtemp(join(testBase(), prefix));
}

export type CraftedEntry = Partial<Header> & { name: string; content?: string };

/** Write a tar file with exactly these entries, in this order. */
export async function craftTar(path: string, entries: CraftedEntry[]): Promise<string> {
  const pack = tarStream.pack();
  const done = pipeline(pack, createWriteStream(path));
  for (const { content, ...header } of entries) {
    const h = { mode: header.type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: new Date(0), ...header };
    if (content !== undefined) pack.entry({ ...h, type: h.type ?? 'file' }, content);
    else pack.entry(h);
  }
  pack.finalize();
  await done;
  return path;
}

/**
 * Every path minictr has under MINICTR_ROOT and MINICTR_RUN. Inside a stored layer only its
 * top level is listed (a Debian layer has thousands of files; they can't change anyway).
 */
export function storeSnapshot(): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      // a finished --rm run's dir, removed in the background (runtime/store.ts): not state
      if (name.startsWith('rm-') && dir.endsWith('/tmp')) continue;
      out.push(p);
      const inLayer = /\/layers\/[0-9a-f]{64}$/.test(dir);
      if (lstatSync(p).isDirectory() && !inLayer && depth < 6) walk(p, depth + 1);
    }
  };
  walk(process.env.MINICTR_ROOT!, 0);
  walk(process.env.MINICTR_RUN!, 0);
  return out;
}
