/**
 * State the image store can trust (issue 13): what a tarball may unpack is bounded (bytes,
 * entries, layers; a FIFO or a device is no tarball), and a broken store file is reported with
 * its path and kept: images, run, rmi and system prune go on with what they can read and never
 * delete what a broken record may use.
 *
 * The broken-store cases each get a store of their own (MINICTR_ROOT / MINICTR_RUN in temp
 * dirs), so what they break is theirs alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minictr, uniq } from './helpers/cli.js';
import { craftTar, scratchDir, storeSnapshot } from './helpers/image-fixtures.js';
import { formatBytes } from '../src/util/size.js';
import { compress, pushBlob, pushManifest, sha256, startRegistry, tarBuffer, type TestRegistry } from './helpers/registry.js';

const MiB = 1024 ** 2;

/** A GNU tar header for one file of `size` bytes (the data is up to the caller). */
async function tarHeader(name: string, size: number): Promise<Buffer> {
  const py = 'import sys,tarfile; t=tarfile.TarInfo(sys.argv[1]); t.size=int(sys.argv[2]); t.mode=0o644; sys.stdout.buffer.write(t.tobuf(tarfile.GNU_FORMAT))';
  return Buffer.from((await execa('python3', ['-c', py, name, String(size)], { encoding: 'buffer' })).stdout);
}

const xz = async (data: Buffer): Promise<Buffer> => Buffer.from((await execa('xz', ['-0', '-T1', '-c'], { input: data, encoding: 'buffer' })).stdout);

/**
 * A .tar.xz of one file of zeros that unpacks to `chunks` x 100 MiB: xz streams may be
 * concatenated, so one compressed 100 MiB of zeros (15 KiB) is written `chunks` times.
 */
