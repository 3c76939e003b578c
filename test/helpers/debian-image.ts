/**
 * A real distribution rootfs for tests: Debian bookworm (minbase) built with debootstrap, packed
 * as a .tar.gz. Building takes minutes, so it is done once per machine and cached outside the
 * repo, keyed by DEBIAN_IMAGE_VERSION (bump it to force a rebuild). A lock file keeps two test
 * processes from building it at the same time; a killed build is cleaned up by the next one.
 *
 * Environment: MINICTR_TEST_CACHE moves the cache dir, MINICTR_DEBIAN_MIRROR the mirror.
 */
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withLock } from '../../src/util/lock.js';

export const DEBIAN_IMAGE_VERSION = 'bookworm-minbase-1';

export function debianCacheDir(): string {
  return process.env.MINICTR_TEST_CACHE || '/var/cache/minictr-test';
}

/** Unmount anything a killed debootstrap left mounted below dir (it mounts proc and sysfs). */
async function unmountBelow(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length); // deepest first
  for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
}

async function removeBuildDir(dir: string): Promise<void> {
  await unmountBelow(dir);
  await rm(dir, { recursive: true, force: true });
}

async function build(out: string): Promise<void> {
  const cache = debianCacheDir();
  // We hold the lock, so any build dir left here is from a build that was killed.
  for (const name of await readdir(cache)) {
    if (name.startsWith('build-')) await removeBuildDir(join(cache, name));
  }
  const work = await mkdtemp(join(cache, 'build-'));
  try {
    const rootfs = join(work, 'rootfs');
    const mirror = process.env.MINICTR_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
    process.stderr.write(`building a Debian bookworm rootfs with debootstrap (once; cached as ${out})\n`);
    const boot = await execa('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror], {
      reject: false,
      all: true,
      env: { DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 30 * 60_000,
    });
    if (boot.exitCode !== 0) {
      const tail = String(boot.all ?? '').split('\n').slice(-15).join('\n');
      throw new Error(`debootstrap failed (exit ${boot.exitCode}):\n${tail}`);
    }
    // The downloaded .debs and apt lists are not part of a distribution image.
    await execa('sh', ['-c', 'rm -rf var/cache/apt/archives/*.deb var/lib/apt/lists/* var/log/bootstrap.log'], {
      cwd: rootfs,
    });
    const tarball = join(work, 'debian.tar.gz');
    await execa('tar', ['--numeric-owner', '--xattrs', '-C', rootfs, '-czf', tarball, '.']);
    await rename(tarball, out);
  } finally {
    await removeBuildDir(work);
  }
}

/** Path of the cached Debian rootfs tarball, building it first if needed. */
export async function debianTarball(): Promise<string> {
  const cache = debianCacheDir();
  const out = join(cache, `debian-${DEBIAN_IMAGE_VERSION}.tar.gz`);
  if (existsSync(out)) return out;
  await mkdir(cache, { recursive: true });
  await withLock(
    join(cache, 'debian.lock'),
    async () => {
      if (!existsSync(out)) await build(out);
    },
    { timeoutMs: 40 * 60_000, what: 'Debian rootfs build lock' },
  );
  return out;
}

/** The Debian test image, imported into this run's store once (as debian-test:latest). */
export async function debianImage(): Promise<string> {
  const name = 'debian-test:latest';
  const { minictr } = await import('./cli.js');
  const listed = await minictr(['images', '-q', name]);
  if (listed.exitCode === 0 && listed.stdout.trim()) return name;
  const r = await minictr(['import', await debianTarball(), name]);
  if (r.exitCode !== 0) throw new Error(`import of the Debian test image failed: ${r.stderr}`);
  return name;
}
