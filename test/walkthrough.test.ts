/**
 * The course's Docker walk-through, with minictr's command shapes, end to end:
 *   run --name ct2 -it IMAGE; install nano inside; commit ct2 photo:01; stop ct2; rm ct2;
 *   images; run --name ct3 -it photo:01, where nano is still there; ps, exec, logs on the way.
 * The image is the Debian test image (no internet: "installing nano" writes a small script).
 */
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { debianImage } from './helpers/debian-image.js';

const ct2 = uniq('ct2-');
const ct3 = uniq('ct3-');
const photo = `${uniq('photo-')}:01`;
afterAll(async () => {
  await minictr(['rm', '-f', ct2, ct3]);
  await minictr(['rmi', '-f', photo]);
});

it('run, install, commit, stop, rm, images, run the new image', async () => {
  const image = await debianImage();
  // run -dit: a shell with a terminal, in the background (the student's first terminal)
  expect((await minictr(['run', '-d', '-i', '-t', '--name', ct2, image, 'bash'])).exitCode).toBe(0);
  expect((await minictr(['ps'])).stdout).toMatch(new RegExp(`Up .*${ct2}`));

  // "apt-get install nano", offline
  const install = await minictr(['exec', ct2, 'bash', '-c', 'printf "#!/bin/sh\\necho GNU nano, version 7.2\\n" > /usr/bin/nano && chmod 755 /usr/bin/nano && echo installed']);
  expect(install.stdout).toBe('installed');
  expect((await minictr(['logs', ct2])).exitCode).toBe(0);

  const commit = await minictr(['commit', ct2, photo]);
  expect(commit.exitCode).toBe(0);
  expect((await minictr(['stop', '-t', '1', ct2])).exitCode).toBe(0);
  expect((await minictr(['rm', ct2])).exitCode).toBe(0);
  expect((await minictr(['ps', '-a'])).stdout).not.toContain(ct2);

  const images = await minictr(['images']);
  const [repo, tag] = photo.split(':');
  expect(images.stdout).toMatch(new RegExp(`^${repo}\\s+${tag}\\s`, 'm'));

  // run --name ct3 -it photo:01, on a real terminal
  const driver = fileURLToPath(new URL('./helpers/pty-drive.py', import.meta.url));
  const steps = join(tmpdir(), `${uniq('steps-')}.json`);
  writeFileSync(steps, JSON.stringify([{ wait: '# ' }, { send: 'nano --version\r' }, { wait: 'GNU nano' }, { send: 'exit\r' }]));
  const r = await execa('python3', [driver, steps, '--', BIN, 'run', '--name', ct3, '-it', photo, 'bash'], { reject: false });
  expect(r.stdout).toContain('GNU nano, version 7.2');
  expect(r.stdout).toMatch(/EXIT 0\s*$/);
}, 600_000);