let zeroChunk: Buffer | undefined;
async function xzBomb(path: string, chunks: number): Promise<string> {
  const chunk = (zeroChunk ??= Buffer.from((await execa('sh', ['-c', 'head -c 100M /dev/zero | xz -0 -T1 -c'], { encoding: 'buffer' })).stdout));
  const parts = [await xz(await tarHeader('zero', chunks * 100 * MiB)), ...Array<Buffer>(chunks).fill(chunk), await xz(Buffer.alloc(10240))];
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

/** The one line a command printed on stderr (fails if there are more). */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('import: what a tarball may unpack is bounded', () => {
  let dir: string;
  let bomb: string;
  beforeAll(async () => {
    dir = await scratchDir('limits-');
    // 2.5 MiB on disk, 16 GiB unpacked: unbounded, decompressing it alone takes minutes here
    bomb = await xzBomb(join(dir, 'bomb.tar.xz'), 160);
    // the store exists, so that "nothing changed" below is an exact comparison
    const ok = await craftTar(join(dir, 'ok.tar'), [{ name: uniq('ok'), content: 'ok' }]);
    expect((await minictr(['import', ok, uniq('limits-ok')])).exitCode).toBe(0);
  }, 60_000);

  it('stops an xz bomb at --max-size, early, with one line, and stores nothing', async () => {
    expect(statSync(bomb).size).toBeLessThan(3 * MiB);
    const before = storeSnapshot();
    const t0 = Date.now();
    const r = await minictr(['import', '--max-size', '50M', bomb, uniq('bomb')]);
    const took = Date.now() - t0;
    expect(oneLine(r.stderr)).toBe(`minictr: ${bomb} unpacks to more than 50MiB (--max-size 50M); nothing was imported`);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    // stopped after about 50 MiB, not at the end of 16 GiB (which takes over a minute)
    expect(took).toBeLessThan(15_000);
    expect(storeSnapshot()).toEqual(before);
  });

  it('MINICTR_IMPORT_MAX_BYTES sets the limit when there is no flag', async () => {
    const before = storeSnapshot();
    const r = await minictr(['import', bomb, uniq('bomb')], { env: { ...process.env, MINICTR_IMPORT_MAX_BYTES: '20m' } });
    expect(oneLine(r.stderr)).toBe(`minictr: ${bomb} unpacks to more than 20MiB (MINICTR_IMPORT_MAX_BYTES=20m); nothing was imported`);
    expect(r.exitCode).toBe(1);
    expect(storeSnapshot()).toEqual(before);
    const bad = await minictr(['import', '--max-size', 'lots', bomb, uniq('bomb')]);
    expect(bad.exitCode).toBe(2);
    expect(oneLine(bad.stderr)).toMatch(/^minictr: invalid --max-size "lots": expected a size like/);
  });

  it('counts exactly: a tarball of N bytes is imported with --max-size N and refused with N-1', async () => {
    const tar = await craftTar(join(dir, 'exact.tar'), [{ name: 'a', content: uniq('exact') }, { name: 'b', content: 'x'.repeat(3000) }]);
    const n = statSync(tar).size;
    await execa('gzip', ['-k', tar]);
    // .tar: refused from its size, before a byte is read; .tar.gz: counted as it is decompressed
    for (const file of [tar, `${tar}.gz`]) {
      const refused = await minictr(['import', '--max-size', String(n - 1), file, uniq('exact')]);
      expect(oneLine(refused.stderr)).toBe(`minictr: ${file} unpacks to more than ${formatBytes(n - 1)} (--max-size ${n - 1}); nothing was imported`);
    }
    const ok = await minictr(['import', '--max-size', String(n), `${tar}.gz`, uniq('exact')]);
    expect(ok.stderr).toBe('');
    expect(ok.exitCode).toBe(0);
  });

  it('refuses a sparse 4 GiB .tar at once from its size', async () => {
    const sparse = join(dir, 'sparse.tar');
    writeFileSync(sparse, await tarHeader('big', 4 * 1024 * MiB));
    truncateSync(sparse, 4 * 1024 * MiB + 512 + 1024);
    const t0 = Date.now();
    const r = await minictr(['import', '--max-size', '1G', sparse, uniq('sparse')]);
    expect(oneLine(r.stderr)).toBe(`minictr: ${sparse} unpacks to more than 1GiB (--max-size 1G); nothing was imported`);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('bounds the number of entries (MINICTR_IMPORT_MAX_ENTRIES)', async () => {
    const tar = await craftTar(join(dir, 'many.tar'), Array.from({ length: 8 }, (_, i) => ({ name: `f${i}`, content: '' })));
    const env = { ...process.env, MINICTR_IMPORT_MAX_ENTRIES: '5' };
    const before = storeSnapshot();
    const r = await minictr(['import', tar, uniq('many')], { env });
    expect(oneLine(r.stderr)).toBe(`minictr: ${tar} has more than 5 entries (MINICTR_IMPORT_MAX_ENTRIES=5); nothing was imported`);
    expect(storeSnapshot()).toEqual(before);
    expect((await minictr(['import', tar, uniq('many')], { env: { ...env, MINICTR_IMPORT_MAX_ENTRIES: '8' } })).exitCode).toBe(0);
  });

  it('refuses a FIFO, /dev/zero and stdin at once, with one line', async () => {
    const fifo = join(dir, 'fifo.tar');
    await execa('mkfifo', [fifo]);
    const before = storeSnapshot();
    for (const file of [fifo, '/dev/zero']) {
      const t0 = Date.now();
      const r = await minictr(['import', file, uniq('fifo')], { timeout: 10_000 });
      expect(oneLine(r.stderr)).toBe(`minictr: ${file} is not a regular file (expected a .tar, .tar.gz, .tar.xz or .tar.zst)`);
      expect(r.exitCode).toBe(2);
      expect(Date.now() - t0).toBeLessThan(5_000);
    }
    const stdin = await minictr(['import', '-', uniq('stdin')], { input: 'x' });
    expect(oneLine(stdin.stderr)).toBe("minictr: import reads a file, not stdin ('-'): save the tarball to a file first");
    expect(stdin.exitCode).toBe(2);
    expect(storeSnapshot()).toEqual(before);
  });
});

describe('import: the default limit is the free space less a margin', () => {
  let mnt: string | undefined;
  afterAll(async () => {
    if (mnt) await execa('umount', [mnt]);
  });

  it('on a 64 MiB filesystem a bomb is refused by default, before it fills it', async () => {
    const dir = await scratchDir('smallfs-');
    mnt = join(dir, 'fs');
    mkdirSync(mnt);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', mnt]);
    const env: NodeJS.ProcessEnv = { ...process.env, MINICTR_ROOT: join(mnt, 'lib'), MINICTR_RUN: join(dir, 'run') };
    delete env.MINICTR_IMPORT_MAX_BYTES;
    const bomb = await xzBomb(join(dir, 'bomb.tar.xz'), 3); // 300 MiB unpacked
    const r = await minictr(['import', bomb, uniq('bomb')], { env });
    // 64 MiB free, margin 10% of 64 MiB
    expect(oneLine(r.stderr)).toBe(
      `minictr: ${bomb} unpacks to more than 57.6MiB (the free space of ${mnt}, 64MiB, less a 6.4MiB margin; raise it with --max-size or MINICTR_IMPORT_MAX_BYTES); nothing was imported`,
    );
    expect(r.exitCode).toBe(1);
    const left = readdirSync(mnt, { recursive: true });
    expect(left.filter((p) => !/^lib(\/tmp)?$/.test(String(p)))).toEqual([]);
    // what fits is imported
    const ok = await craftTar(join(dir, 'ok.tar'), [{ name: 'f', content: 'x'.repeat(1000) }]);
    expect((await minictr(['import', ok, 'small:1'], { env })).exitCode).toBe(0);
  });
});

describe('pull: the layers of an image are bounded too', () => {
  let reg: TestRegistry;
  const repo = `limits/${uniq('r')}`;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.stop();
  });

  /** Push a manifest of `count` copies of one layer (one blob) under tag. */
  async function pushLayers(tag: string, count: number, entries: Parameters<typeof tarBuffer>[0]): Promise<void> {
    const tar = await tarBuffer(entries);
    const blob = await pushBlob(reg.host, repo, await compress(tar, 'gzip'));
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: Array(count).fill(sha256(tar)) } }));
    const cfg = await pushBlob(reg.host, repo, config);
    const media = 'application/vnd.oci.image.manifest.v1+json';
    await pushManifest(reg.host, repo, tag, {
      schemaVersion: 2,
      mediaType: media,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers: Array(count).fill({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob }),
    }, media);
  }

  it('refuses an image of 128 layers before downloading any; 127 are pulled', async () => {
    await pushLayers('l128', 128, [{ name: 'f', content: uniq('l') }]);
    const before = storeSnapshot();
    const r = await minictr(['pull', `${reg.host}/${repo}:l128`]);
    expect(oneLine(r.stderr)).toBe(`minictr: image ${reg.host}/${repo}:l128 has 128 layers, more than the 127 an image may have (as in Docker); nothing was pulled`);
    expect(r.exitCode).toBe(1);
    expect(storeSnapshot()).toEqual(before);

    await pushLayers('l127', 127, [{ name: 'f', content: uniq('l') }]);
    const ok = await minictr(['pull', `${reg.host}/${repo}:l127`]);
    expect(ok.stderr).toBe('');
    expect(ok.exitCode).toBe(0);
  });

  it('stops a layer that unpacks past --max-size, and stores nothing', async () => {
    await pushLayers('big', 1, [{ name: 'zeros', data: Buffer.alloc(8 * MiB) }]);
    const before = storeSnapshot();
    const r = await minictr(['pull', '--max-size', '1M', `${reg.host}/${repo}:big`]);
    expect(r.stderr.trim().split('\n').pop()).toBe(`minictr: ${reg.host}/${repo}:big unpacks to more than 1MiB (--max-size 1M); nothing was pulled`);
    expect(r.exitCode).toBe(1);
    expect(storeSnapshot()).toEqual(before);
  });
});

