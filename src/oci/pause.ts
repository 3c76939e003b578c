/** `minictr-oci pause` / `resume`: the cgroup freezer (cgroup.freeze, v1 freezer.state). */
import { setFrozen } from '../cgroup/freezer.js';
import type { Explainer } from '../util/explain.js';
import { OciError } from './errors.js';
import { statusOf } from './status.js';
import { loadRecord } from './store.js';

export function pauseContainer(root: string, id: string, paused: boolean, explain: Explainer): void {
  const r = loadRecord(root, id);
  const status = statusOf(root, r);
  if (paused && status !== 'running') throw new OciError(status === 'stopped' ? 'container not running' : `container ${id} is ${status}, not running`, status === 'stopped' ? 'not-running' : 'failed');
  if (!paused && status !== 'paused') throw new OciError(`container ${id} is not paused`);
  setFrozen(r.cgroupName, paused, explain);
}
