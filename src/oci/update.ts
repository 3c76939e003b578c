/**
 * `minictr-oci update --resources FILE|- ID`: new linux.resources for a running container,
 * written into its cgroup at once (and kept in its record, for later `update`s).
 */
import { applyLimits, checkLimitsSupported } from '../cgroup/apply.js';
import { cgroupPaths } from '../cgroup/paths.js';
import { applyDeviceRules, deviceCgroupTarget } from '../cgroup/devices.js';
import { limitsFromResources } from '../cgroup/resources.js';
import { readBoundedFile } from '../util/bounded-read.js';
import type { Explainer } from '../util/explain.js';
import { OciError } from './errors.js';
import { parseResources } from '../spec/parse.js';
import { statusOf } from './status.js';
import { loadRecord, saveRecord } from './store.js';

export function updateContainer(root: string, id: string, resourcesFile: string | undefined, explain: Explainer): void {
  if (!resourcesFile) throw new OciError('update needs --resources FILE (or - for stdin)', 'usage');
  const r = loadRecord(root, id);
  if (statusOf(root, r) === 'stopped') throw new OciError('container not running', 'not-running');
  const text = resourcesFile === '-' ? readBoundedFile('/dev/stdin', 4 * 1024 * 1024, 'resources') : readBoundedFile(resourcesFile, 4 * 1024 * 1024, '--resources');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OciError(`--resources: invalid JSON (${(err as Error).message})`, 'usage');
  }
  const resources = parseResources(json);
  const limits = limitsFromResources(resources);
  checkLimitsSupported(limits);
  applyLimits(cgroupPaths(r.cgroupName), limits, explain, { initial: false });
  if (resources.devices) applyDeviceRules(deviceCgroupTarget(r.cgroupName), resources.devices, explain);
  r.spec.linux = { ...r.spec.linux, resources: { ...r.spec.linux?.resources, ...resources } };
  saveRecord(root, r);
}