interface Fixture {
  env: NodeJS.ProcessEnv;
  root: string;
  id: Record<'A' | 'B' | 'C', string>;
  layer: Record<'A' | 'B', string>;
  record: (id: string) => string;
  tags: string;
  run: (args: string[]) => ReturnType<typeof minictr>;
}

let template: { dir: string; id: Fixture['id']; layer: Record<'A' | 'B', string> } | undefined;

/**
 * A store of its own: three images, A alone on its layer, B and C sharing one (made once,
 * then copied for each test: the store holds no absolute paths).
 */
async function brokenStoreFixture(): Promise<Fixture> {
  if (!template) {
    const dir = await scratchDir('broken-template-');
    const env = { ...process.env, MINICTR_ROOT: join(dir, 'lib'), MINICTR_RUN: join(dir, 'run') };
    const a = await craftTar(join(dir, 'a.tar'), [{ name: 'a', content: uniq('a') }]);
    const b = await craftTar(join(dir, 'b.tar'), [{ name: 'b', content: uniq('b') }]);
    const idOf = async (args: string[]): Promise<string> => {
      const r = await minictr(args, { env });
      expect(r.exitCode).toBe(0);
      return r.stdout.trim().slice(7);
    };
    const id = { A: await idOf(['import', a, 'img-a']), B: await idOf(['import', b, 'img-b']), C: await idOf(['import', '-c', 'CMD ["x"]', b, 'img-c']) };
    const layerOf = (i: string): string => (JSON.parse(readFileSync(join(dir, 'lib', 'images', `${i}.json`), 'utf8')) as { layers: string[] }).layers[0]!.slice(7);
    expect(layerOf(id.B)).toBe(layerOf(id.C));
    template = { dir, id, layer: { A: layerOf(id.A), B: layerOf(id.B) } };
  }
  const dir = await scratchDir('broken-');
  await execa('cp', ['-a', `${template.dir}/.`, dir]);
  const root = join(dir, 'lib');
  const env = { ...process.env, MINICTR_ROOT: root, MINICTR_RUN: join(dir, 'run') };
  return {
    env,
    root,
    id: template.id,
    layer: { A: join(root, 'layers', template.layer.A), B: join(root, 'layers', template.layer.B) },
    record: (i) => join(root, 'images', `${i}.json`),
    tags: join(root, 'images', 'tags.json'),
    run: (args) => minictr(args, { env }),
  };
}

