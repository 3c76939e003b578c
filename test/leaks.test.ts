/**
 * The leak snapshot (test/helpers/leaks.ts) that every host test relies on: minictr's shared
 * parent cgroups (minictr/, minictr-oci/) are kept between runs and so are not leaks, but a
 * cgroup left below them is one, in any hierarchy.
 */
import { mkdirSync, rmdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cgroupPaths } from '../src/cgroup/paths.js';
import { createCgroup, removeCgroup } from '../src/cgroup/cgroup.js';
import { silent } from '../src/util/explain.js';
import { diffSnapshots, snapshotKernelObjects } from './helpers/leaks.js';

/** the cgroups that appeared between two snapshots (links, processes: not this test's) */
const newCgroups = async (before: Awaited<ReturnType<typeof snapshotKernelObjects>>): Promise<string[]> =>
  diffSnapshots(before, await snapshotKernelObjects()).filter((l) => l.startsWith('cgroups: '));

it('counts a cgroup left below minictr/ and minictr-oci/<parent>/, not the shared tops', async () => {
  const name = `minictr/leak-${process.pid}`;
  // make sure the tops exist before the first snapshot: they are kept, not leaks
  createCgroup(name, silent).release();
  await removeCgroup(name);
  const before = await snapshotKernelObjects();
  const dirs = cgroupPaths(name).dirs;
  for (const d of dirs) mkdirSync(d);
  const ociParent = cgroupPaths(`minictr-oci/leak-${process.pid}`).dirs;
  for (const d of ociParent) mkdirSync(d, { recursive: true });
  try {
    const found = (await newCgroups(before)).join('\n');
    for (const d of [...dirs, ...ociParent]) expect(found).toContain(d);
  } finally {
    for (const d of [...dirs, ...ociParent]) rmdirSync(d);
  }
  expect(await newCgroups(before)).toEqual([]);
});
