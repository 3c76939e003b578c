/**
 * commit, export, history, and rmi of an image in use. A container changes and deletes files;
 * the committed image, run again, must show the changes and the deletions (seen from inside
 * the new container); the stored layer must hold real overlay whiteouts; export must give a
 * flat tarball that import reads back, without leaving a mount behind.
 */
import { execa } from 'execa';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';
import { leftovers, newSince } from './helpers/container.js';
import { scratchDir } from './helpers/image-fixtures.js';
import { resolveImage } from '../src/image/resolve.js';

const made: string[] = [];
afterAll(async () => {
  if (made.length) await minictr(['rm', '-f', ...made]);
});

/** Run a busybox container to completion, keeping it (no --rm) for commit/export. */
async function changed(script: string, image = 'busybox'): Promise<string> {
  const name = uniq('cm-');
  const r = await minictr(['run', '--name', name, image, 'sh', '-c', script]);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  made.push(name);
  return name;
}

async function inImage(image: string, script: string): Promise<string> {
  const r = await minictr(['run', '--rm', image, 'sh', '-c', script]);
  expect(r.stderr).toBe('');
  return r.stdout;
}

// In the container: add a file, change one, delete a file and a whole directory, and replace
// a directory of the image by a new one (an opaque directory in overlayfs).
const CHANGES = [
  'echo new > /etc/newfile',
  'echo changed >> /etc/passwd',
  'rm /etc/group',
  'rm -rf /usr/sbin && mkdir /usr/sbin && echo only > /usr/sbin/only',
  'mkdir -p /opt/app && echo app > /opt/app/f',
  'rm -f /bin/vi',
].join(' && ');

const CHECK = [
  'cat /etc/newfile',
  'tail -n1 /etc/passwd',
  'test -e /etc/group && echo group || echo nogroup',
  'ls /usr/sbin',
  'cat /opt/app/f',
  'test -e /bin/vi && echo vi || echo novi',
].join('; ');

