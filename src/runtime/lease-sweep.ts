/**
 * The address leases of one network whose owner is gone, freed by the next command that
 * touches the network (the next `run` on it, `system prune`): an interrupted command (a
 * kill -9'd `run --rm`, whose container died with it; its detached release killed too) is
 * cleaned by the next. Only the network's leases are looked at, each with a stat or two: no
 * scan of every container record per run.
 *
 * A lease's owner is gone when its container record is absent (it left the store), or when
 * the record is of a --rm container whose recorded process (pid + start time) is dead: a
 * stopped container without --rm keeps its address for its next start. Freed in the safe
 * order (attach.ts releaseOrphanLease): elements, then, once no veth the id names exists,
 * the lease: an address is never leased again while its elements or veth exist. A lease
 * whose record exists but cannot be read, or does not list the address, is reported and
 * kept, never freed as unused.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { attachments, releaseOrphanLease, vethName } from '../network/container/attach.js';
import { linkExists } from '../network/container/bridge.js';
import { addressesInUse } from '../network/container/ipam.js';
import { readBoundedFile } from '../util/bounded-read.js';
import { silent, type Explainer } from '../util/explain.js';
import { processLives } from '../util/proc.js';
import { containerDir, type ContainerConfig, type ContainerState } from './store.js';

export interface LeaseSweep {
  /** "address IP on NET": freed */
  freed: string[];
  /** a lease kept, and why (a broken or inconsistent record, or a veth not gone yet) */
  kept: string[];
}

/** What the lease's owner is: gone, in use (or not judgeable now), or a record with a problem. */
type LeaseOwner = { gone: true } | { gone: false } | { problem: string };

const RECORD_MAX = 4 << 20;

/** Is the owner of net's lease of ip gone? At most: a stat of its veth, a stat of its dir,
 * a read of its state.json and config.json and /proc/PID/stat. */
export function leaseOwner(network: string, ip: string, id: string): LeaseOwner {
  // a live container has its veth: the common case decided with one stat (and a lease whose
  // veth is still there could not be freed anyway)
  if (linkExists(vethName(id))) return { gone: false };
  const dir = containerDir(id);
  if (!existsSync(dir)) return { gone: true };
  let config: Partial<ContainerConfig>;
  let state: Partial<ContainerState>;
  try {
    config = JSON.parse(readBoundedFile(join(dir, 'config.json'), RECORD_MAX, 'record')) as Partial<ContainerConfig>;
    state = JSON.parse(readBoundedFile(join(dir, 'state.json'), RECORD_MAX, 'record')) as Partial<ContainerState>;
  } catch (err) {
    return { problem: `its container record ${dir} cannot be read (${err instanceof Error ? err.message : String(err)}); see 'minictr system check'` };
  }
  if (typeof config !== 'object' || config === null || typeof state !== 'object' || state === null || config.id !== id) return { problem: `its container record ${dir} is not a record of ${id.slice(0, 12)}; see 'minictr system check'` };
  // a stopped container without --rm keeps its address for its next start
  if (config.autoRemove !== true) return { gone: false };
  // no process yet: being created or started right now
  if (!Number.isInteger(state.pid)) return { gone: false };
  if (processLives(state.pid!, state.pidStart)) return { gone: false };
  // a record of a container that says nothing of this address: not ours to judge (a
  // `network connect` between its lease and its record, or a record edited by hand)
  if (!attachments(config.network).some((a) => a.network === network && a.ip === ip)) return { problem: `container ${id.slice(0, 12)}'s record does not list it` };
  return { gone: true };
}

/** Free net's leases whose owner is gone (see the top). */
export async function sweepLeases(network: string, explain: Explainer = silent): Promise<LeaseSweep> {
  const report: LeaseSweep = { freed: [], kept: [] };
  for (const [ip, id] of addressesInUse(network)) {
    const owner = leaseOwner(network, ip, id);
    if ('problem' in owner) report.kept.push(`address ${ip} on ${network}: ${owner.problem}`);
    if (!('gone' in owner) || !owner.gone) continue;
    try {
      if (await releaseOrphanLease(network, ip, id, explain)) report.freed.push(`address ${ip} on ${network}`);
      else report.kept.push(`address ${ip} on ${network} (the host end of its container's veth still exists)`);
    } catch (err) {
      // the next command tries again: a run is not failed by what an earlier one left
      report.kept.push(`address ${ip} on ${network} (its release failed: ${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return report;
}
