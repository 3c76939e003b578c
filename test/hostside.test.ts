/**
 * Host-side work on a container's files never follows the container's symlinks (issue 12):
 *
 *  - `run -u` / `exec -u` read /etc/passwd and /etc/group inside the image or the running
 *    container: images (and containers) whose /etc/passwd points at the host's /etc/shadow,
 *    whose /etc is a symlink to a host dir the test made, or whose /etc/passwd is a FIFO or
 *    huge get one clear line and never a user taken from the host, and never hang; deleted
 *    files (whiteouts, opaque dirs) of a layered image stay deleted;
 *  - `commit` of a running container freezes it while it reads the upper dir, so a
 *    container that keeps swapping a directory with a symlink to a host dir cannot get that
 *    host dir's files into the layer;
 *  - /dev: a host dir given as /dev, where a container planted `null -> HOSTFILE`, does not
 *    get HOSTFILE chmod'ed when the device nodes are made; a /dev/null that is not the null
 *    device is never bound over the masked paths.
 *
 * Images are made by `minictr import` of tarballs built here (busybox and its applets).
 * Every container is named by this file and removed at the end; each test checks what its
 * own containers left (cgroups, mounts), not the whole host (other suites run at the same time).
 */
import { execa } from 'execa';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostCgroupDirs } from './helpers/cgroup.js';
import { minictr, uniq } from './helpers/cli.js';
import { scratchDir } from './helpers/image-fixtures.js';
import { makeBundle, makeRootfs, residueSettled, runtime, sleep, until, workDir } from './helpers/oci.js';
import { resolveImage } from '../src/image/resolve.js';

const made: string[] = [];
afterAll(async () => {
  if (made.length) await minictr(['rm', '-f', ...made]);
});

/** A CLI call that must end by itself: a hang (a FIFO read) fails the test in 20 s. */
const quick = (args: string[]) => minictr(args, { timeout: 20_000 });

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nalice:x:1234:2345:Alice:/home/alice:/bin/sh\n';
const GROUP = 'root:x:0:\nstaff:x:3456:alice\n';

/** Import a busybox rootfs, changed by `prepare` (a shell script run in the rootfs dir). */
async function importImage(prepare: string): Promise<string> {
  const dir = await scratchDir('hs-img-');
  const root = await makeRootfs(join(dir, 'root'));
  writeFileSync(join(root, 'etc', 'passwd'), PASSWD);
  writeFileSync(join(root, 'etc', 'group'), GROUP);
  await execa('sh', ['-euc', prepare], { cwd: root });
  const tar = join(dir, 'img.tar');
  await execa('tar', ['--numeric-owner', '-C', root, '-cf', tar, '.']);
  const name = `${uniq('hs')}:v1`;
  const r = await minictr(['import', tar, name]);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  rmSync(dir, { recursive: true, force: true });
  return name;
}

/** Run IMAGE's `id` as USER in a container kept for inspection (named, no --rm). */
async function runAs(user: string, image: string): Promise<{ out: string; err: string; code: number | undefined; name: string }> {
  const name = uniq('hs-');
  made.push(name);
  const r = await quick(['run', '--name', name, '--network', 'none', '-u', user, image, 'sh', '-c', 'echo "$(id -u) $(id -g)"']);
  return { out: r.stdout, err: r.stderr, code: r.exitCode, name };
}

/** A container that failed to start left no cgroup and no mount of its own. */
async function leftNothing(name: string): Promise<void> {
  const r = await minictr(['inspect', name]);
  expect(r.exitCode).toBe(0);
  const id = (JSON.parse(r.stdout) as { Id: string }[])[0]!.Id;
  expect(hostCgroupDirs(id)).toEqual([]);
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(id);
}

