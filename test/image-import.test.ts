/**
 * `minictr import`: .tar, .tar.gz, .tar.xz and .tar.zst made by GNU tar keep owners, modes, setuid bits,
 * symlinks, hardlinks, device nodes, fifos and file capabilities; tar-slip archives and corrupt
 * tarballs are refused with one clear line and leave the store exactly as it was.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execa, execaSync } from 'execa';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { randomBytes, createHash } from 'node:crypto';
import { join } from 'node:path';
import { minictr, uniq } from './helpers/cli.js';
import { craftTar, scratchDir, storeSnapshot, type CraftedEntry } from './helpers/image-fixtures.js';
import { layerDirs } from '../src/image/store.js';
import { resolveImage } from '../src/image/resolve.js';

async function layerOf(ref: string): Promise<string> {
  const dirs = layerDirs(await resolveImage(ref));
  expect(dirs).toHaveLength(1);
  return dirs[0]!;
}

const sh = (script: string, cwd?: string) => execa('sh', ['-euc', script], { cwd });

/** A source tree with everything a rootfs has that is easy to lose, packed by GNU tar. */
async function buildRootfs(dir: string, marker: string): Promise<string> {
  const root = join(dir, 'root');
  await sh(
    `
    mkdir -p ${root}/d ${root}/bin ${root}/dev ${root}/tmp ${root}/opaque
    printf 'data\\n' > ${root}/d/f; chmod 0640 ${root}/d/f; chown 1000:1001 ${root}/d/f
    ln ${root}/d/f ${root}/d/hard
    ln -s d/f ${root}/link; chown -h 2000:2001 ${root}/link
    ln -s /etc/passwd ${root}/abs
    ln -s ../../.. ${root}/d/up
    chmod 0750 ${root}/d; chown 1234:5678 ${root}/d
    cp /bin/true ${root}/bin/su; chmod 4755 ${root}/bin/su
    cp /bin/true ${root}/bin/sg; chown 0:42 ${root}/bin/sg; chmod 2711 ${root}/bin/sg
    cp /bin/true ${root}/bin/ping; setcap cap_net_raw+ep ${root}/bin/ping
    mknod ${root}/dev/null c 1 3; chmod 0666 ${root}/dev/null
    mknod ${root}/dev/loop9 b 7 9
    mkfifo ${root}/dev/fifo
    chmod 1777 ${root}/tmp
    printf '${marker}\\n' > ${root}/marker
    python3 -c "import os; os.setxattr('${root}/marker', 'user.note', b'kept'); os.setxattr('${root}/opaque', 'trusted.overlay.opaque', b'y')"
    `,
  );
  const tar = join(dir, `${marker}.tar`);
  await execa('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-C', root, '-cf', tar, '.']);
  // The archive really carries the overlay xattr: the test below that it is dropped means something.
  expect((await execa('tar', ['--xattrs', '--xattrs-include=*', '-tvvf', tar])).stdout).toMatch(/trusted\.overlay\.opaque/);
  return tar;
}

function checkLayer(layer: string, marker: string): void {
  const st = (p: string) => lstatSync(join(layer, p));
  expect(readFileSync(join(layer, 'marker'), 'utf8')).toBe(`${marker}\n`);
  expect(st('d').mode & 0o7777).toBe(0o750);
  expect([st('d').uid, st('d').gid]).toEqual([1234, 5678]);
  expect(st('d/f').mode & 0o7777).toBe(0o640);
  expect([st('d/f').uid, st('d/f').gid]).toEqual([1000, 1001]);
  // hardlink: the same inode
  expect(st('d/hard').ino).toBe(st('d/f').ino);
  expect(st('d/f').nlink).toBe(2);
  // symlinks, with their own owner, targets unchanged (absolute ones too)
  expect(st('link').isSymbolicLink()).toBe(true);
  expect(readlinkSync(join(layer, 'link'))).toBe('d/f');
  expect([st('link').uid, st('link').gid]).toEqual([2000, 2001]);
  expect(readlinkSync(join(layer, 'abs'))).toBe('/etc/passwd');
  expect(readlinkSync(join(layer, 'd/up'))).toBe('../../..');
  // setuid, setgid, sticky
  expect(st('bin/su').mode & 0o7777).toBe(0o4755);
  expect(st('bin/sg').mode & 0o7777).toBe(0o2711);
  expect(st('bin/sg').gid).toBe(42);
  expect(st('tmp').mode & 0o7777).toBe(0o1777);
  // device nodes and fifos
  expect(st('dev/null').isCharacterDevice()).toBe(true);
  expect(st('dev/null').rdev).toBe(statSync('/dev/null').rdev);
  expect(st('dev/null').mode & 0o777).toBe(0o666);
  expect(st('dev/loop9').isBlockDevice()).toBe(true);
  expect([Math.floor(st('dev/loop9').rdev / 256), st('dev/loop9').rdev % 256]).toEqual([7, 9]);
  expect(st('dev/fifo').isFIFO()).toBe(true);
  // the image root is an ordinary directory
  expect(statSync(layer).mode & 0o7777).toBe(0o755);
}

