/**
 * A real distribution image: Debian built by debootstrap during the test run (cached per
 * machine), imported as a tarball, then bash and apt run in it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';
import { debianTarball } from './helpers/debian-image.js';

const image = `${uniq('debian-')}:test`;

beforeAll(async () => {
  const tarball = await debianTarball();
  const r = await minictr(['import', tarball, image]);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
}, 900_000);

describe('a Debian rootfs tarball', () => {
  it('runs bash and apt-get', async () => {
    const r = await minictr(['run', '--rm', image, 'bash', '-c', 'echo $0; apt-get --version | head -1; . /etc/os-release; echo $ID']);
    expect(r.exitCode).toBe(0);
    const [zero, apt, id] = r.stdout.trim().split('\n');
    expect(zero).toBe('bash');
    expect(apt).toMatch(/^apt \d/);
    expect(id).toBe('debian');
  });

  it('bash as the command leaves no zombies', async () => {
    const r = await minictr(['run', '--rm', image, 'bash', '-c', '(sleep 0.2 &); (sleep 0.2 &); sleep 1; ps -eo stat= 2>/dev/null || cat /proc/[0-9]*/stat | cut -d" " -f3']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toMatch(/^Z/m);
  });

  it('the image is unchanged by a container', async () => {
    await minictr(['run', '--rm', image, 'bash', '-c', 'rm -rf /usr/bin/apt-get']);
    const r = await minictr(['run', '--rm', image, 'bash', '-c', 'test -x /usr/bin/apt-get && echo present']);
    expect(r.stdout.trim()).toBe('present');
  });

  it('rmi removes it', async () => {
    expect((await minictr(['rmi', image])).exitCode).toBe(0);
    expect((await minictr(['images', '-q', image])).stdout).toBe('');
  });
});
