/**
 * Named volumes (`minictr volume`, `run -v NAME:/path`, `-v /path`, `--mount`): what a volume
 * holds is read from inside later containers, read-only and tmpfs mounts from the kernel
 * (/proc/mounts, EROFS), and what is kept or removed from the host's directories. Every
 * container runs with --network none (no bridge needed), every name is unique to this run,
 * and the file checks its own leftovers at the end.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';
import { processStartTime } from '../src/util/proc.js';
import { storeSnapshot, testBase } from './helpers/image-fixtures.js';

const volumesDir = (): string => join(process.env.MINICTR_ROOT!, 'volumes');
const dataOf = (name: string): string => join(volumesDir(), name, '_data');
const volumeNames = (): string[] => (existsSync(volumesDir()) ? readdirSync(volumesDir()).sort() : []);

// everything this file makes, removed (and checked gone) at the end
const volumes: string[] = [];
const containers: string[] = [];
const vol = (tag: string): string => {
  const v = uniq(`i15${tag}`);
  volumes.push(v);
  return v;
};
const ctrName = (tag: string): string => {
  const c = uniq(`i15${tag}`);
  containers.push(c);
  return c;
};

/** run --rm --network none IMAGE sh -c SCRIPT, with extra flags before the image */
const runSh = (flags: string[], script: string, image = 'busybox') => minictr(['run', '--rm', '--network', 'none', ...flags, image, 'sh', '-c', script]);

const IMAGE = uniq('i15img');
let hostDir = '';
const SECRET = uniq('secret-');

beforeAll(async () => {
  // a host directory the image's symlinks point at: its file must never reach a volume
  hostDir = mkdtempSync(join(testBase(), 'i15-host-'));
  writeFileSync(join(hostDir, SECRET), 'host only\n');
  // an image with files of known owners and modes at /seed, and symlinks out to the host dir
  const builder = ctrName('build');
  const made = await minictr(['run', '--name', builder, '--network', 'none', 'busybox', 'sh', '-c', [
    'mkdir -p /seed/sub && echo seeded > /seed/file && chmod 640 /seed/file && chown 1234:99 /seed/file',
    'ln -s file /seed/link && chmod 1777 /seed/sub && chown 42:43 /seed && chmod 750 /seed',
    `ln -s ${hostDir} /evil && ln -s ../../../..${hostDir} /evil2`,
  ].join(' && ')]);
  expect(made.stderr).toBe('');
  expect(made.exitCode).toBe(0);
  expect((await minictr(['commit', builder, IMAGE])).exitCode).toBe(0);
  expect((await minictr(['rm', builder])).exitCode).toBe(0);
});

afterAll(async () => {
  for (const c of containers) await minictr(['rm', '-f', c]);
  for (const v of volumes) await minictr(['volume', 'rm', '-f', v]);
  await minictr(['rmi', '-f', IMAGE]);
  rmSync(hostDir, { recursive: true, force: true });
  // this file's own leftovers: no volume, container or name of ours
  const mine = (n: string): boolean => n.startsWith('i15');
  expect(volumeNames().filter(mine)).toEqual([]);
  const ps = await minictr(['ps', '-a', '--format', 'json']);
  expect(ps.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Names: string }).Names).filter(mine)).toEqual([]);
});