async function xattrs(path: string): Promise<string> {
  return (await execa('python3', ['-c', `import os,sys; print(sorted(os.listxattr(sys.argv[1])))`, path])).stdout;
}

describe('minictr import: formats and fidelity', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await scratchDir();
  });

  it.each([
    ['.tar', [] as string[]],
    ['.tar.gz', ['gzip', '-k']],
    ['.tar.xz', ['xz', '-k']],
    ['.tar.zst', ['zstd', '-q', '-k']],
  ])('imports a %s and keeps owners, modes, links, devices and capabilities', async (ext, compress) => {
    const marker = uniq('m');
    const tar = await buildRootfs(await scratchDir(), marker);
    const file = compress.length ? `${tar}${ext.slice(4)}` : tar;
    if (compress.length) await execa(compress[0]!, [...compress.slice(1), tar]);
    const name = `fid-${marker}:v1`;
    const r = await minictr(['import', file, name]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}$/);
    const layer = await layerOf(name);
    checkLayer(layer, marker);
    expect((await execa('getcap', [join(layer, 'bin/ping')])).stdout).toMatch(/cap_net_raw[=+]ep/);
    expect(await xattrs(join(layer, 'marker'))).toContain('user.note');
    // trusted.overlay.* would change what overlayfs shows (here: an opaque dir); never restored.
    expect(await xattrs(join(layer, 'opaque'))).not.toContain('trusted.overlay');
    // The layer digest is the sha256 of the uncompressed tar, whatever the compression.
    const img = await resolveImage(name);
    const sum = createHash('sha256').update(readFileSync(tar)).digest('hex');
    expect(img.layers).toEqual([`sha256:${sum}`]);
  });

  it('stores identical layers once: the same tar as .tar and .tar.gz, under two names', async () => {
    const tar = await buildRootfs(await scratchDir(), uniq('same'));
    await execa('gzip', ['-k', tar]);
    const a = uniq('same-a');
    const b = uniq('same-b');
    const layersBefore = readdirSync(join(process.env.MINICTR_ROOT!, 'layers')).length;
    expect((await minictr(['import', tar, a])).exitCode).toBe(0);
    expect(readdirSync(join(process.env.MINICTR_ROOT!, 'layers')).length).toBe(layersBefore + 1);
    const r = await minictr(['import', `${tar}.gz`, b]);
    expect(r.exitCode).toBe(0);
    expect(readdirSync(join(process.env.MINICTR_ROOT!, 'layers')).length).toBe(layersBefore + 1);
    const [ia, ib] = [await resolveImage(a), await resolveImage(b)];
    expect(ia.id).toBe(ib.id);
    expect(ib.tags).toEqual([`${a}:latest`, `${b}:latest`].sort());
  });

  it('applies --change instructions to the image config', async () => {
    const tar = await craftTar(join(dir, 'cfg.tar'), [{ name: 'bin/', type: 'directory' }, { name: 'bin/x', content: '' }]);
    const name = uniq('cfg');
    const r = await minictr(['import', '-c', 'CMD ["bash", "-l"]', '-c', 'ENV LANG=C.UTF-8', '-c', 'WORKDIR /srv', tar, name]);
    expect(r.stderr).toBe('');
    const img = await resolveImage(name);
    expect(img.config).toEqual({
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8'],
      Cmd: ['bash', '-l'],
      WorkingDir: '/srv',
    });
    const bad = await minictr(['import', '-c', 'RUN rm -rf /', tar, name]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^minictr: --change RUN: not supported/);
  });

  it('--explain shows the check, the tar command and the rename', async () => {
    const tar = await craftTar(join(dir, 'explain.tar'), [{ name: uniq('f'), content: 'x' }]);
    const r = await minictr(['import', '--explain', tar, uniq('explain')]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('check every entry');
    expect(r.stderr).toMatch(/\$ tar -x --numeric-owner .* -C \S+\/diff -f /);
    expect(r.stderr).toMatch(/\$ mv \S+ \S+\/layers\/[0-9a-f]{64}/);
  });

  it('accepts symlinks that point outside, as long as nothing is written through them', async () => {
    const tar = await craftTar(join(dir, 'links-ok.tar'), [
      { name: 'etc', type: 'symlink', linkname: '/etc' },
      { name: 'up', type: 'symlink', linkname: '../..' },
      { name: 'real/', type: 'directory' },
      { name: 'real/f', content: 'x' },
      { name: 'real/hl', type: 'link', linkname: 'real/f' },
      { name: 'hl-to-symlink', type: 'link', linkname: 'etc' },
    ]);
    const name = uniq('links-ok');
    const r = await minictr(['import', tar, name]);
    expect(r.stderr).toBe('');
    const layer = await layerOf(name);
    expect(readlinkSync(join(layer, 'etc'))).toBe('/etc');
    expect(readlinkSync(join(layer, 'hl-to-symlink'))).toBe('/etc');
    expect(lstatSync(join(layer, 'real/hl')).ino).toBe(lstatSync(join(layer, 'real/f')).ino);
  });
});

