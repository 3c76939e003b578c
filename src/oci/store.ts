/**
 * minictr-oci's state: one directory per container under the root (`--root`, default
 * $MINICTR_OCI_ROOT or /run/minictr-oci), holding state.json and, until `start`, the
 * exec.fifo the container's process waits on. There is no daemon: the status is read from
 * the kernel each time (status.ts), the record only says which process and cgroup to look at.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonFileSync } from '../util/json-file.js';
import { OciError } from './errors.js';
import type { OciSpec } from '../spec/config.js';

export interface OciRecord {
  id: string;
  bundle: string;
  /** the container's process, as the host sees it; absent while create is under way */
  pid?: number;
  /** its start time (field 22 of /proc/PID/stat): a reused pid is not ours */
  pidStart?: string;
  created: string;
  /** below minictr-oci/ in every hierarchy */
  cgroupName: string;
  rootfs: string;
  /** the config.json create ran, for hooks, exec and update */
  spec: OciSpec;
  /** create finished: the container exists for the engine */
  complete: boolean;
}

const ID = /^[\w][\w.+-]*$/;

export function checkId(id: string | undefined): string {
  if (!id) throw new OciError('container id cannot be empty');
  if (!ID.test(id) || id.length > 1024) throw new OciError(`invalid container id "${id}": only letters, digits and _ . + - (not starting with . + -)`);
  return id;
}

export function ociRoot(flag: string | undefined): string {
  return flag || process.env.MINICTR_OCI_ROOT || '/run/minictr-oci';
}

export const containerDir = (root: string, id: string): string => join(root, checkId(id));
export const fifoPath = (root: string, id: string): string => join(containerDir(root, id), 'exec.fifo');
const recordPath = (root: string, id: string): string => join(containerDir(root, id), 'state.json');

/** mkdir of the container's dir is what reserves the id: two creates cannot both win. */
export function reserveId(root: string, id: string): string {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = containerDir(root, id);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new OciError(`container with id exists: ${id}`);
    throw err;
  }
  return dir;
}

export function saveRecord(root: string, r: OciRecord): void {
  writeJsonFileSync(recordPath(root, r.id), r);
}

/** The record, or a not-found error in runc's words (clients match "does not exist"). */
export function loadRecord(root: string, id: string): OciRecord {
  const dir = containerDir(root, id);
  let text: string;
  try {
    text = readFileSync(recordPath(root, id), 'utf8');
  } catch (err) {
    // a create killed before it wrote anything leaves only the dir: delete --force removes it
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && exists(dir)) return { id, bundle: '', created: '', cgroupName: '', rootfs: '', spec: { ociVersion: '1.0.0' }, complete: false };
    throw new OciError(`container "${id}" does not exist`, 'not-found');
  }
  try {
    return JSON.parse(text) as OciRecord;
  } catch {
    throw new OciError(`container "${id}": its state ${recordPath(root, id)} cannot be read; \`delete --force ${id}\` removes it`);
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

export function hasFifo(root: string, id: string): boolean {
  return exists(fifoPath(root, id));
}

export function removeContainerDir(root: string, id: string): void {
  rmSync(containerDir(root, id), { recursive: true, force: true });
}

export function listIds(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && ID.test(e.name)).map((e) => e.name).sort();
  } catch {
    return [];
  }
}
