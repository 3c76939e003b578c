/**
 * tar-split (src/image/tar-split.ts): the headers a layer's tarball had, kept so that the
 * tarball can be made again from the extracted files, byte for byte. Tarballs from tar-stream
 * (ustar, pax for long names) and GNU tar (gnu and posix formats) are split in chunks of odd
 * sizes, the files written to a temp dir, and the tarball put back together must be the same
 * bytes; a split that cannot give them back (a file named twice, a cut tarball) is refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import tarStream, { type Header as Headers } from 'tar-stream';
import { decodeSplit, encodeSplit, headerNumber, SplitMismatchError, splitSize, splitStream, TarSplitter, type TarSplit } from '../../src/image/tar-split.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'tar-split-'));
  dirs.push(d);
  return d;
}

type Entry = Partial<Headers> & { name: string; data?: Buffer | string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const { data, ...h } of entries) {
    const header = { mode: h.type === 'directory' ? 0o755 : 0o644, mtime: new Date(1_700_000_000_000), ...h };
    if (data !== undefined) pack.entry({ type: 'file', ...header }, data);
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Feed the tarball in chunks of these sizes, round and round. */
function split(tar: Buffer, sizes = [4096]): TarSplit | undefined {
  const s = new TarSplitter();
  let at = 0;
  for (let i = 0; at < tar.length; i++) {
    const n = sizes[i % sizes.length]!;
    s.push(tar.subarray(at, at + n));
    at += n;
  }
  return s.finish();
}

async function joined(sp: TarSplit, diff: string): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of splitStream(sp, diff)) out.push(c);
  return Buffer.concat(out);
}

/** Write what a tar-stream entry list extracts to (files and dirs; links as links). */
function extract(entries: Entry[], diff: string): void {
  for (const e of entries) {
    const p = join(diff, e.name);
    if (e.type === 'directory') mkdirSync(p, { recursive: true });
    else if (e.type === 'symlink') {
      mkdirSync(dirname(p), { recursive: true });
      symlinkSync(e.linkname!, p);
    } else if (e.type === undefined || e.type === 'file') {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, e.data ?? '');
    }
  }
}

const long = `${'deep/'.repeat(30)}file-with-a-name-longer-than-a-ustar-header-holds.txt`;
const entries: Entry[] = [
  { name: './', type: 'directory' },
  { name: 'etc/', type: 'directory' },
  { name: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\n' },
  { name: 'etc/empty', data: '' },
  { name: 'etc/.wh.motd', data: '' },
  { name: 'bin/', type: 'directory' },
  { name: 'bin/big', data: Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a) },
  { name: 'bin/sh', type: 'symlink', linkname: 'big' },
  { name: 'bin/hard', type: 'link', linkname: 'bin/big' },
  { name: long, data: 'long name\n' },
  { name: 'odd/', type: 'directory' },
  { name: 'odd/ü-latin', data: Buffer.from([1, 2, 3]) },
];

describe('TarSplitter + splitStream', () => {
  it('gives back a tar-stream tarball (ustar and pax headers) byte for byte, whatever the chunk sizes', async () => {
    const tar = await tarOf(entries);
    const diff = scratch();
    extract(entries, diff);
    for (const sizes of [[1 << 20], [1, 7, 513, 100_000], [511], [512], [513]]) {
      const sp = split(tar, sizes)!;
      expect(sp).toBeDefined();
      expect(splitSize(sp)).toBe(tar.length);
      // the contents are not kept: the split is far smaller than the 3 MiB file in it
      expect(encodeSplit(sp).length).toBeLessThan(20_000);
      expect((await joined(sp, diff)).equals(tar)).toBe(true);
    }
  });

  it('keeps only headers: the files it reads are the regular files with content, whiteouts excepted', async () => {
    const sp = split(await tarOf(entries))!;
    const files = sp.ops.flatMap((o) => ('file' in o ? [Buffer.from(o.file.toString('latin1'), 'latin1').toString('utf8')] : []));
    expect(files).toEqual(['etc/passwd', 'bin/big', long, 'odd/ü-latin']);
  });

  it.each(['gnu', 'posix', 'ustar'])('gives back a GNU tar --format=%s tarball', async (format) => {
    const src = scratch();
    mkdirSync(join(src, 'a/b'), { recursive: true });
    writeFileSync(join(src, 'a/b/one'), 'one\n');
    writeFileSync(join(src, 'a/zero'), '');
    writeFileSync(join(src, 'a/big'), Buffer.alloc(700_000, 1));
    const deep = format === 'ustar' ? 'x'.repeat(90) : 'y'.repeat(150);
    writeFileSync(join(src, 'a', deep), 'deep\n');
    symlinkSync('b/one', join(src, 'a/link'));
    const tarFile = join(scratch(), 'l.tar');
    execFileSync('tar', [`--format=${format}`, '-C', src, '-cf', tarFile, '.']);
    const tar = readFileSync(tarFile);
    const diff = scratch();
    execFileSync('tar', ['-C', diff, '-xf', tarFile]);
    const sp = split(tar, [1000, 3])!;
    expect(sp).toBeDefined();
    expect(sp.ops.filter((o) => 'file' in o).map((o) => ('file' in o ? o.file.toString() : '')).sort()).toEqual(['a/b/one', 'a/big', `a/${deep}`].sort());
    expect((await joined(sp, diff)).equals(tar)).toBe(true);
  });

  it('survives encoding', async () => {
    const tar = await tarOf(entries);
    const sp = split(tar)!;
    const back = decodeSplit(encodeSplit(sp));
    expect(back.ops.length).toBe(sp.ops.length);
    expect(splitSize(back)).toBe(tar.length);
    expect(() => decodeSplit(Buffer.from('nope'))).toThrow(SplitMismatchError);
  });

  it('refuses a tarball it cannot give back: a file named twice, a cut tarball', async () => {
    expect(split(await tarOf([{ name: 'f', data: 'one' }, { name: './f', data: 'two' }]))).toBeUndefined();
    const tar = await tarOf(entries);
    expect(split(tar.subarray(0, 2000))).toBeUndefined();
  });

  it('a file that changed, or a path through a symlink, is not read', async () => {
    const list: Entry[] = [{ name: 'd/', type: 'directory' }, { name: 'd/f', data: 'content\n' }];
    const tar = await tarOf(list);
    const sp = split(tar)!;
    const diff = scratch();
    extract(list, diff);
    writeFileSync(join(diff, 'd/f'), 'changed, and longer\n');
    await expect(joined(sp, diff)).rejects.toThrow(/d\/f: expected a file of 8 bytes/);
    // d is now a symlink to a dir with the right file: still refused
    const other = scratch();
    extract(list, other);
    rmSync(join(diff, 'd'), { recursive: true });
    symlinkSync(join(other, 'd'), join(diff, 'd'));
    await expect(joined(sp, diff)).rejects.toThrow(/its directory is not where the layer put it/);
  });

  it('reads octal and base-256 header numbers', () => {
    expect(headerNumber(Buffer.from('00000001750\0'))).toBe(0o1750);
    expect(headerNumber(Buffer.from('     1750 \0'))).toBe(0o1750);
    const b = Buffer.alloc(12);
    b[0] = 0x80;
    b.writeUInt32BE(0x12345678, 8);
    expect(headerNumber(b)).toBe(0x12345678);
  });
});