describe('minictr import refuses tar-slip archives', () => {
  let dir: string;
  const canary = `/tmp/minictr-slip-${randomBytes(6).toString('hex')}`;
  const ups = '../'.repeat(24);

  beforeAll(async () => {
    dir = await scratchDir();
    // Make sure the store dirs exist, so "nothing left behind" is an exact comparison.
    const ok = await craftTar(join(dir, 'ok.tar'), [{ name: 'ok', content: 'ok' }]);
    expect((await minictr(['import', ok, uniq('slip-ok')])).exitCode).toBe(0);
  });

  const cases: [string, CraftedEntry[], RegExp][] = [
    ['../../etc/x', [{ name: '../../etc/x', content: 'pwned' }], /entry "\.\.\/\.\.\/etc\/x" has a "\.\." component/],
    ['a ../ escape to the canary', [{ name: `${ups}${canary.slice(1)}`, content: 'pwned' }], /has a "\.\." component/],
    ['an absolute path', [{ name: `${canary}`, content: 'pwned' }], /entry "\/tmp\/minictr-slip-\w+" is an absolute path/],
    ['/etc/x', [{ name: '/etc/x', content: 'pwned' }], /entry "\/etc\/x" is an absolute path/],
    [
      'an absolute symlink, then a file through it',
      [
        { name: 'tmplink', type: 'symlink', linkname: '/tmp' },
        { name: `tmplink/${canary.slice(5)}`, content: 'pwned' },
      ],
      /entry "tmplink\/minictr-slip-\w+" goes through the symlink "tmplink"/,
    ],
    [
      'a relative ../.. symlink, then a file through it',
      [
        { name: 'up', type: 'symlink', linkname: ups.slice(0, -1) },
        { name: `up/${canary.slice(1)}`, content: 'pwned' },
      ],
      /goes through the symlink "up"/,
    ],
    [
      'a symlinked parent deeper down, then a directory and a file through it',
      [
        { name: 'a/', type: 'directory' },
        { name: 'a/b', type: 'symlink', linkname: '/' },
        { name: 'a/b/tmp/', type: 'directory' },
        { name: `a/b/${canary.slice(1)}`, content: 'pwned' },
      ],
      /entry "a\/b\/tmp\/" goes through the symlink "a\/b"/,
    ],
    ['a hardlink to ../../etc/passwd', [{ name: 'pw', type: 'link', linkname: '../../etc/passwd' }], /hardlink "pw" points to "\.\.\/\.\.\/etc\/passwd", outside the image/],
    ['a hardlink to /etc/passwd', [{ name: 'pw', type: 'link', linkname: '/etc/passwd' }], /hardlink "pw" points to the absolute path "\/etc\/passwd"/],
    [
      'a hardlink through a symlink',
      [
        { name: 'e', type: 'symlink', linkname: '/etc' },
        { name: 'pw', type: 'link', linkname: 'e/passwd' },
      ],
      /hardlink "pw" target "e\/passwd" goes through the symlink "e"/,
    ],
    [
      'a symlink replaced by a directory',
      [
        { name: 'd', type: 'symlink', linkname: '/tmp' },
        { name: 'd/', type: 'directory' },
      ],
      /entry "d\/" appears twice, as a symlink and as a directory/,
    ],
    ['the root replaced by a symlink', [{ name: './', type: 'symlink', linkname: '/' }], /replaces the image root/],
  ];

  it.each(cases)('refuses %s: one line, exit 1, nothing written anywhere', async (_what, entries, message) => {
    const tar = await craftTar(join(dir, `${uniq('slip')}.tar`), [{ name: 'first', content: 'x' }, ...entries]);
    for (const file of [tar, `${tar}.gz`]) {
      if (file.endsWith('.gz')) await execa('gzip', ['-k', tar]);
      const before = storeSnapshot();
      const r = await minictr(['import', file, uniq('slip')]);
      expect(r.stderr).toMatch(new RegExp(`^minictr: refusing to import ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.exitCode).toBe(1);
      expect(storeSnapshot()).toEqual(before);
      expect(existsSync(canary)).toBe(false);
      expect(existsSync('/etc/x')).toBe(false);
    }
  });

  it('refuses an archive made by GNU tar with --absolute-names', async () => {
    const src = join(dir, 'abs-src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'x');
    const tar = join(dir, 'abs.tar');
    await execa('tar', ['--absolute-names', '-cf', tar, join(src, 'f')]);
    const before = storeSnapshot();
    const r = await minictr(['import', tar, uniq('abs')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/is an absolute path/);
    expect(storeSnapshot()).toEqual(before);
  });
});

describe('minictr import refuses corrupt tarballs', () => {
  let dir: string;
  let good: string;
  beforeAll(async () => {
    dir = await scratchDir();
    const entries: CraftedEntry[] = [];
    for (let i = 0; i < 40; i++) entries.push({ name: `f${i}`, content: randomBytes(4096).toString('base64') });
    good = await craftTar(join(dir, 'good.tar'), entries);
    await execa('gzip', ['-k', good]);
    await execa('xz', ['-k', good]);
    expect((await minictr(['import', good, uniq('good')])).exitCode).toBe(0);
  });

  const cut = (from: string, to: string, fraction: number): string => {
    const buf = readFileSync(from);
    writeFileSync(to, buf.subarray(0, Math.floor(buf.length * fraction)));
    return to;
  };

  it.each([
    ['a truncated .tar.gz', () => cut(`${good}.gz`, join(dir, 'trunc.tar.gz'), 0.5), /is not a valid tarball: the gzip data is truncated/],
    ['a truncated .tar.xz', () => cut(`${good}.xz`, join(dir, 'trunc.tar.xz'), 0.5), /is not a valid tarball: the xz data is corrupt or truncated/],
    ['a truncated .tar', () => cut(good, join(dir, 'trunc.tar'), 0.5), /is not a valid tarball: it ends in the middle of an entry/],
    [
      'garbage',
      () => {
        writeFileSync(join(dir, 'garbage.tar'), randomBytes(20000));
        return join(dir, 'garbage.tar');
      },
      /is not a valid tarball: bad tar header/,
    ],
    [
      'gzip-compressed garbage',
      () => {
        writeFileSync(join(dir, 'garbage.bin'), randomBytes(20000));
        execaSync('gzip', ['-kf', join(dir, 'garbage.bin')]);
        return join(dir, 'garbage.bin.gz');
      },
      /is not a valid tarball: bad tar header/,
    ],
    [
      'an empty file',
      () => {
        writeFileSync(join(dir, 'empty.tar'), '');
        return join(dir, 'empty.tar');
      },
      /is not a valid tarball: it has no entries/,
    ],
    [
      'a bzip2 tarball',
      () => {
        execaSync('sh', ['-c', `bzip2 -c ${good} > ${dir}/good.tar.bz2`]);
        return join(dir, 'good.tar.bz2');
      },
      /is compressed with bzip2; minictr imports \.tar, \.tar\.gz, \.tar\.xz and \.tar\.zst/,
    ],
    ['a missing file', () => join(dir, 'nope.tar'), /no such file: .*nope\.tar/],
    ['a directory', () => dir, /is not a regular file/],
  ])('refuses %s with one clear line and leaves nothing behind', async (_what, make, message) => {
    const file = make();
    const before = storeSnapshot();
    const r = await minictr(['import', file, uniq('corrupt')]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/^minictr: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(storeSnapshot()).toEqual(before);
  });
});