describe('named volumes', () => {
  it('what one container writes, a later one reads through the volume (made on first use, bound as --explain shows)', async () => {
    const v = vol('data');
    const w = await runSh(['--explain', '-v', `${v}:/data`], 'echo hello from the first > /data/note');
    expect(w.exitCode).toBe(0);
    // the explain lines are printed from the mount that is done
    expect(w.stderr).toContain(`create the volume ${v}: a directory on the host`);
    expect(w.stderr).toContain(`$ mount --rbind ${dataOf(v)} `);
    const r = await runSh(['-v', `${v}:/data`], 'cat /data/note');
    expect(r.stdout).toBe('hello from the first');
    expect(readFileSync(join(dataOf(v), 'note'), 'utf8')).toBe('hello from the first\n');
    // --mount's long form reaches the same volume
    const m = await runSh(['--mount', `type=volume,src=${v},dst=/elsewhere,readonly`], 'cat /elsewhere/note');
    expect(m.stdout).toBe('hello from the first');
    const ls = await minictr(['volume', 'ls', '-q', '--filter', `name=${v}`]);
    expect(ls.stdout.split('\n')).toEqual([v]);
    const inspect = JSON.parse((await minictr(['volume', 'inspect', v])).stdout) as Record<string, unknown>[];
    expect(inspect).toEqual([{ Name: v, Driver: 'local', Mountpoint: dataOf(v), CreatedAt: expect.any(String), Labels: {}, Options: null, Scope: 'local' }]);
  });

  it("an empty volume is filled with the image's files at its path (owners, modes, symlinks kept); a non-empty or shared one is not", async () => {
    const v = vol('seed');
    const r = await runSh(['-v', `${v}:/seed`], 'stat -c "%n %a %u:%g" /seed /seed/file /seed/sub; readlink /seed/link; cat /seed/file', IMAGE);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['/seed 750 42:43', '/seed/file 640 1234:99', '/seed/sub 1777 0:0', 'file', 'seeded']);
    // the copy is in the volume on the host, not in the container's layer
    expect(lstatSync(join(dataOf(v), 'file'))).toMatchObject({ uid: 1234, gid: 99, mode: 0o100640 });
    expect(readlinkSync(join(dataOf(v), 'link'))).toBe('file');
    expect(statSync(dataOf(v))).toMatchObject({ uid: 42, gid: 43 });

    const full = vol('full');
    expect((await runSh(['-v', `${full}:/x`], 'echo mine > /x/mine')).exitCode).toBe(0);
    const again = await runSh(['-v', `${full}:/seed`], 'ls -A /seed', IMAGE);
    expect(again.stdout.split('\n')).toEqual(['mine']);

    // nor one that another container mounts, even empty: nothing may write into it during the copy
    const shared = vol('shared');
    const holder = ctrName('holder');
    expect((await minictr(['run', '--name', holder, '--network', 'none', '-v', `${shared}:/x`, 'busybox', 'true'])).exitCode).toBe(0);
    const second = await runSh(['-v', `${shared}:/seed`], 'ls -A /seed; echo end', IMAGE);
    expect(second.stdout).toBe('end');
    expect(readdirSync(dataOf(shared))).toEqual([]);
    expect((await minictr(['rm', holder])).exitCode).toBe(0);
  });

  it(':ro and readonly mount the volume read-only: a write inside fails with EROFS', async () => {
    const v = vol('ro');
    for (const flags of [['-v', `${v}:/data:ro`], ['--mount', `type=volume,source=${v},target=/data,readonly`]]) {
      const r = await runSh(flags, 'grep " /data " /proc/mounts | cut -d" " -f4 | cut -d, -f1; echo x > /data/y && echo wrote');
      expect(r.stdout).toBe('ro');
      expect(r.stderr).toContain('Read-only file system');
      expect(existsSync(join(dataOf(v), 'y'))).toBe(false);
    }
  });

  it('a volume in use by a container (even a stopped one) is not removed, with -f neither: one line naming it, data kept', async () => {
    const v = vol('busy');
    const c = ctrName('user');
    expect((await minictr(['volume', 'create', '--label', 'tier=db', '--label', 'empty', v])).stdout).toBe(v);
    expect((JSON.parse((await minictr(['volume', 'inspect', v])).stdout) as { Labels: unknown }[])[0]!.Labels).toEqual({ tier: 'db', empty: '' });
    expect((await minictr(['run', '--name', c, '--network', 'none', '-v', `${v}:/d`, 'busybox', 'sh', '-c', 'echo keep > /d/f'])).exitCode).toBe(0);
    for (const args of [['volume', 'rm', v], ['volume', 'rm', '-f', v]]) {
      const r = await minictr(args);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toBe(`minictr: volume ${v} is in use by container ${c}: remove the container first`);
    }
    const prune = await minictr(['volume', 'prune', '-f', '-a']);
    expect(prune.stdout).not.toContain(v);
    expect(readFileSync(join(dataOf(v), 'f'), 'utf8')).toBe('keep\n');
    expect((await minictr(['volume', 'ls', '-q', '--filter', 'dangling=false'])).stdout.split('\n')).toContain(v);
    // once the container is gone, so may the volume be
    expect((await minictr(['rm', c])).exitCode).toBe(0);
    const rm = await minictr(['volume', 'rm', v]);
    expect(rm.exitCode).toBe(0);
    expect(existsSync(join(volumesDir(), v))).toBe(false);
  });

  it('rm -v removes the container\'s anonymous volume and keeps its named one; inspect lists both as Mounts', async () => {
    const named = vol('kept');
    const c = ctrName('anon');
    expect((await minictr(['run', '--name', c, '--network', 'none', '-v', `${named}:/n`, '-v', '/anon', 'busybox', 'sh', '-c', 'echo a > /anon/a; echo n > /n/n'])).exitCode).toBe(0);
    const mounts = (JSON.parse((await minictr(['inspect', c])).stdout) as { Mounts: Record<string, unknown>[] }[])[0]!.Mounts.filter((m) => m.Type === 'volume');
    const anon = mounts.find((m) => m.Destination === '/anon')!;
    expect(anon.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(mounts).toEqual([
      { Type: 'volume', Name: named, Source: dataOf(named), Destination: '/n', Driver: 'local', RW: true },
      { Type: 'volume', Name: anon.Name, Source: dataOf(anon.Name as string), Destination: '/anon', Driver: 'local', RW: true },
    ]);
    expect(readFileSync(join(dataOf(anon.Name as string), 'a'), 'utf8')).toBe('a\n');
    // a volume outlives its container unless asked: rm -v takes the anonymous one only
    expect((await minictr(['rm', '-v', c])).exitCode).toBe(0);
    expect(existsSync(join(volumesDir(), anon.Name as string))).toBe(false);
    expect(readFileSync(join(dataOf(named), 'n'), 'utf8')).toBe('n\n');
    // --rm does the same for the anonymous volume of a --rm container
    const before = volumeNames();
    expect((await runSh(['-v', '/scratch'], 'echo x > /scratch/x')).exitCode).toBe(0);
    expect(volumeNames()).toEqual(before);
  });

  it('a run without volumes does not take the volumes lock: it starts while another process holds it', async () => {
    const lock = join(process.env.MINICTR_RUN!, 'locks', 'volumes.lock');
    const mine = `${process.pid} ${processStartTime(process.pid)}\n`;
    mkdirSync(join(lock, '..'), { recursive: true });
    writeFileSync(lock, mine, { flag: 'wx' });
    try {
      // with the lock taken this would wait for it (up to 120 s): the test's timeout fails it
      const r = await runSh(['--mount', 'type=tmpfs,target=/scratch'], 'grep -c " /scratch tmpfs " /proc/mounts');
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('1');
      expect(readFileSync(lock, 'utf8')).toBe(mine);
    } finally {
      rmSync(lock);
    }
  }, 20_000);

  it('--mount type=tmpfs is a tmpfs of its tmpfs-size (from /proc/mounts inside); type=bind a host path', async () => {
    const r = await runSh(['--mount', 'type=tmpfs,target=/t,tmpfs-size=1m', '--mount', `type=bind,src=${hostDir},dst=/h,readonly`], 'grep -E " /(t|h) " /proc/mounts');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^tmpfs \/t tmpfs rw,[^ ]*size=1024k/);
    expect(lines[1]).toMatch(/^\S+ \/h \S+ ro,/);
  });

  it('a broken volume record is listed, named by system check, kept by prune, and removed only by volume rm -f', async () => {
    const v = vol('broken');
    expect((await minictr(['volume', 'create', v])).stdout).toBe(v);
    writeFileSync(join(volumesDir(), v, 'volume.json'), '{"Name": "trunc');
    const ls = await minictr(['volume', 'ls', '--filter', `name=${v}`]);
    expect(ls.stdout.split('\n').slice(1)).toEqual([expect.stringMatching(new RegExp(`^broken\\s+${v}$`))]);
    expect(ls.stderr).toContain(`minictr: broken volume record ${join(volumesDir(), v, 'volume.json')}`);
    const check = await minictr(['system', 'check']);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain(`broken volume record ${join(volumesDir(), v, 'volume.json')}`);
    expect(check.stdout).toContain(`minictr volume rm -f ${v}`);
    await minictr(['volume', 'prune', '-f', '-a']);
    expect(existsSync(join(volumesDir(), v))).toBe(true);
    const rm = await minictr(['volume', 'rm', v]);
    expect(rm.exitCode).toBe(1);
    expect(rm.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(volumesDir(), v))).toBe(true);
    expect((await minictr(['volume', 'rm', '-f', v])).exitCode).toBe(0);
    expect(existsSync(join(volumesDir(), v))).toBe(false);
  });

  it.each(['../x', 'a/b', '.'])('a hostile volume name %j is refused with one line, and nothing is made', async (bad) => {
    const before = storeSnapshot();
    for (const args of [
      ['volume', 'create', bad],
      ['volume', 'rm', bad],
      ['volume', 'inspect', bad],
      ['run', '--rm', '--network', 'none', '-v', `${bad}:/d`, 'busybox', 'true'],
      ['run', '--rm', '--network', 'none', '--mount', `source=${bad},target=/d`, 'busybox', 'true'],
    ]) {
      const r = await minictr(args);
      expect(r.exitCode, args.join(' ')).not.toBe(0);
      expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^minictr: invalid .*${JSON.stringify(bad).replace(/[.*/]/g, '\\$&')} is not a valid volume name|^minictr: invalid volume name`));
      expect(r.stderr.split('\n').filter((l) => !l.startsWith('See '))).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    // nothing in the store (no volume, container dir, name, lock left), nothing beside it
    expect(storeSnapshot().filter((p) => !p.includes('/locks/'))).toEqual(before.filter((p) => !p.includes('/locks/')));
    expect(existsSync(join(process.env.MINICTR_ROOT!, 'x'))).toBe(false);
    expect(existsSync(join(volumesDir(), 'a'))).toBe(false);
  });

  it("a volume at an image path that is a symlink to a host directory gets none of the host's files", async () => {
    for (const path of ['/evil', '/evil2']) {
      const v = vol('link');
      // the link resolves inside the image (where its target is made), never on the host
      const r = await runSh(['-v', `${v}:${path}`], `ls -A ${path}/; echo inside > ${path}/written; echo done`, IMAGE);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('done');
      expect(readdirSync(dataOf(v))).toEqual(['written']);
    }
    // and the host directory itself was never touched
    expect(readdirSync(hostDir)).toEqual([SECRET]);
  });
});
