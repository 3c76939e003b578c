/**
 * Volumes and the containers that use them: a run's -v/--mount turned into mounts (volumes
 * made on first use), `volume rm` and `volume prune` refused for a volume any container uses
 * (running or stopped, as Docker does; -f does not override it), and `rm -v` / `--rm` taking
 * a container's anonymous volumes with it. Every check-then-act runs under one lock
 * (locks/volumes.lock), so a volume cannot be removed between a run's check and its record.
 */
import { join } from 'node:path';
import { BrokenRecordError, ConflictError, NotFoundError } from '../errors.js';
import { paths } from '../paths.js';
import { silent, type Explainer } from '../util/explain.js';
import { withLock } from '../util/lock.js';
import {
  anonymousVolumeName, createVolume, deleteVolumeFiles, findBrokenVolume, findVolume, scanVolumes, volumeData, volumeIsEmpty, volumeSize,
  type VolumeRecord,
} from '../volume/store.js';
import type { MountRequest } from './options.js';
import { awaitPendingRemovals } from './pending-removal.js';
import { scanContainers, type Container, type VolumeMount } from './store.js';

export function withVolumesLock<T>(fn: () => Promise<T>): Promise<T> {
  return withLock(join(paths.locks(), 'volumes.lock'), fn, { what: 'the volumes' });
}

/** The volume names a container's record mounts. */
export function volumesOf(c: Container): string[] {
  return c.config.volumes.filter((v) => v.type === 'volume' && v.volume).map((v) => v.volume!);
}

/**
 * Who uses the volume: the names of the containers that mount it. A container record that
 * cannot be read might: it is named too (by id), so nothing is taken as unused on a guess.
 */
export function volumeUsers(name: string, scan = scanContainers()): string[] {
  const users = scan.containers.filter((c) => volumesOf(c).includes(name)).map((c) => c.config.name);
  for (const b of scan.broken) users.push(`${b.id.slice(0, 12)} (its record is broken: see 'minictr system check')`);
  return users;
}

export interface PreparedMounts {
  mounts: VolumeMount[];
  /** volumes this call made (removed again if the container is not created) */
  created: string[];
  /** targets of empty volumes no other container mounts: the C child fills them with the
   * image's files there (copy-up) */
  copyUp: string[];
}

/** -v/--mount requests as the container records them; volumes are made on first use. The
 * caller holds the volumes lock until the container's record is written. */
export function prepareMounts(requests: MountRequest[], explain: Explainer = silent): PreparedMounts {
  const out: PreparedMounts = { mounts: [], created: [], copyUp: [] };
  // which containers use which volume: read only when there is a volume to ask about
  let scanned: ReturnType<typeof scanContainers> | undefined;
  const scan = (): ReturnType<typeof scanContainers> => (scanned ??= scanContainers());
  try {
    for (const r of requests) {
      if (r.type === 'bind') out.mounts.push({ type: 'bind', source: r.source, target: r.target, readonly: r.readonly });
      else if (r.type === 'tmpfs') out.mounts.push({ type: 'tmpfs', source: 'tmpfs', target: r.target, readonly: r.readonly, ...(r.size !== undefined ? { size: r.size } : {}) });
      else {
        const anonymous = r.name === undefined;
        const name = r.name ?? anonymousVolumeName();
        const { created } = createVolume(name, { anonymous });
        if (created) {
          out.created.push(name);
          explain.step(`create the ${anonymous ? 'anonymous ' : ''}volume ${anonymous ? name.slice(0, 12) : name}: a directory on the host`, `mkdir -p ${volumeData(name)}`);
        }
        // copy-up only into a volume no other container mounts: nothing else can write into
        // it while the child copies (Docker copies whenever it is empty)
        if (volumeIsEmpty(name) && !volumeUsers(name, scan()).length) out.copyUp.push(r.target);
        out.mounts.push({ type: 'volume', source: volumeData(name), target: r.target, readonly: r.readonly, volume: name, ...(anonymous ? { anonymous } : {}) });
      }
    }
  } catch (err) {
    for (const n of out.created) deleteVolumeFiles(n);
    throw err;
  }
  return out;
}

/** `volume rm`: refused while any container uses it; -f: a missing volume is no error, a
 * broken record is removed. Returns false when there was nothing to remove. */
export async function removeVolume(name: string, force: boolean): Promise<boolean> {
  await awaitPendingRemovals(); // a --rm container that has ended is no user (pending-removal.ts)
  return withVolumesLock(async () => {
    let volume: VolumeRecord | undefined;
    try {
      volume = findVolume(name);
    } catch (err) {
      if (!(err instanceof BrokenRecordError && force && findBrokenVolume(name))) throw err;
    }
    if (!volume && !findBrokenVolume(name)) {
      if (force) return false;
      throw new NotFoundError(`no such volume: ${name}`);
    }
    const users = volumeUsers(name);
    if (users.length) throw new ConflictError(`volume ${name} is in use by container ${users.join(', ')}: remove the container first`);
    deleteVolumeFiles(name);
    return true;
  });
}

/** `volume prune`: unused anonymous volumes (with all, every unused volume). Broken volume
 * records are kept; so is everything while a container record is broken (it may use any). */
export async function pruneVolumes(all: boolean): Promise<{ removed: string[]; bytes: number; kept: string[] }> {
  await awaitPendingRemovals();
  return withVolumesLock(async () => {
    const scan = scanContainers();
    const { volumes, broken } = scanVolumes();
    const out = { removed: [] as string[], bytes: 0, kept: broken.map((b) => `${b.path}: ${b.problem} (see 'minictr system check')`) };
    // (a container being created writes its record under this lock: none is half-made now)
    if (scan.broken.length) {
      out.kept.push('every volume: a container record is broken and may use any of them');
      return out;
    }
    for (const v of volumes) {
      if (!all && !v.Anonymous) continue;
      if (volumeUsers(v.Name, scan).length) continue;
      out.bytes += volumeSize(v.Name);
      deleteVolumeFiles(v.Name);
      out.removed.push(v.Name);
    }
    return out;
  });
}

/** Volumes a failed run made, unless a container has meanwhile started using one. */
export async function removeUnusedVolumes(names: string[]): Promise<void> {
  if (!names.length) return;
  await withVolumesLock(async () => {
    const scan = scanContainers();
    for (const name of names) if (!volumeUsers(name, scan).length) deleteVolumeFiles(name);
  });
}

/** A removed container's anonymous volumes (rm -v, --rm), unless another container mounts one. */
export async function removeAnonymousVolumes(c: Container): Promise<void> {
  const mine = c.config.volumes.filter((v) => v.type === 'volume' && v.anonymous && v.volume).map((v) => v.volume!);
  if (!mine.length) return;
  await withVolumesLock(async () => {
    const scan = scanContainers();
    for (const name of mine) {
      if (volumeUsers(name, scan).length) continue;
      if (findBrokenVolume(name)) continue;
      deleteVolumeFiles(name);
    }
  });
}
