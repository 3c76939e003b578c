/**
 * `minictr save` and `minictr load` with podman on the other end (its own --root/--runroot,
 * runc, cgroupfs): podman loads what minictr saves and runs it; minictr loads what podman
 * saves, as docker-archive and as oci-archive, and runs it; skopeo reads the archive both as
 * docker-archive: and oci-archive:. Hostile archives (a "../" path, a symlink out of the
 * archive, a blob or layer whose digest does not match, a layer that escapes) are refused in
 * one line with the store exactly as before.
 */
import { execa, type Options } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tarStream from 'tar-stream';
import { findStaticBusybox } from '../src/image/busybox.js';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { scratchDir, storeSnapshot } from './helpers/image-fixtures.js';
import { tarBuffer } from './helpers/registry.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let work: string;
let pdir: string;
const tags: string[] = [];

function podmanArgs(args: string[]): string[] {
  return [
    '--root', join(pdir, 'root'),
    '--runroot', join(pdir, 'runroot'),
    '--tmpdir', join(pdir, 'tmp'),
    '--storage-driver', 'overlay',
    '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'file',
    '--runtime', '/usr/sbin/runc',
    ...args,
  ];
}

interface Ran {
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function podman(args: string[], opts: Options = {}): Promise<Ran> {
  return (await execa('podman', podmanArgs(args), { reject: false, env: { TMPDIR: join(pdir, 'tmp') }, ...opts })) as unknown as Ran;
}

const PODMAN_RUN = ['run', '--rm', '--network', 'none', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096'];

type Entry = { header: tarStream.Header; data: Buffer };

async function readTar(file: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const ex = tarStream.extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.push({ header, data: Buffer.concat(chunks) });
      next();
    });
  });
  const { pipeline } = await import('node:stream/promises');
  const { createReadStream } = await import('node:fs');
  await pipeline(createReadStream(file), ex);
  return out;
}

async function writeTar(file: string, entries: { name: string; data?: Buffer; type?: 'file' | 'symlink' | 'directory'; linkname?: string }[]): Promise<string> {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, await tarBuffer(entries.map((e) => ({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, data: e.data }))));
  return file;
}

beforeAll(async () => {
  work = await scratchDir('saveload-');
  pdir = await scratchDir('pm-'); // podman wants a runroot of at most 50 characters
  for (const d of ['root', 'runroot', 'tmp']) mkdirSync(join(pdir, d), { recursive: true });
});

afterAll(async () => {
  for (const t of tags) await minictr(['rmi', t]);
  if (pdir) {
    await podman(['rm', '-af', '-t', '0']);
    await podman(['system', 'reset', '-f']);
  }
  if (work) await execa('rm', ['-rf', work]);
  if (pdir) await execa('rm', ['-rf', pdir]);
});

