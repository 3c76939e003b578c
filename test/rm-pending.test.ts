/**
 * `run -d --rm`: once the container's process has exited, its monitor writes exit.json and
 * runs `minictr rm -f` for it, another process (src/runtime/pending-removal.ts). A command
 * the user types right after seeing it end (stop, kill + wait) must not trip over the
 * container that is gone in all but its dir: its volume can be removed, its name taken
 * again, its image removed, and ps -a shows it as Docker does ("Removal In Progress").
 * The monitor's rm is held back deterministically by holding the container's lock (the rm
 * takes it: src/runtime/remove.ts), as this test's own process (util/lock.ts: "PID START").
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';
import { sleep, until } from './helpers/until.js';
import { processStartTime } from '../src/util/proc.js';

const containersDir = (): string => join(process.env.MINICTR_ROOT!, 'containers');
const lockOf = (id: string): string => join(process.env.MINICTR_RUN!, 'locks', `container-${id}.lock`);
const names: string[] = [];
const volumes: string[] = [];
const images: string[] = [];
const locks: string[] = [];

/** The container's lock, held by this process: its monitor's `rm -f` waits for it. */
function holdLock(id: string): () => void {
  const path = lockOf(id);
  mkdirSync(join(process.env.MINICTR_RUN!, 'locks'), { recursive: true });
  writeFileSync(path, `${process.pid} ${processStartTime(process.pid)}`, { flag: 'wx' });
  locks.push(path);
  return () => rmSync(path, { force: true });
}

/** run -d --rm NAME with volume V from IMAGE, sleeping: its id */
async function startRm(name: string, volume: string, image = 'busybox'): Promise<string> {
  const r = await minictr(['run', '-d', '--rm', '--network', 'none', '--name', name, '-v', `${volume}:/d`, image, 'sleep', '60']);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  return r.stdout.trim();
}

/** kill it and wait for its monitor's exit record (what stop and wait wait for too) */
async function killAndAwaitExit(name: string, id: string): Promise<void> {
  expect((await minictr(['kill', name])).exitCode).toBe(0);
  await until(`the exit record of ${name}`, () => existsSync(join(containersDir(), id, 'exit.json')), 10_000);
}

/** A run -d --rm container that has ended, its monitor's rm held back (its lock held) while
 * body runs; then the lock is freed and its rm removes it. */
async function whileRmHeldBack(body: (c: { name: string; volume: string; id: string }) => Promise<void>): Promise<void> {
  const name = uniq('rmp-');
  const volume = uniq('rmpv');
  names.push(name);
  volumes.push(volume);
  const id = await startRm(name, volume);
  const release = holdLock(id);
  try {
    await killAndAwaitExit(name, id);
    await body({ name, volume, id });
  } finally {
    release();
  }
  // the lock freed, its rm goes on and the container leaves
  await until(`${name} to be removed by its monitor's rm`, () => !existsSync(join(containersDir(), id)), 15_000);
}

afterAll(async () => {
  for (const l of locks) rmSync(l, { force: true });
  for (const n of names) await minictr(['rm', '-f', n]);
  await until('every container of this file to be gone', async () => !(await minictr(['ps', '-a', '--format', 'json'])).stdout.split('\n').some((l) => names.some((n) => l.includes(`"${n}"`))), 15_000);
  for (const v of volumes) await minictr(['volume', 'rm', '-f', v]);
  for (const i of images) await minictr(['rmi', i]);
});

