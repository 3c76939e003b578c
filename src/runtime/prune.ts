/**
 * `minictr system prune`: remove what interrupted commands left behind (a `run` killed with
 * SIGKILL, a crash, a reboot): --rm containers whose process is gone, half-created container
 * dirs, name reservations, addresses and cgroups whose container is gone.
 * Stopped containers that were not --rm are kept, as Docker keeps them.
 */
import { existsSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { listCgroups, removeCgroup } from '../cgroup/cgroup.js';
import { paths } from '../paths.js';
import { destroyContainer } from './destroy.js';
import { isRunning, listContainers } from './store.js';

export async function pruneContainers(): Promise<string[]> {
  const removed: string[] = [];
  const containers = listContainers();
  const known = new Set(containers.map((c) => c.config.id));

  for (const c of containers) {
    if (c.config.autoRemove && !isRunning(c)) {
      await destroyContainer(c);
      known.delete(c.config.id);
      removed.push(`container ${c.config.name} (--rm, interrupted)`);
    }
  }
  const dir = paths.containers();
  if (existsSync(dir)) {
    for (const e of readdirSync(dir)) {
      if (!/^[0-9a-f]{64}$/.test(e) || known.has(e)) continue;
      const full = join(dir, e);
      // a dir being created right now has no config.json for a few ms: leave young ones
      if (Date.now() - statSync(full).mtimeMs < 2000) continue;
      rmSync(full, { recursive: true, force: true });
      removed.push(`container dir ${e.slice(0, 12)} (incomplete)`);
    }
    const names = join(dir, '.names');
    if (existsSync(names)) {
      for (const n of readdirSync(names)) {
        const ids = containers.filter((c) => c.config.name === n && known.has(c.config.id));
        if (ids.length === 0) {
          unlinkSync(join(names, n));
          removed.push(`name ${n}`);
        }
      }
    }
  }
  // addresses still held for containers that are gone (a run killed between create and rm)
  const { listNetworks } = await import('../network/container/store.js');
  const { addressesInUse, releaseAddress } = await import('../network/container/ipam.js');
  for (const net of listNetworks()) {
    for (const [ip, id] of addressesInUse(net.name)) {
      if (!known.has(id)) {
        releaseAddress(net.name, ip, id);
        removed.push(`address ${ip} on ${net.name}`);
      }
    }
  }
  for (const name of listCgroups()) {
    const id = basename(name);
    if (!known.has(id)) {
      // only if empty: a cgroup with processes may be a container of another MINICTR_ROOT
      if (!(await removeCgroup(name, { ifEmpty: true }))) continue;
      removed.push(`cgroup minictr/${id.slice(0, 12)}`);
    }
  }
  return removed;
}