describe('run -u: users and groups come from the image, never from the host', () => {
  let plain: string;
  let hostEtc: string;
  beforeAll(async () => {
    plain = await importImage('true');
    // a host dir that looks like an /etc: an image must never get a user from it
    hostEtc = join(await scratchDir('hs-hostetc-'), 'etc');
    mkdirSync(hostEtc);
    writeFileSync(join(hostEtc, 'passwd'), 'mallory:x:4242:4242::/:/bin/sh\n');
    writeFileSync(join(hostEtc, 'group'), 'evil:x:4343:root,alice\n');
  });

  it('a normal image: users by name and by uid, groups by name', async () => {
    expect((await runAs('alice', plain)).out).toBe('1234 2345');
    expect((await runAs('1234', plain)).out).toBe('1234 2345');
    expect((await runAs('alice:staff', plain)).out).toBe('1234 3456');
    expect((await runAs('4000:staff', plain)).out).toBe('4000 3456');
    // symlinks inside the image are followed inside the image
    const linked = await importImage('mv etc conf && ln -s /conf etc');
    expect((await runAs('alice:staff', linked)).out).toBe('1234 3456');
    const rel = await importImage('mv etc/passwd etc/passwd.real && ln -s ../../../etc/passwd.real etc/passwd');
    expect((await runAs('alice', rel)).out).toBe('1234 2345');
  });

  it("/etc/passwd -> the host's /etc/shadow (absolute or relative) is the image's own /etc/shadow: no such user", async () => {
    for (const link of ['/etc/shadow', '../../../../../../../../../etc/shadow']) {
      const image = await importImage(`rm etc/passwd && ln -s ${link} etc/passwd`);
      const r = await runAs('root', image);
      expect(r.err).toBe("minictr: unable to find user root: no matching entries in the container's /etc/passwd");
      expect(r.code).not.toBe(0);
      expect(r.out).toBe('');
      await leftNothing(r.name);
    }
  });

  it('a symlinked /etc pointing at a host dir (absolute or relative) finds nothing of that dir', async () => {
    for (const link of [hostEtc, `../../../../../../../..${hostEtc}`]) {
      const image = await importImage(`rm -r etc && ln -s ${link} etc`);
      const r = await runAs('mallory', image);
      expect(r.err).toBe("minictr: unable to find user mallory: no matching entries in the container's /etc/passwd");
      expect(r.out).toBe('');
      const g = await runAs('0:evil', image);
      expect(g.err).toBe("minictr: unable to find group evil: no matching entries in the container's /etc/group");
    }
  });

  it('a FIFO as /etc/passwd is refused at once, a huge one too', async () => {
    const fifo = await importImage('rm etc/passwd && mkfifo etc/passwd');
    const t0 = Date.now();
    const r = await runAs('alice', fifo);
    expect(r.err).toBe("minictr: cannot read the container's /etc/passwd: it is a FIFO, not a regular file");
    expect(r.code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await leftNothing(r.name);

    // 5 MiB of users, alice last: more than minictr reads
    const huge = await importImage(`awk 'BEGIN { for (i = 0; i < 100000; i++) printf "u%06d:x:%d:%d:padding-padding-padding:/:/bin/sh\\n", i, i + 10000, i + 10000 }' > etc/passwd && echo 'alice:x:1234:2345::/:/bin/sh' >> etc/passwd && test $(wc -c < etc/passwd) -gt 4194304`);
    const h = await runAs('alice', huge);
    expect(h.err).toBe("minictr: cannot read the container's /etc/passwd: it is larger than 4 MiB");
    expect(h.code).not.toBe(0);
    // a numeric user needs the file too (for its group): the same line
    expect((await runAs('1234', huge)).err).toBe("minictr: cannot read the container's /etc/passwd: it is larger than 4 MiB");
  });

  it('supplementary groups (with or without -u, --group-add) come from the image too', async () => {
    // /etc/group -> a host file that lists root and alice in group 4343
    const linked = await importImage(`rm etc/group && ln -s ${hostEtc}/group etc/group`);
    const name = uniq('hs-');
    made.push(name);
    const r = await quick(['run', '--name', name, '--network', 'none', linked, 'id', '-G']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split(' ')).not.toContain('4343');
    expect(r.exitCode).toBe(0);
    const add = await quick(['run', '--rm', '--network', 'none', '--group-add', 'evil', linked, 'id', '-G']);
    expect(add.stderr).toBe("minictr: --group-add evil: no such group in the container's /etc/group");
    expect(add.exitCode).not.toBe(0);
    // a FIFO as /etc/group: one line at once, even without -u (root's groups are looked up)
    const fifo = await importImage('rm etc/group && mkfifo etc/group');
    const f = await runAs('0', fifo);
    expect(f.err).toBe("minictr: cannot read the container's /etc/group: it is a FIFO, not a regular file");
    expect(f.code).not.toBe(0);
    await leftNothing(f.name);
    const plainGroups = await quick(['run', '--rm', '--network', 'none', '-u', 'alice', plain, 'id', '-G']);
    expect(plainGroups.stdout).toBe('2345 3456');
  });

  it('a symlink loop in the image is one line', async () => {
    const image = await importImage('rm etc/passwd && ln -s passwd2 etc/passwd && ln -s passwd etc/passwd2');
    const r = await runAs('alice', image);
    expect(r.err).toBe("minictr: cannot read the container's /etc/passwd: too many levels of symbolic links");
  });

  it('a layered image: a deleted /etc/passwd (whiteout) or a replaced directory (opaque) hides the lower layer', async () => {
    const commitOf = async (base: string, script: string): Promise<string> => {
      const name = uniq('hs-');
      made.push(name);
      expect((await minictr(['run', '--name', name, '--network', 'none', base, 'sh', '-c', script])).exitCode).toBe(0);
      const img = `${uniq('hsc')}:v1`;
      const c = await minictr(['commit', name, img]);
      expect(c.stderr).toBe('');
      return img;
    };
    const deleted = await commitOf(plain, 'rm /etc/passwd');
    const layers = (await resolveImage(deleted)).layers;
    expect(layers).toHaveLength(2);
    const top = join(process.env.MINICTR_ROOT!, 'layers', layers[1]!.slice(7), 'diff');
    expect(lstatSync(join(top, 'etc/passwd')).isCharacterDevice()).toBe(true); // the whiteout is really there
    expect((await runAs('alice', deleted)).err).toBe("minictr: unable to find user alice: no matching entries in the container's /etc/passwd");
    expect((await runAs('0:staff', deleted)).out).toBe('0 3456'); // /etc/group is still the lower layer's

    // /etc has the runtime's mount points (hosts, resolv.conf): the user db is moved to /u,
    // which the container replaces by a new directory (opaque in the upper dir)
    const moved = await importImage('mkdir u && mv etc/passwd etc/group u/ && ln -s /u/passwd etc/passwd && ln -s ../u/group etc/group');
    expect((await runAs('alice:staff', moved)).out).toBe('1234 3456');
    const replaced = await commitOf(moved, "rm -rf /u && mkdir /u && echo 'staff:x:777:' > /u/group");
    const top2 = join(process.env.MINICTR_ROOT!, 'layers', (await resolveImage(replaced)).layers[1]!.slice(7), 'diff');
    expect((await execa('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(top2, 'u')])).stdout).toBe('y');
    expect((await runAs('alice', replaced)).err).toBe("minictr: unable to find user alice: no matching entries in the container's /etc/passwd");
    expect((await runAs('0:staff', replaced)).out).toBe('0 777');

    // and a file made anew above a whiteout is found
    const again = await commitOf(plain, "rm /etc/passwd && echo 'bob:x:55:66::/:/bin/sh' > /etc/passwd");
    expect((await runAs('bob', again)).out).toBe('55 66');
    expect((await runAs('alice', again)).err).toMatch(/^minictr: unable to find user alice/);
  });
});

describe('exec -u: users come from the running container, never from the host', () => {
  let ctr: string;
  let image: string;
  beforeAll(async () => {
    image = await importImage('true');
    ctr = uniq('hs-');
    made.push(ctr);
    const r = await minictr(['run', '-d', '--name', ctr, '--network', 'none', image, 'sleep', '1000']);
    expect(r.exitCode).toBe(0);
  });
  const execAs = (user: string) => quick(['exec', '-u', user, ctr, 'sh', '-c', 'echo "$(id -u) $(id -g)"']);
  const inCtr = async (script: string): Promise<void> => {
    expect((await quick(['exec', ctr, 'sh', '-c', script])).exitCode).toBe(0);
  };

  it('by name and by uid, in the container\'s /etc/passwd', async () => {
    expect((await execAs('alice')).stdout).toBe('1234 2345');
    expect((await execAs('alice:staff')).stdout).toBe('1234 3456');
    expect((await execAs('1234')).stdout).toBe('1234 2345');
  });

  it("the container's /etc/passwd -> /etc/shadow, absolute or relative: no such user", async () => {
    for (const link of ['/etc/shadow', '../../../../../../../../../etc/shadow']) {
      await inCtr(`rm -f /etc/passwd && ln -s ${link} /etc/passwd`);
      const r = await execAs('root');
      expect(r.stderr).toBe("minictr: unable to find user root: no matching entries in the container's /etc/passwd");
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).toBe('');
    }
  });

  it('a FIFO as /etc/passwd, and links to a host file or through a symlinked dir, made by the container', async () => {
    await inCtr('rm -f /etc/passwd && mkfifo /etc/passwd');
    const r = await execAs('alice');
    expect(r.stderr).toBe("minictr: cannot read the container's /etc/passwd: it is a FIFO, not a regular file");
    expect(r.exitCode).not.toBe(0);

    // a host file the test made, named by an absolute link, or through a symlinked dir
    const hostEtc = join(await scratchDir('hs-hostetc-'), 'etc');
    mkdirSync(hostEtc);
    writeFileSync(join(hostEtc, 'passwd'), 'mallory:x:4242:4242::/:/bin/sh\n');
    for (const script of [`ln -sf ${hostEtc}/passwd /etc/passwd`, `ln -s ${hostEtc} /x && ln -sf ../x/passwd /etc/passwd`]) {
      await inCtr(`rm -f /etc/passwd && ${script}`);
      const m = await execAs('mallory');
      expect(m.stderr).toBe("minictr: unable to find user mallory: no matching entries in the container's /etc/passwd");
      expect(m.stdout).toBe('');
    }
    await inCtr(`rm /etc/passwd && printf '${PASSWD}' > /etc/passwd`);
    expect((await execAs('alice')).stdout).toBe('1234 2345');
  });
});

/** Whether the container's cgroup is frozen, read from the kernel (the v1 freezer where there
 * is one, as minictr uses it on a hybrid host, else cgroup v2's cgroup.events). */
function frozenProbe(id: string): () => boolean {
  const dirs = hostCgroupDirs(id);
  const v1 = dirs.find((d) => existsSync(join(d, 'freezer.state')));
  if (v1) return () => readFileSync(join(v1, 'freezer.state'), 'utf8').trim() === 'FROZEN';
  const v2 = dirs.find((d) => existsSync(join(d, 'cgroup.freeze')));
  expect(v2, `a freezer for ${id}`).toBeDefined();
  return () => /^frozen 1$/m.test(readFileSync(join(v2!, 'cgroup.events'), 'utf8'));
}

/** Every regular file below dir whose content has `needle`. */
function filesWith(dir: string, needle: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    if (e.isFile() && readFileSync(p, 'utf8').includes(needle)) out.push(p);
  }
  return out;
}

// Swaps two names for ever with renameat2(RENAME_EXCHANGE), so the directory is never missing
// (tar would fail on a missing one): for a host reading by path, its name is a directory one
// moment and a symlink to the host the next. Writes its loop count to a file, and stops
// (keeping the dir in place) once STOPFILE exists.
const SWAPPER = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 5) return 2;
  int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  char buf[32];
  for (unsigned long n = 0;; n++) {
    if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) return 1;
    if (n % 2 == 1) {
      pwrite(fd, buf, (size_t)snprintf(buf, sizeof buf, "%020lu\\n", n), 0);
      if (n % 256 == 1 && access(argv[4], F_OK) == 0) return 0;
    }
  }
}
`;

describe('commit of a running container: frozen while its upper dir is read', () => {
  const FILES = 500;
  let work: string;
  let ctr: string;
  let id: string;
  let marker: string;
  let hostDir: string;
  const count = (): number => Number(readFileSync(join(work, 'n'), 'utf8').trim() || 0);
  beforeAll(async () => {
    work = await scratchDir('hs-commit-');
    writeFileSync(join(work, 'swap.c'), SWAPPER);
    await execa('cc', ['-static', '-O2', '-o', join(work, 'swap'), join(work, 'swap.c')]);
    // a host dir with the same names as the container's dir, each holding the marker
    marker = uniq('HOSTMARKER-', 12);
    hostDir = join(work, 'host');
    mkdirSync(hostDir);
    for (let i = 1; i <= FILES; i++) writeFileSync(join(hostDir, `f${i}`), `${marker}\n`);
    ctr = uniq('hs-');
    made.push(ctr);
    const script = `mkdir /d && cd /d && for i in $(seq 1 ${FILES}); do echo ctr > f$i; done && ln -s ${hostDir} /l && touch /t/ready && /t/swap /d /l /t/n /t/stop; exec sleep 1000`;
    const r = await minictr(['run', '-d', '--name', ctr, '--network', 'none', '-v', `${work}:/t`, 'busybox', 'sh', '-c', script]);
    expect(r.exitCode).toBe(0);
    id = r.stdout.trim();
    await until('the container to swap', () => existsSync(join(work, 'n')) && count() > 1000);
  });

  it("the container stops during the commit and goes on after; the layer holds none of the host dir's files", async () => {
    const frozen = frozenProbe(id);
    const img = `${uniq('hsw')}:v1`;
    let done = false;
    const commit = minictr(['commit', ctr, img]).finally(() => (done = true));
    const seen: { frozen: boolean; n: number }[] = [];
    while (!done) {
      const before = frozen();
      const n = count();
      if (before === frozen()) seen.push({ frozen: before, n });
      await sleep(2);
    }
    const r = await commit;
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const during = seen.filter((s) => s.frozen);
    expect(during.length, 'samples taken while frozen').toBeGreaterThan(2);
    expect(new Set(during.map((s) => s.n)).size, 'the counter while frozen').toBe(1);
    // thawed after: not frozen, counting again
    expect(frozen()).toBe(false);
    const after = count();
    await until('the container to go on', () => count() > after, 5_000);

    const layers = (await resolveImage(img)).layers;
    const diff = join(process.env.MINICTR_ROOT!, 'layers', layers.at(-1)!.slice(7), 'diff');
    expect(filesWith(diff, marker)).toEqual([]);
    // what the container had: its dir (under one name or the other) and the link, as a link
    const names = ['d', 'l'].map((n) => lstatSync(join(diff, n)));
    expect(names.map((st) => (st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other')).sort()).toEqual(['dir', 'link']);
    const dir = ['d', 'l'].find((n) => lstatSync(join(diff, n)).isDirectory())!;
    expect(readdirSync(join(diff, dir))).toHaveLength(FILES);
    expect(filesWith(join(diff, dir), 'ctr')).toHaveLength(FILES);
  });

  it('a container paused by the user stays paused; --pause=false warns and does not freeze it', async () => {
    writeFileSync(join(work, 'stop'), '');
    await until('the swapper to stop', async () => {
      const a = count();
      await sleep(50);
      return a === count();
    });
    const frozen = frozenProbe(id);
    expect((await minictr(['pause', ctr])).exitCode).toBe(0);
    const r = await minictr(['commit', ctr, `${uniq('hsw')}:v2`]);
    expect(r.exitCode).toBe(0);
    expect(frozen()).toBe(true);
    expect((await minictr(['unpause', ctr])).exitCode).toBe(0);
    expect(frozen()).toBe(false);

    let done = false;
    let everFrozen = false;
    const commit = minictr(['commit', '--pause=false', ctr, `${uniq('hsw')}:v3`]).finally(() => (done = true));
    while (!done) {
      everFrozen ||= frozen();
      await sleep(2);
    }
    const u = await commit;
    expect(u.exitCode).toBe(0);
    expect(u.stderr).toBe(`minictr: warning: container ${ctr} runs on during the commit (--pause=false): files it changes meanwhile may be archived half-written`);
    expect(everFrozen).toBe(false);
    expect((await minictr(['commit', '--pause=maybe', ctr, 'x:y'])).stderr).toBe('minictr: invalid --pause "maybe": expected true or false');
  });

  it('unpause thaws a container a killed commit left frozen', async () => {
    const dir = hostCgroupDirs(id).find((d) => existsSync(join(d, 'freezer.state')));
    const frozen = frozenProbe(id);
    if (dir) writeFileSync(join(dir, 'freezer.state'), 'FROZEN');
    else writeFileSync(join(hostCgroupDirs(id).find((d) => existsSync(join(d, 'cgroup.freeze')))!, 'cgroup.freeze'), '1');
    await until('the container to freeze', frozen);
    const r = await minictr(['unpause', ctr]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(frozen()).toBe(false);
  });
});

describe('/dev: device nodes and masks never act through a symlink', () => {
  it("a /dev volume with null -> a host file: the file's mode is kept, the container gets the real /dev/null", async () => {
    const dir = await scratchDir('hs-dev-');
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'host secret\n');
    chmodSync(secret, 0o600);
    const dev = join(dir, 'dev');
    mkdirSync(dev);
    symlinkSync(secret, join(dev, 'null')); // what a container of an earlier run planted
    symlinkSync('../secret', join(dev, 'zero'));
    writeFileSync(join(dev, 'full'), 'a regular file\n');
    const probe = 'for d in null zero full; do stat -c "%n %F %t:%T" /dev/$d; done; echo hi > /dev/null; wc -c < /dev/null; head -c 4 /dev/zero | wc -c';
    const r = await quick(['run', '--rm', '--network', 'none', '-v', `${dev}:/dev`, 'busybox', 'sh', '-c', probe]);
    // the host's file was never touched through the links
    expect(statSync(secret).mode & 0o7777).toBe(0o600);
    expect(readFileSync(secret, 'utf8')).toBe('host secret\n');
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      '/dev/null character special file 1:3', '/dev/zero character special file 1:5', '/dev/full character special file 1:7', '0', '4',
    ]);
    expect(r.exitCode).toBe(0);
    // what the volume holds now: the nodes themselves
    const st = lstatSync(join(dev, 'null'));
    expect([st.isCharacterDevice(), st.rdev, st.mode & 0o777]).toEqual([true, 259, 0o666]);
    await execa('umount', ['-R', dev]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a directory where a device node goes is refused with one line, and nothing is left', async () => {
    const dir = await scratchDir('hs-dev-');
    const dev = join(dir, 'dev');
    mkdirSync(join(dev, 'tty'), { recursive: true });
    const name = uniq('hs-');
    made.push(name);
    const r = await quick(['run', '--name', name, '--network', 'none', '-v', `${dev}:/dev`, 'busybox', 'true']);
    expect(r.stderr).toMatch(/^minictr: make the device node \S+\/dev\/tty: Is a directory$/);
    expect(r.exitCode).toBe(125);
    expect(lstatSync(join(dev, 'tty')).isDirectory()).toBe(true);
    await leftNothing(name);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a /dev/null that is not the null device is never bound over a masked path (minictr-oci)', async () => {
    const work = workDir('hs-oci-');
    const root = join(work, 'state');
    // linux.devices may name any node: here /dev/null is made as /dev/zero's 1:5; the masked
    // file is one every kernel has (the rootfs's own)
    const b = await makeBundle(work, ['sh', '-c', 'head -c 4 /etc/passwd | wc -c'], (s) => {
      s.linux.devices = [{ type: 'c', path: '/dev/null', major: 1, minor: 5, fileMode: 0o666 }];
      s.linux.maskedPaths = ['/proc/no-such-file', '/etc/passwd'];
    });
    const r = await runtime('minictr-oci', root, ['run', '--bundle', b.dir, b.id], { mark: b.id });
    expect(r.stderr).toBe('minictr-oci: mask /etc/passwd: /dev/null is the character device 1:5, not the null device 1:3: No such device');
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(await residueSettled(root, b.id, b.dir)).toEqual([]);
  });

  it("in a user namespace (the host's nodes are bound): a planted null -> host file is replaced, the file is untouched (minictr-oci)", async () => {
    const work = workDir('hs-oci-');
    const state = join(work, 'state');
    chmodSync(process.env.MINICTR_TEST_BASE ?? work, 0o711);
    chmodSync(work, 0o711);
    const secret = join(work, 'secret');
    writeFileSync(secret, 'host secret\n');
    chmodSync(secret, 0o600);
    const dev = join(work, 'dev');
    mkdirSync(dev);
    symlinkSync(secret, join(dev, 'null'));
    symlinkSync('../secret', join(dev, 'zero'));
    chownSync(dev, 100000, 200000); // the container's root may change its /dev volume
    const probe = 'for d in null zero; do stat -c "%n %F %t:%T" /dev/$d; done; echo hi > /dev/null; head -c 4 /dev/zero | wc -c';
    const b = await makeBundle(work, ['sh', '-c', probe], (s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.mounts = s.mounts.filter((m: { type: string; destination: string }) => m.type !== 'cgroup' && !m.destination.startsWith('/dev'));
      s.mounts.push({ destination: '/dev', type: 'bind', source: dev, options: ['rbind', 'rw'] });
    });
    chmodSync(b.dir, 0o711);
    const r = await runtime('minictr-oci', state, ['run', '--bundle', b.dir, b.id], { mark: b.id });
    expect(statSync(secret).mode & 0o7777).toBe(0o600);
    expect(readFileSync(secret, 'utf8')).toBe('host secret\n');
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['/dev/null character special file 1:3', '/dev/zero character special file 1:5', '4']);
    expect(r.exitCode).toBe(0);
    // the volume keeps the placeholders the host's nodes were bound on, not the links
    expect(lstatSync(join(dev, 'null')).isFile()).toBe(true);
    expect(await residueSettled(state, b.id, b.dir)).toEqual([]);
  });
});
