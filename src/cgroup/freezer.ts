/**
 * pause / unpause: the freezer stops every process of the container where it stands (no
 * signal the processes could see or catch) and lets them go on later.
 *   v2: echo 1 > cgroup.freeze, then wait for "frozen 1" in cgroup.events
 *   v1: echo FROZEN > freezer.state, then wait until it reads FROZEN (not FREEZING)
 */
import { join } from 'node:path';
import { silent, type Explainer } from '../util/explain.js';
import { CgroupError, readCgroupFile, readKeyed, sleepSync, writeCgroupFile } from './files.js';
import { controllerAvailable } from './hierarchy.js';
import { cgroupPaths } from './paths.js';

function freezerDir(name: string): { dir: string; v2: boolean } {
  const p = cgroupPaths(name);
  if (!controllerAvailable('freezer', p.layout)) throw new CgroupError(`pause needs the freezer: no v1 freezer hierarchy is mounted on this ${p.layout.mode} host`);
  return { dir: p.byController.get('freezer')!, v2: p.layout.mode === 'unified' };
}

export function isFrozen(name: string): boolean {
  const p = cgroupPaths(name);
  const dir = p.byController.get('freezer');
  if (!dir) return false;
  if (p.layout.mode === 'unified') return readKeyed(join(dir, 'cgroup.events')).get('frozen') === 1;
  const s = readCgroupFile(join(dir, 'freezer.state'));
  return s === 'FROZEN' || s === 'FREEZING';
}

export function setFrozen(name: string, frozen: boolean, explain: Explainer): void {
  const { dir, v2 } = freezerDir(name);
  const what = frozen ? 'freeze every process of the container' : 'thaw the container\'s processes';
  for (let i = 0; i < 500; i++) {
    if (v2) {
      if (i === 0) writeCgroupFile(join(dir, 'cgroup.freeze'), frozen ? '1' : '0', explain, what);
      if (readKeyed(join(dir, 'cgroup.events')).get('frozen') === (frozen ? 1 : 0)) return;
    } else {
      // v1 may stay FREEZING while a task is in the middle of something: ask again (as runc)
      if (i % 10 === 0) writeCgroupFile(join(dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED', i === 0 ? explain : silent, what);
      if (readCgroupFile(join(dir, 'freezer.state')) === (frozen ? 'FROZEN' : 'THAWED')) return;
    }
    sleepSync(10);
  }
  throw new CgroupError(`the container did not ${frozen ? 'freeze' : 'thaw'} within 5 s (${dir})`);
}

/** A frozen container's processes cannot act on a signal (on v1 not even die of SIGKILL):
 * stop, kill and rm thaw it after signalling, as Docker does. */
export function thawIfFrozen(name: string): void {
  try {
    if (isFrozen(name)) setFrozen(name, false, silent);
  } catch {
    /* cgroup gone meanwhile */
  }
}