const CHECK = fileURLToPath(new URL('../dist/image/check.js', import.meta.url));
async function checkStore(env: NodeJS.ProcessEnv): Promise<{ kind: string; path: string; problem: string; fix: string }[]> {
  const r = await execa('node', ['-e', `import(${JSON.stringify(CHECK)}).then(async (m) => console.log(JSON.stringify(await m.checkImageStore())))`], { env });
  return JSON.parse(r.stdout) as { kind: string; path: string; problem: string; fix: string }[];
}

/**
 * The image store's part of `minictr system prune`. Not the whole command: its container part
 * removes every empty minictr cgroup that is not of this store's containers, and cgroups are
 * the host's, shared with every other store (and test run) on it.
 */
const PRUNE = fileURLToPath(new URL('../dist/image/prune.js', import.meta.url));
async function pruneImages(env: NodeJS.ProcessEnv): Promise<{ removed: string[]; kept: string[] }> {
  const r = await execa('node', ['-e', `import(${JSON.stringify(PRUNE)}).then(async (m) => console.log(JSON.stringify(await m.pruneImageStore())))`], { env });
  return JSON.parse(r.stdout) as { removed: string[]; kept: string[] };
}

const BROKEN = (path: string, problem: string): string => `minictr: broken image record ${path}: ${problem} (kept; see 'minictr system check')`;

