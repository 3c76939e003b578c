/**
 * A container's status, from the kernel, with no daemon to ask (as runc does it):
 *   its process gone, a zombie, or a reused pid   -> stopped
 *   alive and still waiting on its exec fifo       -> created
 *   alive and its cgroup frozen                    -> paused
 *   alive                                          -> running
 */
import { isFrozen } from '../cgroup/freezer.js';
import { processLives } from '../util/proc.js';
import { hasFifo, type OciRecord } from './store.js';
import { OCI_VERSION, type OciState } from '../spec/config.js';

export function statusOf(root: string, r: OciRecord): OciState['status'] {
  if (!r.complete) return r.pid && processLives(r.pid, r.pidStart) ? 'creating' : 'stopped';
  if (!r.pid || !processLives(r.pid, r.pidStart)) return 'stopped';
  if (hasFifo(root, r.id)) return 'created';
  try {
    if (isFrozen(r.cgroupName)) return 'paused';
  } catch {
    /* no freezer here: it cannot be paused */
  }
  return 'running';
}

/** What `state` prints: the runtime-spec's state, plus the fields runc adds (rootfs, created). */
export function stateOf(root: string, r: OciRecord): OciState & { rootfs: string; created: string; owner: string } {
  const status = statusOf(root, r);
  return {
    ociVersion: r.spec.ociVersion || OCI_VERSION,
    id: r.id,
    pid: status === 'stopped' ? 0 : (r.pid ?? 0),
    status,
    bundle: r.bundle,
    rootfs: r.rootfs,
    created: r.created,
    owner: '',
    ...(r.spec.annotations ? { annotations: r.spec.annotations } : {}),
  };
}