describe('right after a run -d --rm container has ended', () => {
  it('its volume, its name and its image are free as soon as its rm is done: volume rm, run --name and rmi wait for it rather than fail', async () => {
    const name = uniq('rmp-');
    const volume = uniq('rmpv');
    const image = uniq('rmpimg');
    names.push(name);
    volumes.push(volume);
    images.push(image);
    expect((await minictr(['tag', 'busybox', image])).exitCode).toBe(0);
    const id = await startRm(name, volume, image);
    const release = holdLock(id);
    await killAndAwaitExit(name, id);
    const volumeRm = minictr(['volume', 'rm', volume]);
    const again = minictr(['run', '--rm', '--network', 'none', '--name', name, 'busybox', 'true']);
    const rmi = minictr(['rmi', image]);
    // none of them gives up while the rm is under way (each failed at once before)
    const settled: string[] = [];
    for (const [what, p] of [['volume rm', volumeRm], ['run', again], ['rmi', rmi]] as const) void p.then(() => settled.push(what));
    await sleep(1000);
    expect(settled).toEqual([]);
    // its rm still waits for the lock: the container is in the store, on its way out, as docker ps shows one
    const ps = await minictr(['ps', '-a', '--format', 'json']);
    const row = ps.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Names: string; State: string; Status: string }).find((r) => r.Names === name);
    expect(row).toMatchObject({ State: 'removing', Status: 'Removal In Progress' });
    release();
    const [v, a, i] = await Promise.all([volumeRm, again, rmi]);
    expect(v.stderr).toBe('');
    expect(v.stdout).toBe(volume);
    expect(v.exitCode).toBe(0);
    expect(a.stderr).toBe('');
    expect(a.exitCode).toBe(0);
    expect(i.stderr).toBe('');
    expect(i.stdout).toBe(`Untagged: ${image}:latest`);
    expect(i.exitCode).toBe(0);
    expect(existsSync(join(containersDir(), id))).toBe(false);
    expect((await minictr(['volume', 'ls', '-q'])).stdout.split('\n')).not.toContain(volume);
  });

  it('one whose rm does not come (its exit record older than the grace) still counts: its volume is kept, named as in use', async () => {
    await whileRmHeldBack(async ({ name, volume, id }) => {
      // past store.ts AUTO_REMOVE_GRACE_MS (5 s) since its exit record
      await until('the exit record to be older than the grace', () => Date.now() - statSync(join(containersDir(), id, 'exit.json')).mtimeMs > 5500, 10_000);
      const t0 = Date.now();
      const r = await minictr(['volume', 'rm', volume]);
      expect(r.stderr).toBe(`minictr: volume ${volume} is in use by container ${name}: remove the container first`);
      expect(r.exitCode).not.toBe(0);
      expect(Date.now() - t0).toBeLessThan(4000); // judged at once, not waited for
      const ps = await minictr(['ps', '-a', '--format', 'json']);
      expect(ps.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Names: string; State: string }).find((x) => x.Names === name)?.State).toBe('exited');
    });
  });

  it('commit refuses a container whose rm is under way, as docker commit does: nothing is tagged', async () => {
    const image = uniq('rmpcommit');
    await whileRmHeldBack(async ({ name }) => {
      const r = await minictr(['commit', name, image]);
      expect(r.stderr).toBe(`minictr: container ${name} is being removed (--rm): nothing was committed`);
      expect(r.exitCode).not.toBe(0);
      expect(readFileSync(join(process.env.MINICTR_ROOT!, 'images', 'tags.json'), 'utf8')).not.toContain(image);
    });
  });

  it('stop, then at once volume rm or a run with the same name: 12 times, never "in use"', async () => {
    const name = uniq('rmp-');
    const volume = uniq('rmpv');
    names.push(name);
    volumes.push(volume);
    for (let i = 0; i < 12; i++) {
      // odd rounds: the next round's run --name comes right after the stop
      await startRm(name, volume);
      expect((await minictr(['stop', '-t', '0', name])).exitCode).toBe(0);
      if (i % 2) continue;
      const v = await minictr(['volume', 'rm', volume]);
      expect(v.stderr, `round ${i}`).toBe('');
      expect(v.exitCode).toBe(0);
    }
    await until(`${name} to be gone`, async () => !(await minictr(['ps', '-a', '--format', 'json'])).stdout.includes(`"${name}"`), 15_000);
  });
});
