/**
 * A tarball's uncompressed bytes as a stream, for both passes of an import (tar-check.ts
 * reads it to check and hash every entry, extract.ts feeds it to GNU tar), so each pass counts
 * exactly the bytes it unpacks. gzip is Node's zlib; xz and zstd run as a child process
 * (Node 20's zlib has neither).
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { streamTool } from '../util/tool.js';

export type Compression = 'none' | 'gzip' | 'xz' | 'zstd';

const DECOMPRESSOR: Partial<Record<Compression, string[]>> = { xz: ['xz', '-dc'], zstd: ['zstd', '-dcq'] };

/** The shell command a pass stands for, reading `file`: "xz -dc FILE | " (or "" for a plain tar). */
export function decompressShell(compression: Compression, file: string): string {
  return { xz: `xz -dc ${file} | `, zstd: `zstd -dc ${file} | `, gzip: `gzip -dc ${file} | `, none: '' }[compression];
}

export interface Decompressed {
  /** the uncompressed tar stream */
  output: Readable;
  /** Settles once the decompressor is done: undefined, or why it failed (its last words). */
  finished: Promise<string | undefined>;
  /** Stop reading and kill the decompressor (idempotent). */
  stop(): void;
}

/**
 * The archive open as fd, decompressed. Read through /proc/self/fd/N: the very inode the
 * caller opened and checked, with a file offset of its own (each pass starts at 0), and a
 * stream that closes only its own file.
 */
export function decompress(fd: number, compression: Compression): Decompressed {
  const source = createReadStream(`/proc/self/fd/${fd}`);
  const tool = DECOMPRESSOR[compression];
  if (tool) {
    const [cmd, ...args] = tool as [string, ...string[]];
    const { child, done } = streamTool(cmd, args);
    child.stdin!.on('error', () => undefined); // it stops reading when its reader goes away
    source.on('error', () => child.stdin!.destroy());
    source.pipe(child.stdin!);
    const finished = done.then((r) => {
      if (r.exitCode === 0) return undefined;
      const line = r.stderr.trim().split('\n').pop() ?? '';
      return line.replace(/^(xz|zstd): \(stdin\): /, '').replace(/^\*\*\* /, '') || 'failed';
    });
    return {
      output: child.stdout!,
      finished,
      stop: () => {
        source.destroy();
        child.stdout!.destroy(); // else a paused stdout keeps `finished` from settling
        child.kill('SIGKILL');
      },
    };
  }
  const output = compression === 'gzip' ? source.pipe(createGunzip()) : source;
  if (output !== source) source.on('error', (err) => output.destroy(err));
  return {
    output,
    finished: Promise.resolve(undefined),
    stop: () => {
      source.destroy();
      output.destroy();
    },
  };
}