describe('commit', () => {
  let ctr: string;
  let image: string;
  beforeAll(async () => {
    ctr = await changed(CHANGES);
    image = `${uniq('photo')}:01`;
    const r = await minictr(['commit', '-m', 'my changes', ctr, image]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a container of the new image sees the changes, and the deletions as deleted', async () => {
    expect((await inImage(image, CHECK)).split('\n')).toEqual(['new', 'changed', 'nogroup', 'only', 'app', 'novi']);
    // the base image is untouched
    expect(await inImage('busybox', 'test -e /etc/group && echo group; test -e /bin/vi && echo vi; ls /etc/newfile /opt 2>&1')).toBe(
      "group\nvi\nls: /etc/newfile: No such file or directory\nls: /opt: No such file or directory",
    );
  });

  it('stores one new layer holding overlay whiteouts for the deletions', async () => {
    const base = await resolveImage('busybox');
    const img = await resolveImage(image);
    expect(img.layers.slice(0, -1)).toEqual(base.layers);
    expect(img.layers).toHaveLength(base.layers.length + 1);
    const diff = join(process.env.MINICTR_ROOT!, 'layers', img.layers.at(-1)!.slice(7), 'diff');
    const group = lstatSync(join(diff, 'etc/group'));
    expect(group.isCharacterDevice() && group.rdev === 0).toBe(true);
    expect(existsSync(join(diff, 'etc/.wh.group'))).toBe(false);
    expect((await execa('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(diff, 'usr/sbin')])).stdout).toBe('y');
    expect(readFileSync(join(diff, 'etc/newfile'), 'utf8')).toBe('new\n');
    // only what changed: not the image's other files, not the runtime's mount points
    expect(existsSync(join(diff, 'bin/busybox'))).toBe(false);
    expect(existsSync(join(diff, 'etc/hosts'))).toBe(false);
  });

  it("keeps the container's command as the image's default", async () => {
    const name = uniq('cmd-');
    const r = await minictr(['run', '--name', name, '-e', 'WHO=student', 'busybox', 'sh', '-c', 'echo "hi $WHO" > /hello; cat /hello']);
    made.push(name);
    expect(r.stdout).toBe('hi student');
    const img = `${uniq('cmd')}:v1`;
    expect((await minictr(['commit', name, img])).exitCode).toBe(0);
    const run = await minictr(['run', '--rm', img]);
    expect(run.stdout).toBe('hi student');
    const cfg = (await resolveImage(img)).config;
    expect(cfg.Cmd).toEqual(['sh', '-c', 'echo "hi $WHO" > /hello; cat /hello']);
    expect(cfg.Env).toContain('WHO=student');
    // -c sets config the Dockerfile way
    const img2 = `${uniq('cmd')}:v2`;
    expect((await minictr(['commit', '-c', 'CMD ["cat", "/hello"]', name, img2])).exitCode).toBe(0);
    expect((await minictr(['run', '--rm', img2])).stdout).toBe('hi student');
  });

  it('a commit of a commit: deletions of files from an earlier commit, and history', async () => {
    const ctr2 = await changed('rm /etc/newfile && echo two > /etc/second', image);
    const image2 = `${uniq('photo')}:02`;
    expect((await minictr(['commit', '-m', 'second', ctr2, image2])).exitCode).toBe(0);
    expect(await inImage(image2, 'cat /etc/second; test -e /etc/newfile || echo gone; cat /opt/app/f')).toBe('two\ngone\napp');

    const h = await minictr(['history', image2]);
    expect(h.exitCode).toBe(0);
    const rows = h.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(rows).toHaveLength(4); // busybox import, first commit, second commit
    expect(rows[1]).toMatch(/^[0-9a-f]{12}\s+.*sh -c rm \/etc\/newfile.*\s4B\s+second$/);
    expect(rows[2]).toMatch(/^<missing>\s+.*my changes$/);
    expect(rows[3]).toMatch(/^<missing>\s+.*minictr import/);
  });

  it('an unchanged container commits to the same layers with a new config', async () => {
    const name = await changed('true');
    const img = `${uniq('same')}:v1`;
    expect((await minictr(['commit', '-c', 'ENV X=1', name, img])).exitCode).toBe(0);
    expect((await resolveImage(img)).layers).toEqual((await resolveImage('busybox')).layers);
    expect(await inImage(img, 'echo $X')).toBe('1');
  });

  it('bad input: unknown container, bad name', async () => {
    const r = await minictr(['commit', uniq('nosuch-'), 'x:y']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/^minictr: no such container: nosuch-/);
    const r2 = await minictr(['commit', ctr, 'Bad:Name']);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toMatch(/^minictr: invalid image reference "Bad:Name"/);
  });

  it('export writes the merged filesystem, import reads it back, and no mount is left', async () => {
    const dir = await scratchDir('export-');
    const tar = join(dir, 'ctr.tar');
    const before = await leftovers();
    const r = await minictr(['export', ctr, '-o', tar]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(newSince(before, await leftovers())).toEqual([]);
    const names = (await execa('tar', ['-tf', tar])).stdout.split('\n').map((n) => n.replace(/^\.\//, ''));
    expect(names).toContain('etc/newfile');
    expect(names).toContain('bin/busybox');
    expect(names).not.toContain('etc/group');
    expect(names.filter((n) => n.includes('.wh.'))).toEqual([]);

    const flat = `${uniq('flat')}:v1`;
    expect((await minictr(['import', tar, flat])).exitCode).toBe(0);
    expect((await resolveImage(flat)).layers).toHaveLength(1);
    expect((await inImage(flat, CHECK)).split('\n')).toEqual(['new', 'changed', 'nogroup', 'only', 'app', 'novi']);

    // to stdout when it is not a terminal
    const piped = await execa('sh', ['-c', `${join(process.cwd(), 'bin/minictr')} export ${ctr} | tar -tf - | grep -c newfile`]);
    expect(piped.stdout).toBe('1');

    const bad = await minictr(['export', uniq('nosuch-'), '-o', join(dir, 'x.tar')]);
    expect(bad.exitCode).not.toBe(0);
    expect(existsSync(join(dir, 'x.tar'))).toBe(false);
  });
});

describe('rmi of an image in use', () => {
  it('is refused without -f; with -f the tag goes and the image stays for its container', async () => {
    const name = await changed('echo x > /x');
    const img = `${uniq('inuse')}:v1`;
    expect((await minictr(['commit', name, img])).exitCode).toBe(0);
    const user = uniq('user-');
    made.push(user);
    expect((await minictr(['run', '--name', user, img, 'true'])).exitCode).toBe(0);

    const r = await minictr(['rmi', img]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^minictr: image ${img} is in use by container ${user} \\([0-9a-f]{12}\\): remove the container first, or use -f$`));
    expect((await minictr(['images', '-q', img])).stdout).not.toBe('');

    const f = await minictr(['rmi', '-f', img]);
    expect(f.exitCode).toBe(0);
    expect(f.stdout).toBe(`Untagged: ${img}`);
    // the container's image is still there: it can start again
    const start = await minictr(['start', '-a', user]);
    expect(start.exitCode).toBe(0);
    await minictr(['rm', '-f', user]);
  });
});
