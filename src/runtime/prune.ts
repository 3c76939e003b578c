/**
 * `minictr system prune`: remove what interrupted commands left behind (a `run` killed with
 * SIGKILL, a crash, a reboot): --rm containers whose process is gone, half-created container
 * dirs, name reservations, addresses and cgroups whose container is gone, half-made volumes.
 * Stopped containers that were not --rm are kept, as Docker keeps them. Only what is proven
 * unused goes: a record that cannot be read is reported and kept with all it owns.
 */
import { rmSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cgroupPids, listCgroups, removeCgroup } from '../cgroup/cgroup.js';
import { staleVolumeTemps } from '../volume/store.js';
import { sweepStaleTemp } from '../image/files.js';
import { destroyContainer } from './destroy.js';
import { awaitPendingRemovals } from './pending-removal.js';
import { silent } from '../util/explain.js';
import { cgroupName, containerDir, isRunning, listNameEntries, namesDir, readNameEntry, scanContainers } from './store.js';

export interface PruneReport {
  removed: string[];
  /** what looked unused but could not be proven so (a broken record): kept, and why */
  kept: string[];
}

export async function pruneContainers(): Promise<PruneReport> {
  const report: PruneReport = { removed: [], kept: [] };
  const { removed, kept } = report;
  // a --rm container that has ended is removed by its own rm, not raced here (pending-removal.ts)
  await awaitPendingRemovals();
  const scan = scanContainers();
  // every id with a dir on disk, readable or not: nothing of theirs is "unused"
  const known = new Set([...scan.containers.map((c) => c.config.id), ...scan.broken.map((b) => b.id), ...scan.incomplete]);
  for (const b of scan.broken) kept.push(`${b.record.path}: ${b.record.problem} (see 'minictr system check')`);

  for (const c of scan.containers) {
    if (c.config.autoRemove && !isRunning(c)) {
      await destroyContainer(c);
      known.delete(c.config.id);
      removed.push(`container ${c.config.name} (--rm, interrupted)`);
    }
  }
  // the files of --rm containers whose detached removal did not finish (start.ts)
  for (const name of await sweepStaleTemp()) removed.push(`temp dir ${name} (its command is gone)`);
  for (const id of scan.incomplete) {
    // a dir being created right now has no config.json for a few ms: leave young ones, and
    // any whose cgroup has a process (it is not ours to judge)
    if (Date.now() - statSync(containerDir(id)).mtimeMs < 2000) continue;
    if (cgroupPids(cgroupName(id)).length) {
      kept.push(`container dir ${id.slice(0, 12)} (no record, but processes run in its cgroup)`);
      continue;
    }
    rmSync(containerDir(id), { recursive: true, force: true });
    known.delete(id);
    removed.push(`container dir ${id.slice(0, 12)} (incomplete)`);
  }
  for (const n of listNameEntries()) {
    const entry = readNameEntry(n);
    if (!entry) continue;
    if ('broken' in entry) {
      kept.push(`${entry.broken.path}: ${entry.broken.problem} (see 'minictr system check')`);
      continue;
    }
    const owner = scan.containers.find((c) => c.config.id === entry.id);
    if (known.has(entry.id) && (!owner || owner.config.name === n)) continue;
    unlinkSync(join(namesDir(), n));
    removed.push(`name ${n}`);
  }
  // addresses still held for containers that are gone (a run killed between create and rm,
  // a --rm run's background release killed): what the next run on the network also frees
  const { listNetworks } = await import('../network/container/store.js');
  const { sweepLeases } = await import('./lease-sweep.js');
  for (const net of listNetworks()) {
    const leases = await sweepLeases(net.name, silent);
    removed.push(...leases.freed);
    kept.push(...leases.kept);
  }
  // a volume made in volumes/.tmp-* and renamed into place: one left there was interrupted
  for (const dir of staleVolumeTemps()) {
    rmSync(dir, { recursive: true, force: true });
    removed.push(`half-made volume ${basename(dir)}`);
  }
  for (const name of listCgroups()) {
    const id = basename(name);
    if (!known.has(id)) {
      // only if empty: a cgroup with processes may be a container of another MINICTR_ROOT
      if (!(await removeCgroup(name, { ifEmpty: true, olderThanMs: 10_000 }))) continue;
      removed.push(`cgroup minictr/${id.slice(0, 12)}`);
    }
  }
  return report;
}
