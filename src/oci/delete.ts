/**
 * `minictr-oci delete [--force] ID`: remove a stopped (or created) container: its cgroup,
 * its state, then the poststop hooks. --force kills a running or paused one first. A
 * container whose create was killed midway is removed the same way.
 */
import { cgroupPids, removeCgroup } from '../cgroup/cgroup.js';
import { thawIfFrozen } from '../cgroup/freezer.js';
import type { Explainer } from '../util/explain.js';
import { processLives } from '../util/proc.js';
import { OciError } from './errors.js';
import { stateOf, statusOf } from './status.js';
import { loadRecord, removeContainerDir } from './store.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function deleteContainer(root: string, id: string, force: boolean, explain: Explainer): Promise<void> {
  const r = loadRecord(root, id);
  const status = statusOf(root, r);
  if ((status === 'running' || status === 'paused') && !force) {
    throw new OciError(`cannot delete container ${id} that is not stopped: ${status}`);
  }
  const state = { ...stateOf(root, r), status: 'stopped' as const };
  if (r.cgroupName) {
    // created, running, paused or half-created: every process of the container goes
    const victims = new Set([...(r.pid && processLives(r.pid, r.pidStart) ? [r.pid] : []), ...cgroupPids(r.cgroupName)]);
    if (victims.size) {
      explain.step('kill every process of the container', `kill -9 ${[...victims].join(' ')}`);
      for (const pid of victims) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      thawIfFrozen(r.cgroupName);
      for (let i = 0; i < 500 && r.pid && processLives(r.pid, r.pidStart); i++) await sleep(10);
    }
    await removeCgroup(r.cgroupName, { explain });
  }
  removeContainerDir(root, id);
  const poststop = r.spec.hooks?.poststop;
  if (r.complete && poststop?.length) {
    try {
      // imported here: the hook runner brings node:child_process (with net and stream, ~3 ms
      // of start-up), which a container without poststop hooks never needs
      const { runHostHooks } = await import('../runtime/hooks.js');
      await runHostHooks('poststop', poststop, state, explain);
    } catch (err) {
      process.stderr.write(`minictr-oci: warning: ${(err as Error).message}\n`);
    }
  }
}