describe('minictr save -> podman load, skopeo', () => {
  it('one archive: skopeo reads it as oci-archive and docker-archive with the same layers; podman loads it and runs it', async () => {
    const name = `${uniq('sv')}/bb:v1`;
    expect((await minictr(['tag', 'busybox', name])).exitCode).toBe(0);
    tags.push(name);
    const archive = join(work, 'bb.tar');
    const save = await minictr(['save', '-o', archive, name]);
    expect(save.exitCode, save.stderr).toBe(0);

    // the same image saves to the same bytes, to a file or to stdout
    const piped = await execa(BIN, ['save', name], { encoding: 'buffer', reject: false, stdin: 'ignore' });
    expect(piped.exitCode).toBe(0);
    expect(sha(Buffer.from(piped.stdout))).toBe(sha(readFileSync(archive)));

    const oci = JSON.parse((await execa('skopeo', ['inspect', '--config', `oci-archive:${archive}`])).stdout) as { rootfs: { diff_ids: string[] }; config: { Cmd: string[] } };
    const dock = JSON.parse((await execa('skopeo', ['inspect', '--config', `docker-archive:${archive}`])).stdout) as typeof oci;
    const root = process.env.MINICTR_ROOT!;
    const id = (JSON.parse(readFileSync(join(root, 'images/tags.json'), 'utf8')) as Record<string, string>)[`${name}`]!;
    const rec = JSON.parse(readFileSync(join(root, 'images', `${id}.json`), 'utf8')) as { layers: string[] };
    expect(oci.rootfs.diff_ids).toEqual(rec.layers);
    expect(dock.rootfs.diff_ids).toEqual(rec.layers);
    expect(dock.config.Cmd).toEqual(['sh']);

    const load = await podman(['load', '-i', archive]);
    expect(load.exitCode, load.stderr).toBe(0);
    expect(load.stdout).toContain(`Loaded image: docker.io/${name}`);
    const run = await podman([...PODMAN_RUN, `docker.io/${name}`, 'sh', '-c', 'echo saved-by-minictr; test -x /bin/busybox && echo ok']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('saved-by-minictr\nok');
  });

  it('a layer stored without a tar-split (an older minictr) is archived anew: a new diff_id, and podman still runs it', async () => {
    const bb = readFileSync(await findStaticBusybox());
    const tarFile = join(work, 'old.tar');
    writeFileSync(tarFile, await tarBuffer([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/busybox', data: bb, mode: 0o755 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'bin/cat', type: 'symlink', linkname: 'busybox' },
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/motd', data: Buffer.from('old layer\n') },
    ]));
    const name = `${uniq('old')}/bb:v1`;
    const imp = await minictr(['import', '-c', 'CMD ["sh"]', tarFile, name]);
    expect(imp.exitCode, imp.stderr).toBe(0);
    tags.push(name);
    const root = process.env.MINICTR_ROOT!;
    const id = (JSON.parse(readFileSync(join(root, 'images/tags.json'), 'utf8')) as Record<string, string>)[name]!;
    const [layer] = (JSON.parse(readFileSync(join(root, 'images', `${id}.json`), 'utf8')) as { layers: string[] }).layers;
    const split = join(root, 'layers', layer!.slice(7), 'tar-split');
    expect(existsSync(split)).toBe(true);
    rmSync(split);
    const archive = join(work, 'old-saved.tar');
    const save = await minictr(['save', '-o', archive, name]);
    expect(save.exitCode, save.stderr).toBe(0);
    const cfg = JSON.parse((await execa('skopeo', ['inspect', '--config', `oci-archive:${archive}`])).stdout) as { rootfs: { diff_ids: string[] } };
    expect(cfg.rootfs.diff_ids).toHaveLength(1);
    expect(cfg.rootfs.diff_ids[0]).not.toBe(layer);
    expect((await podman(['load', '-i', archive])).exitCode).toBe(0);
    const run = await podman([...PODMAN_RUN, `docker.io/${name}`, 'cat', '/etc/motd']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('old layer');
  });

  it('a stored layer whose files were changed is refused by save in one line, and no archive is left', async () => {
    const tarFile = join(work, 'tamper.tar');
    writeFileSync(tarFile, await tarBuffer([{ name: 'etc/', type: 'directory', mode: 0o755 }, { name: 'etc/motd', data: Buffer.from('original\n') }]));
    const name = `${uniq('tp')}/t:v1`;
    expect((await minictr(['import', tarFile, name])).exitCode).toBe(0);
    tags.push(name);
    const root = process.env.MINICTR_ROOT!;
    const id = (JSON.parse(readFileSync(join(root, 'images/tags.json'), 'utf8')) as Record<string, string>)[name]!;
    const [layer] = (JSON.parse(readFileSync(join(root, 'images', `${id}.json`), 'utf8')) as { layers: string[] }).layers;
    writeFileSync(join(root, 'layers', layer!.slice(7), 'diff/etc/motd'), 'tampered\n'); // same size
    const out = join(work, 'tampered-save.tar');
    const r = await minictr(['save', '-o', out, name]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^minictr: layer ${layer!.slice(7, 19)}: its files no longer make the tarball it was stored from .*$`));
    expect(readdirSync(work).filter((f) => f.startsWith('tampered-save'))).toEqual([]);
  });
});

describe('podman save -> minictr load', () => {
  let base: string;
  beforeAll(async () => {
    // a two-layer image made by podman itself: busybox and a file written by a podman run
    base = `localhost/${uniq('pm')}/hello:v1`;
    const archive = join(work, 'base.tar');
    expect((await minictr(['save', '-o', archive, 'busybox'])).exitCode).toBe(0);
    expect((await podman(['load', '-i', archive])).exitCode).toBe(0);
    const ctr = uniq('pmc');
    const r = await podman([...PODMAN_RUN.filter((a) => a !== '--rm'), '--name', ctr, 'docker.io/library/busybox:latest', 'sh', '-c', 'echo hello-from-podman > /hello']);
    expect(r.exitCode, r.stderr).toBe(0);
    const c = await podman(['commit', '-q', ctr, base]);
    expect(c.exitCode, c.stderr).toBe(0);
    await podman(['rm', ctr]);
  });

  for (const format of ['docker-archive', 'oci-archive'] as const) {
    it(`loads podman save --format ${format} and runs it`, async () => {
      const archive = join(work, `${format}.tar`);
      const s = await podman(['save', '--format', format, '-o', archive, base]);
      expect(s.exitCode, s.stderr).toBe(0);
      // one from a file, the other from stdin
      const load = format === 'docker-archive' ? await minictr(['load', '-i', archive]) : await minictr(['load'], { inputFile: archive });
      expect(load.exitCode, load.stderr).toBe(0);
      const loaded = /^Loaded image(?: ID)?: (\S+)$/m.exec(load.stdout)?.[1];
      expect(loaded).toBeDefined();
      if (format === 'docker-archive') expect(loaded).toBe(base);
      tags.push(loaded!);
      const run = await minictr(['run', '--rm', '--network', 'none', loaded!, 'cat', '/hello']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('hello-from-podman');
    });
  }
});

describe('hostile archives are refused, nothing stored', () => {
  let good: Entry[];
  beforeAll(async () => {
    const archive = join(work, 'good.tar');
    expect((await minictr(['save', '-o', archive, 'busybox'])).exitCode).toBe(0);
    good = await readTar(archive);
  });

  const layerOf = (entries: Entry[]): Entry => entries.reduce((a, b) => (b.data.length > a.data.length ? b : a));
  const without = (names: string[]) => good.filter((e) => !names.includes(e.header.name)).map((e) => ({ name: e.header.name, data: e.data }));

  async function refused(file: string, pattern: RegExp): Promise<void> {
    const before = storeSnapshot();
    const r = await minictr(['load', '-i', file]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(storeSnapshot()).toEqual(before);
  }

  it('a "../" path', async () => {
    const file = await writeTar(join(work, 'dotdot.tar'), [...without([]), { name: '../escape', data: Buffer.from('x') }]);
    await refused(file, /^minictr: refusing to load .*: entry "..\/escape" has a ".." component$/);
  });

  it('a symlink out of the archive', async () => {
    const file = await writeTar(join(work, 'link.tar'), [...without(['manifest.json', 'index.json']), { name: 'manifest.json', type: 'symlink', linkname: '../../../etc/passwd' }]);
    await refused(file, /^minictr: refusing to load .*: symlink "manifest.json" -> "..\/..\/..\/etc\/passwd" points outside the archive$/);
  });

  it('an OCI blob whose bytes do not match its digest', async () => {
    const layer = layerOf(good);
    const bad = Buffer.from(layer.data);
    bad[Math.floor(bad.length / 3)]! ^= 0xff; // one byte of busybox changed
    const file = await writeTar(join(work, 'blob.tar'), good.map((e) => ({ name: e.header.name, data: e === layer ? bad : e.data })));
    await refused(file, /^minictr: refusing to load .*: layer 1 [0-9a-f]{12} has digest sha256:[0-9a-f]{64}$/);
  });

  it('a docker-archive layer that is not the config\'s diff_id, and one that escapes', async () => {
    const layer = layerOf(good);
    const bad = Buffer.from(layer.data);
    bad[Math.floor(bad.length / 3)]! ^= 0xff;
    const docker = (data: Buffer) => without(['index.json', 'oci-layout']).map((e) => (e.name === layer.header.name ? { ...e, data } : e));
    const f1 = await writeTar(join(work, 'diffid.tar'), docker(bad));
    await refused(f1, /^minictr: refusing to load .*: layer blobs\/sha256\/[0-9a-f]{64}: its uncompressed content has digest sha256:[0-9a-f]{64}, but the image config says sha256:[0-9a-f]{64}$/);

    // a layer with a "../" entry, its digest made right in a config of its own
    const evil = await tarBuffer([{ name: '../../etc/minictr-pwned', data: Buffer.from('x') }]);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha(evil)] } }));
    const f2 = await writeTar(join(work, 'escape.tar'), [
      { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['evil:v1'], Layers: ['layer.tar'] }])) },
      { name: 'config.json', data: config },
      { name: 'layer.tar', data: evil },
    ]);
    await refused(f2, /^minictr: refusing to load .*: layer layer.tar: .*"\.\.\/\.\.\/etc\/minictr-pwned".*"\.\."/);
  });
});