describe('a truncated image record', () => {
  it('images, run, prune, check and rmi: reported with its path, and its layer is kept', async () => {
    const s = await brokenStoreFixture();
    const rec = s.record(s.id.A);
    writeFileSync(rec, readFileSync(rec, 'utf8').slice(0, 40));
    const text = readFileSync(rec);
    const problem = (() => {
      try {
        JSON.parse(text.toString());
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();

    const images = await s.run(['images']);
    expect(oneLine(images.stderr)).toBe(BROKEN(rec, problem));
    expect(images.exitCode).toBe(0);
    expect(images.stdout).toMatch(/^img-b\s+latest\s/m);
    expect(images.stdout).toMatch(/^img-c\s+latest\s/m);
    expect(images.stdout).not.toContain('img-a');

    const run = await s.run(['run', '--rm', 'img-a', 'true']);
    expect(oneLine(run.stderr)).toBe(BROKEN(rec, problem));
    expect(run.exitCode).toBe(125); // minictr failed, not the command (docker run)
    const containers = join(s.root, 'containers');
    expect(existsSync(containers) ? readdirSync(containers).filter((n) => n !== '.names') : []).toEqual([]);

    // prune must not take it for an image that uses no layers (it deleted A's layer)
    const kept = [
      `${rec}: ${problem} (see 'minictr system check')`,
      `1 layer(s) no readable image uses (${s.layer.A.slice(-64, -52)}): the unreadable image record(s) may use them; fix or remove those first ('minictr system check')`,
    ];
    expect(await pruneImages(s.env)).toEqual({ removed: [], kept });
    expect(existsSync(join(s.layer.A, 'diff', 'a'))).toBe(true);
    expect(readFileSync(rec).equals(text)).toBe(true);
    // the command prints them as its container part prints its own, and still exits 0
    const prune = await s.run(['system', 'prune']);
    expect(prune.exitCode).toBe(0);
    expect(prune.stderr.split('\n').filter(Boolean)).toEqual(kept.map((k) => `minictr: kept ${k}`));
    expect(existsSync(join(s.layer.A, 'diff', 'a'))).toBe(true);

    const fix = `restore it from a backup; or 'minictr rmi ${s.id.A.slice(0, 12)}' removes it (with its tags; layers are kept while any record cannot be read)`;
    expect(await checkStore(s.env)).toEqual([{ kind: 'image', path: rec, problem, fix }]);
    // minictr system check lists it (with the container and network stores' records) and fails
    const check = await s.run(['system', 'check']);
    expect(check.stdout).toBe(`broken image record ${rec}: ${problem}\n  what to do: ${fix}`);
    expect(check.exitCode).toBe(1);

    // while it is unreadable, rmi of the others keeps the layers they leave unused
    const rmi = await s.run(['rmi', 'img-b', 'img-c']);
    expect(rmi.exitCode).toBe(0);
    expect(rmi.stdout).not.toContain(s.layer.B.slice(-64));
    expect(rmi.stderr).toContain(`minictr: kept the layers no readable image uses: an image record cannot be read (${rec}; see 'minictr system check')`);
    expect(existsSync(join(s.layer.B, 'diff', 'b'))).toBe(true);

    // rmi by ID removes the broken record and its tag; then nothing unreadable is left, and
    // the layers no image uses go: A's, and B's that was kept above
    const gone = await s.run(['rmi', s.id.A.slice(0, 12)]);
    expect(gone.stderr).toBe('');
    expect(gone.exitCode).toBe(0);
    const out = gone.stdout.split('\n');
    expect(out.slice(0, 2)).toEqual([`Untagged: img-a:latest`, `Deleted: sha256:${s.id.A}`]);
    expect(out.slice(2).sort()).toEqual([`Deleted: sha256:${s.layer.A.slice(-64)}`, `Deleted: sha256:${s.layer.B.slice(-64)}`].sort());
    expect(existsSync(rec)).toBe(false);
    expect(readdirSync(join(s.root, 'layers'))).toEqual([]);
    expect(JSON.parse(readFileSync(s.tags, 'utf8'))).toEqual({});
    expect(await pruneImages(s.env)).toEqual({ removed: [], kept: [] });
    expect(await checkStore(s.env)).toEqual([]);
    expect(await s.run(['system', 'check'])).toMatchObject({ exitCode: 0, stdout: 'no broken records' });
  });

  it('rmi by ID of a broken record keeps the layers other images use', async () => {
    const s = await brokenStoreFixture();
    const rec = s.record(s.id.C);
    writeFileSync(rec, '{"id": "not this one"}');
    const r = await s.run(['rmi', s.id.C]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['Untagged: img-c:latest', `Deleted: sha256:${s.id.C}`]);
    expect(existsSync(join(s.layer.B, 'diff', 'b'))).toBe(true); // img-b uses it
    expect((await s.run(['images', '-q'])).stdout.split('\n').sort()).toEqual([s.id.A.slice(0, 12), s.id.B.slice(0, 12)].sort());
  });

  it('images exits 1 when nothing could be read; a record that is a directory is reported too', async () => {
    const s = await brokenStoreFixture();
    for (const i of [s.id.A, s.id.B]) writeFileSync(s.record(i), '');
    rmSync(s.record(s.id.C));
    mkdirSync(s.record(s.id.C));
    const r = await s.run(['images']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(1); // the header
    expect(r.stderr.split('\n').sort()).toEqual(
      [BROKEN(s.record(s.id.A), 'Unexpected end of JSON input'), BROKEN(s.record(s.id.B), 'Unexpected end of JSON input'), BROKEN(s.record(s.id.C), 'it is a directory, not a file')].sort(),
    );
    // the directory record is removed by rmi like any broken record
    expect((await s.run(['rmi', s.id.C.slice(0, 12)])).exitCode).toBe(0);
    expect(existsSync(s.record(s.id.C))).toBe(false);
  });
});

describe('a truncated tags.json', () => {
  it('images lists the images untagged; run, rmi, import and prune refuse or keep it, never rewrite it', async () => {
    const s = await brokenStoreFixture();
    writeFileSync(s.tags, readFileSync(s.tags, 'utf8').slice(0, 30));
    const text = readFileSync(s.tags);
    const images = await s.run(['images']);
    const line = oneLine(images.stderr);
    expect(line).toMatch(new RegExp(`^minictr: broken image tags record ${re(s.tags)}: (.*JSON.*) \\(kept; see 'minictr system check'\\)$`));
    expect(images.exitCode).toBe(0);
    expect(images.stdout.split('\n').filter((l) => l.startsWith('<none>'))).toHaveLength(3);

    const layers = readdirSync(join(s.root, 'layers')).sort();
    const fresh = await craftTar(join(s.root, '..', 'new.tar'), [{ name: 'n', content: uniq('n') }]); // a layer of its own: extracted, then refused
    for (const [args, status] of [[['run', '--rm', 'img-a', 'true'], 125], [['rmi', s.id.A.slice(0, 12)], 1], [['import', fresh, 'img-new'], 1]] as const) {
      const r = await s.run([...args]);
      expect(oneLine(r.stderr)).toBe(line);
      expect(r.exitCode).toBe(status);
    }
    const problem = line.slice(`minictr: broken image tags record ${s.tags}: `.length, line.lastIndexOf(' (kept;'));
    expect(await pruneImages(s.env)).toEqual({ removed: [], kept: [`${s.tags}: ${problem} (see 'minictr system check')`] });
    expect(readFileSync(s.tags).equals(text)).toBe(true);
    expect(readdirSync(join(s.root, 'layers')).sort()).toEqual(layers);
    expect(readdirSync(join(s.root, 'images')).sort()).toEqual([`${s.id.A}.json`, `${s.id.B}.json`, `${s.id.C}.json`, 'tags.json'].sort());
    expect(readdirSync(join(s.root, 'tmp'))).toEqual([]);
    expect((await checkStore(s.env)).map((b) => [b.kind, b.path])).toEqual([['image tags', s.tags]]);
  });
});

describe('a missing layer dir', () => {
  it('run names the missing layer; system check says what to do', async () => {
    const s = await brokenStoreFixture();
    rmSync(s.layer.A, { recursive: true });
    const r = await s.run(['run', '--rm', 'img-a', 'true']);
    expect(oneLine(r.stderr)).toBe(BROKEN(s.record(s.id.A), `its layer ${s.layer.A}/diff is missing`));
    expect(r.exitCode).toBe(125);
    expect(await checkStore(s.env)).toEqual([
      { kind: 'image', path: s.record(s.id.A), problem: `its layer ${s.layer.A}/diff is missing`, fix: `'minictr rmi ${s.id.A.slice(0, 12)}', then pull or import the image again` },
    ]);
    expect((await s.run(['rmi', 'img-a'])).exitCode).toBe(0);
    expect(await checkStore(s.env)).toEqual([]);
  });
});
