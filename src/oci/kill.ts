/**
 * `minictr-oci kill [--all] ID [SIGNAL]`: a signal to the container's process, or with --all
 * to every process of its cgroup. A frozen (paused) container is thawed after SIGKILL, or
 * its processes could not die (cgroup v1).
 */
import { cgroupPids } from '../cgroup/cgroup.js';
import { thawIfFrozen } from '../cgroup/freezer.js';
import type { Explainer } from '../util/explain.js';
import { OciError } from './errors.js';
import { parseSignal } from './signals.js';
import { statusOf } from './status.js';
import { loadRecord } from './store.js';

function send(pid: number, sig: number): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

export function killContainer(root: string, id: string, signal: string | undefined, all: boolean, explain: Explainer): void {
  const sig = parseSignal(signal);
  const r = loadRecord(root, id);
  const status = statusOf(root, r);
  if (status === 'stopped') throw new OciError('container not running', 'not-running');
  if (all) {
    const pids = cgroupPids(r.cgroupName);
    explain.step(`signal ${sig} to every process of the container's cgroup`, `kill -${sig} ${pids.join(' ')}`);
    for (const pid of pids) send(pid, sig);
  } else {
    explain.step(`signal ${sig} to the container's process`, `kill -${sig} ${r.pid}`);
    if (!send(r.pid!, sig)) throw new OciError('container not running', 'not-running');
  }
  if (sig === 9) thawIfFrozen(r.cgroupName);
}
