/**
 * The image store: `images`, `rmi` (tags, IDs, shared layers), the built-in busybox image,
 * concurrent writers, and recovery from a killed import or a stale lock.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minictr, uniq } from './helpers/cli.js';
import { craftTar, scratchDir, storeSnapshot } from './helpers/image-fixtures.js';
import { layerDirs, listImages } from '../src/image/store.js';
import { resolveImage } from '../src/image/resolve.js';
import { isStaticElf } from '../src/image/busybox.js';

const root = (): string => process.env.MINICTR_ROOT!;
const layerCount = (): number => (existsSync(join(root(), 'layers')) ? readdirSync(join(root(), 'layers')).length : 0);

describe('minictr images and rmi', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await scratchDir();
  });

  async function importNew(name: string, content = uniq('c')): Promise<string> {
    const tar = await craftTar(join(dir, `${uniq('t')}.tar`), [{ name: 'file', content }]);
    const r = await minictr(['import', tar, name]);
    expect(r.stderr).toBe('');
    return r.stdout.trim().replace(/^sha256:/, '');
  }

  it('lists images like docker: one row per tag, short ID, age, size', async () => {
    const name = uniq('list');
    const id = await importNew(`${name}:v1`, 'x'.repeat(1500));
    const r = await minictr(['images']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    const row = lines.find((l) => l.startsWith(`${name} `));
    expect(row).toMatch(new RegExp(`^${name}\\s+v1\\s+${id.slice(0, 12)}\\s+(Less than a second|\\d+ seconds?) ago\\s+1\\.5kB$`));
    expect((await minictr(['images', '-q', name])).stdout).toBe(id.slice(0, 12));
    expect((await minictr(['images', '--no-trunc', '-q', `${name}:v1`])).stdout).toBe(`sha256:${id}`);
    expect((await minictr(['images', '-q', `${name}:v2`])).stdout).toBe('');
  });

  it('rmi NAME removes the tag, and the image and its layer once no tag is left', async () => {
    const a = uniq('rmi-a');
    const b = uniq('rmi-b');
    const content = uniq('shared');
    const layers0 = layerCount();
    const id = await importNew(a, content);
    expect(await importNew(b, content)).toBe(id); // same content: same image, two tags
    expect(layerCount()).toBe(layers0 + 1);
    const [layer] = layerDirs(await resolveImage(a));

    const r1 = await minictr(['rmi', a]);
    expect(r1.stdout).toBe(`Untagged: ${a}:latest`);
    expect(existsSync(layer!)).toBe(true);
    expect((await resolveImage(b)).tags).toEqual([`${b}:latest`]);

    const r2 = await minictr(['rmi', `${b}:latest`]);
    expect(r2.exitCode).toBe(0);
    expect(r2.stdout).toContain(`Untagged: ${b}:latest\nDeleted: sha256:${id}\nDeleted: sha256:`);
    expect(existsSync(layer!)).toBe(false);
    expect(existsSync(join(root(), 'images', `${id}.json`))).toBe(false);
    expect(layerCount()).toBe(layers0);
    expect(readdirSync(join(root(), 'tmp'))).toEqual([]);
  });

  it('rmi keeps a layer another image still uses', async () => {
    // Two images with different config over one layer.
    const tar = await craftTar(join(dir, 'shared-layer.tar'), [{ name: 'f', content: uniq('l') }]);
    const a = uniq('cfg-a');
    const b = uniq('cfg-b');
    expect((await minictr(['import', tar, a])).exitCode).toBe(0);
    expect((await minictr(['import', '-c', 'CMD ["sh"]', tar, b])).exitCode).toBe(0);
    const [ia, ib] = [await resolveImage(a), await resolveImage(b)];
    expect(ia.id).not.toBe(ib.id);
    expect(ia.layers).toEqual(ib.layers);
    expect((await minictr(['rmi', a])).stdout).toMatch(/Deleted: sha256:/);
    expect(existsSync(layerDirs(ib)[0]!)).toBe(true);
    expect((await minictr(['rmi', b])).exitCode).toBe(0);
    expect(existsSync(layerDirs(ib)[0]!)).toBe(false);
  });

  it('rmi by ID: refuses an image with several tags unless -f; accepts a short ID', async () => {
    const a = uniq('id-a');
    const b = uniq('id-b');
    const content = uniq('c');
    const id = await importNew(a, content);
    await importNew(b, content);
    const refused = await minictr(['rmi', id.slice(0, 12)]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^minictr: image ${id.slice(0, 12)} has several tags \\(.*${a}:latest.*\\): remove them by name, or use -f$`));
    expect((await resolveImage(a)).id).toBe(id);
    const forced = await minictr(['rmi', '-f', `sha256:${id}`]);
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toContain(`Deleted: sha256:${id}`);
    await expect(resolveImage(a)).rejects.toThrow(`image not found: ${a}`);
    await expect(resolveImage(b)).rejects.toThrow(`image not found: ${b}`);
  });

  it('rmi of a missing image: one line, exit 1; several args go on past a failure', async () => {
    const gone = uniq('gone');
    const r = await minictr(['rmi', gone]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`minictr: image not found: ${gone}`);
    const keep = uniq('multi');
    await importNew(keep);
    const m = await minictr(['rmi', gone, keep, `${gone}2`]);
    expect(m.exitCode).toBe(1);
    expect(m.stdout).toContain(`Untagged: ${keep}:latest`);
    expect(m.stderr).toBe(`minictr: image not found: ${gone}\nminictr: image not found: ${gone}2`);
    await expect(resolveImage(keep)).rejects.toThrow(/image not found/);
    const bad = await minictr(['rmi', '../x']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^minictr: invalid image reference "\.\.\/x"/);
  });

  it('re-importing a tag moves it; the old image stays as <none> until removed by ID', async () => {
    const name = uniq('move');
    const old = await importNew(name, 'one');
    const neu = await importNew(name, 'two');
    expect(neu).not.toBe(old);
    const rows = (await minictr(['images'])).stdout.split('\n');
    expect(rows.find((l) => l.includes(old.slice(0, 12)))).toMatch(/^<none>\s+<none>\s+/);
    expect((await minictr(['rmi', old.slice(0, 12)])).stdout).toContain(`Deleted: sha256:${old}`);
    expect((await minictr(['rmi', name])).exitCode).toBe(0);
  });
});

describe('the built-in busybox image', () => {
  it('is made from the host static busybox on first use, once, even by concurrent first runs', async () => {
    expect(await isStaticElf('/bin/busybox')).toBe(true);
    expect(await isStaticElf(process.execPath)).toBe(false);
    // A fresh store, so this really is the first use.
    const fresh = await scratchDir('bb-');
    const env = { ...process.env, MINICTR_ROOT: join(fresh, 'lib'), MINICTR_RUN: join(fresh, 'run') };
    const before = await minictr(['images', '-q'], { env });
    expect(before.stdout).toBe('');
    const resolve = fileURLToPath(new URL('../dist/image/resolve.js', import.meta.url));
    const store = fileURLToPath(new URL('../dist/image/store.js', import.meta.url));
    const script = `Promise.all([import(${JSON.stringify(resolve)}), import(${JSON.stringify(store)})]).then(async ([r, s]) => { const i = await r.resolveImage(process.argv[1]); console.log(i.id + ' ' + s.layerDirs(i)[0]); })`;
    const runs = await Promise.all(
      ['busybox', 'busybox:latest', 'docker.io/library/busybox'].map((ref) => execa('node', ['-e', script, ref], { env })),
    );
    const ids = new Set(runs.map((r) => r.stdout.split(' ')[0]));
    expect(ids.size).toBe(1);
    const layer = runs[0]!.stdout.split(' ')[1]!;
    expect(readdirSync(join(fresh, 'lib', 'layers'))).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(fresh, 'lib', 'images', 'tags.json'), 'utf8'))).toEqual({ 'busybox:latest': [...ids][0] });
    expect(readdirSync(join(fresh, 'lib', 'tmp'))).toEqual([]);
    expect(readdirSync(join(fresh, 'run', 'locks'))).toEqual([]);

    // The rootfs: the binary, applet links, the usual dirs, a passwd with root.
    expect(readFileSync(join(layer, 'bin/busybox')).equals(readFileSync('/bin/busybox'))).toBe(true);
    expect(statSync(join(layer, 'bin/busybox')).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(layer, 'bin/sh')).isSymbolicLink()).toBe(true);
    expect(statSync(join(layer, 'usr/bin/env')).ino).toBe(statSync(join(layer, 'bin/busybox')).ino);
    expect(readlinkSync(join(layer, 'usr/bin/env'))).toBe('../../bin/busybox');
    expect(statSync(join(layer, 'tmp')).mode & 0o7777).toBe(0o1777);
    for (const d of ['proc', 'sys', 'dev', 'root', 'etc', 'home']) expect(statSync(join(layer, d)).isDirectory()).toBe(true);
    expect(readFileSync(join(layer, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh$/m);
    expect(readFileSync(join(layer, 'etc/group'), 'utf8')).toMatch(/^root:x:0:$/m);
    // The shell works in it (a chroot, not a container: that is `run`'s job).
    const sh = await execa('/usr/sbin/chroot', [layer, '/bin/sh', '-c', 'echo "$0 works"; id -un; ls /usr/bin/env'], { env: { PATH: '/bin:/usr/bin' } });
    expect(sh.stdout).toBe('/bin/sh works\nroot\n/usr/bin/env');

    const listed = await minictr(['images'], { env });
    expect(listed.stdout).toMatch(/^busybox\s+latest\s+[0-9a-f]{12}\s+.* ago\s+\d(\.\d+)?MB$/m);
    const img = (await listImages()).find((i) => i.tags.includes('busybox:latest'));
    void img; // the suite's own store is independent of this fresh one
    const again = await execa('node', ['-e', script, 'busybox'], { env });
    expect(again.stdout).toBe(runs[0]!.stdout); // built once, then found
  });

  it('says clearly when the host has no static busybox', async () => {
    const fresh = await scratchDir('bb-');
    const env = { ...process.env, MINICTR_ROOT: join(fresh, 'lib'), MINICTR_RUN: join(fresh, 'run'), MINICTR_BUSYBOX: process.execPath };
    const store = fileURLToPath(new URL('../dist/image/resolve.js', import.meta.url));
    const r = await execa('node', ['-e', `import(${JSON.stringify(store)}).then((s) => s.resolveImage('busybox')).catch((e) => { console.error(e.message); process.exit(1); })`], { env, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^image not found: busybox \(the built-in image needs a static busybox and .* is dynamically linked; install busybox-static/);
    expect(existsSync(join(fresh, 'lib', 'layers'))).toBe(false);
  });
});

describe('concurrency and recovery', () => {
  let dir: string;
  let big: string; // big enough to catch an import mid-extraction, and of this run only
  beforeAll(async () => {
    dir = await scratchDir();
    // its own content: a layer already in the store (the Debian image, imported by another
    // test) would make the import skip extraction altogether
    const tree = join(dir, 'big-tree');
    await execa('sh', ['-c', `mkdir -p ${tree}/usr/share/many && cd ${tree}/usr/share/many && seq 1 20000 | xargs touch && head -c 64M /dev/urandom > ${tree}/usr/blob && echo ${uniq('marker')} > ${tree}/marker`]);
    big = join(dir, 'big.tar');
    await execa('tar', ['-C', tree, '-cf', big, '.']);
  }, 20 * 60_000);

  it('concurrent imports of different images all land, with a consistent tags.json', async () => {
    const names = Array.from({ length: 6 }, () => uniq('conc'));
    const tars = await Promise.all(names.map((n) => craftTar(join(dir, `${n}.tar`), [{ name: 'f', content: n }])));
    const results = await Promise.all(names.map((n, i) => minictr(['import', tars[i]!, n])));
    for (const r of results) expect(r.stderr).toBe('');
    const tags = JSON.parse(readFileSync(join(root(), 'images', 'tags.json'), 'utf8')) as Record<string, string>;
    for (const [i, n] of names.entries()) expect(tags[`${n}:latest`]).toBe(results[i]!.stdout.trim().slice(7));
    const removed = await Promise.all(names.map((n) => minictr(['rmi', n])));
    for (const r of removed) expect(r.exitCode).toBe(0);
  });

  it('breaks a stale lock and sweeps temp dirs left by killed commands', async () => {
    const locks = join(process.env.MINICTR_RUN!, 'locks');
    mkdirSync(locks, { recursive: true });
    // pid 2^22+1 cannot exist (pid_max is at most 2^22).
    writeFileSync(join(locks, 'images.lock'), '4194305 123\n');
    const stale = join(root(), 'tmp', 'import-4194305.123-abcdef');
    mkdirSync(join(stale, 'diff'), { recursive: true });
    writeFileSync(join(stale, 'diff', 'junk'), 'x');
    const tar = await craftTar(join(dir, 'stale.tar'), [{ name: 'f', content: uniq('s') }]);
    const name = uniq('stale');
    const r = await minictr(['import', tar, name]);
    expect(r.stderr).toBe('');
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(locks, 'images.lock'))).toBe(false);
    expect((await minictr(['rmi', name])).exitCode).toBe(0);
  });

  it('waits for a lock held by a live process', async () => {
    const locks = join(process.env.MINICTR_RUN!, 'locks');
    mkdirSync(locks, { recursive: true });
    const holder = execa('sleep', ['1.5']);
    const start = readFileSync(`/proc/${holder.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
    writeFileSync(join(locks, 'images.lock'), `${holder.pid} ${start}\n`);
    const tar = await craftTar(join(dir, 'wait.tar'), [{ name: 'f', content: uniq('w') }]);
    const name = uniq('wait');
    const t0 = Date.now();
    const r = await minictr(['import', tar, name]);
    await holder;
    expect(r.stderr).toBe('');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000); // it waited for the holder to die
    expect((await minictr(['rmi', name])).exitCode).toBe(0);
  });

  it('an import killed with SIGKILL mid-extraction is cleaned up by the next command', async () => {
    const before = storeSnapshot();
    const child = execa(join(fileURLToPath(new URL('..', import.meta.url)), 'bin/minictr'), ['import', big, uniq('killed')], { reject: false });
    const tmp = join(root(), 'tmp');
    // pass 1 (checking every header of a ~100 MB stream) comes first and is slow on a loaded
    // machine: wait for extraction itself to have started
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline && child.exitCode === null && !(existsSync(tmp) && readdirSync(tmp).some((n) => existsSync(join(tmp, n, 'diff', 'usr'))))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await child;
    expect(readdirSync(tmp).some((n) => n.startsWith('import-'))).toBe(true); // the mess exists
    // tar itself dies of the broken pipe; give it a moment.
    await new Promise((r) => setTimeout(r, 500));
    const gone = uniq('gone');
    expect((await minictr(['rmi', gone])).stderr).toBe(`minictr: image not found: ${gone}`);
    expect(storeSnapshot()).toEqual(before);
  }, 180_000);
});
