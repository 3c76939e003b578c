/**
 * Containers come and go at once (compose --scale, run --replicas, several terminals): each
 * makes its cgroup below the shared minictr/ parent. That parent is now kept between runs, but
 * an older minictr (or a prune) may still remove it when it is empty, and a run that made it
 * (or found it) could then lose it between its mkdir and its writes to it (v1 cpuset, v2
 * subtree_control): ENOENT, or ENODEV while the kernel takes the dir down. Four processes make and remove cgroups as fast as they can;
 * none may fail, and none may leave a cgroup behind. (Seen first as 1 failed `run --rm` in 450
 * under load; this loop fails a few times a second without the retry.)
 */
import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const dist = (m: string): string => fileURLToPath(new URL(`../dist/${m}`, import.meta.url));

const LOOP = `
const { createCgroup, removeCgroup } = await import(process.argv[1]);
const { silent } = await import(process.argv[2]);
const end = Date.now() + 2500;
let n = 0; const failures = [];
while (Date.now() < end) {
  const name = 'minictr/race-' + process.pid + '-' + n++;
  try { createCgroup(name, silent).release(); } catch (e) { failures.push(e.message); }
  await removeCgroup(name).catch((e) => failures.push('remove: ' + e.message));
}
console.log(JSON.stringify({ n, failures: failures.slice(0, 3), failed: failures.length }));
`;

it('four processes making and removing cgroups below minictr/ at once: none fails, none is left', async () => {
  const runs = await Promise.all([1, 2, 3, 4].map(() => execa('node', ['--input-type=module', '-e', LOOP, dist('cgroup/cgroup.js'), dist('util/explain.js')])));
  const results = runs.map((r) => JSON.parse(r.stdout) as { n: number; failures: string[]; failed: number });
  for (const r of results) {
    expect(r.n).toBeGreaterThan(50); // the loop really ran
    expect(r.failures).toEqual([]);
  }
  const roots = readdirSync('/sys/fs/cgroup', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `/sys/fs/cgroup/${d.name}`);
  const left = [...roots, '/sys/fs/cgroup'].flatMap((root) => {
    try {
      return readdirSync(`${root}/minictr`).filter((n) => n.startsWith('race-')).map((n) => `${root}/minictr/${n}`);
    } catch {
      return [];
    }
  });
  expect(left).toEqual([]);
}, 30_000);
