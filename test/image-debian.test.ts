/**
 * A real distribution: the Debian bookworm rootfs debootstrap built (cached by
 * helpers/debian-image.ts) imports as an image whose layer is a faithful copy of the rootfs.
 * Running commands in it is covered by the run tests, which use the same helper.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { minictr, uniq } from './helpers/cli.js';
import { debianTarball } from './helpers/debian-image.js';
import { layerDirs } from '../src/image/store.js';
import { resolveImage } from '../src/image/resolve.js';

describe('importing a debootstrap-built Debian rootfs', () => {
  let tarball: string;
  const name = `${uniq('debian')}:bookworm`;

  beforeAll(async () => {
    tarball = await debianTarball();
  }, 20 * 60_000);

  it('imports, and the layer holds a working Debian tree', async () => {
    const r = await minictr(['import', tarball, name]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const img = await resolveImage(name);
    const [layer] = layerDirs(img);

    // The digest is sha256 of the uncompressed tar.
    const hash = createHash('sha256');
    await pipeline(createReadStream(tarball), createGunzip(), async function (src) {
      for await (const chunk of src) hash.update(chunk as Buffer);
    });
    expect(img.layers).toEqual([`sha256:${hash.digest('hex')}`]);

    expect(readFileSync(join(layer!, 'etc/os-release'), 'utf8')).toMatch(/^VERSION_CODENAME=bookworm$/m);
    expect(readlinkSync(join(layer!, 'bin'))).toBe('usr/bin'); // merged /usr
    expect(statSync(join(layer!, 'usr/bin/apt-get')).isFile()).toBe(true);
    expect(statSync(join(layer!, 'usr/bin/bash')).mode & 0o111).not.toBe(0);
    // setuid root and setgid shadow binaries, and shadow's group, survive.
    const passwd = lstatSync(join(layer!, 'usr/bin/passwd'));
    expect([passwd.mode & 0o7777, passwd.uid]).toEqual([0o4755, 0]);
    const shadow = lstatSync(join(layer!, 'etc/shadow'));
    expect([shadow.mode & 0o777, shadow.gid]).toEqual([0o640, 42]);
    expect(lstatSync(join(layer!, 'usr/bin/chage')).mode & 0o2000).toBe(0o2000);
    // The dynamic loader Debian's binaries need is inside the image.
    const interp = (await execa('readelf', ['-l', join(layer!, 'usr/bin/bash')], { reject: false })).stdout;
    if (interp) {
      const loader = /Requesting program interpreter: (\S+)]/.exec(interp)?.[1];
      expect(loader).toBeDefined();
      expect(statSync(join(layer!, 'usr', loader!.replace(/^\/(usr\/)?/, ''))).isFile()).toBe(true);
    }

    const listed = (await minictr(['images', name])).stdout;
    expect(listed).toMatch(new RegExp(`^${name.split(':')[0]}\\s+bookworm\\s+${img.id.slice(0, 12)}\\s+.+\\s+\\d+(\\.\\d+)?MB$`, 'm'));
  });

  it('imports a second time in no time: the layer is already stored', async () => {
    const other = uniq('debian2');
    const t0 = Date.now();
    const r = await minictr(['import', '--explain', tarball, other]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/is already stored: nothing to extract/);
    expect((await resolveImage(other)).id).toBe((await resolveImage(name)).id);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect((await minictr(['rmi', other])).stdout).toBe(`Untagged: ${other}:latest`);
  });
});
