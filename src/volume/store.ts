/**
 * Named volumes on disk, as Docker's "local" driver keeps them: a volume is a directory on the
 * host, $MINICTR_ROOT/volumes/<name>/_data, that containers get bind-mounted in; beside it
 * volume.json records its name, creation time, labels and whether it is anonymous (made for
 * `-v /path`, named by 64 hex digits). A volume is made whole in a temp dir and renamed into
 * place, so it exists completely or not at all, and two creates of one name cannot clash.
 * Which containers use a volume is the containers' business (src/runtime/volumes.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BrokenRecordError, MinictrError, NotFoundError } from '../errors.js';
import { checkName, isValidName } from '../names.js';
import { paths } from '../paths.js';
import { readBoundedFile } from '../util/bounded-read.js';
import type { BrokenRecord } from '../util/broken.js';
import { writeJsonFileSync } from '../util/json-file.js';

export interface VolumeRecord {
  Name: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  /** made for `-v /path` (or --mount without a source): `rm -v` and `volume prune` remove it */
  Anonymous: boolean;
}

/** The volume's dir, for a checked name only: a name never reaches a path unchecked. */
export function volumeDir(name: string): string {
  return join(paths.volumes(), checkName('volume', name));
}

/** What containers see: the directory bind-mounted into them (docker volume inspect's Mountpoint). */
export function volumeData(name: string): string {
  return join(volumeDir(name), '_data');
}

const recordFile = (name: string): string => join(volumeDir(name), 'volume.json');

/** A 64-hex name, as Docker gives anonymous volumes. */
export function anonymousVolumeName(): string {
  return randomBytes(32).toString('hex');
}

type VolumeRead = { volume: VolumeRecord } | { broken: BrokenRecord };

function brokenVolume(path: string, name: string, problem: string): BrokenRecord {
  return { kind: 'volume', path, problem, fix: `restore it, or remove the volume with 'minictr volume rm -f ${name}'` };
}

function volumeProblem(v: unknown, name: string): string | undefined {
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  if (r.Name !== name) return `its name ${JSON.stringify(r.Name)} is not the directory's`;
  if (typeof r.CreatedAt !== 'string') return 'CreatedAt is missing';
  if (typeof r.Anonymous !== 'boolean') return 'Anonymous is not true or false';
  if (typeof r.Labels !== 'object' || r.Labels === null || Array.isArray(r.Labels) || !Object.values(r.Labels).every((l) => typeof l === 'string')) {
    return 'Labels is not an object of strings';
  }
  return undefined;
}

function readVolumeDir(name: string): VolumeRead | undefined {
  const path = recordFile(name);
  let value: unknown;
  try {
    value = JSON.parse(readBoundedFile(path, 1 << 20, 'volume record'));
  } catch (err) {
    if (err instanceof NotFoundError) {
      try {
        statSync(volumeDir(name));
      } catch {
        return undefined; // no such volume
      }
      return { broken: brokenVolume(path, name, 'missing') };
    }
    const problem = err instanceof MinictrError ? err.message.replace(/^volume record \S+ /, '') : (err as Error).message;
    return { broken: brokenVolume(path, name, problem) };
  }
  const problem = volumeProblem(value, name);
  if (problem) return { broken: brokenVolume(path, name, problem) };
  try {
    if (!statSync(volumeData(name)).isDirectory()) return { broken: brokenVolume(volumeData(name), name, 'is not a directory') };
  } catch {
    return { broken: brokenVolume(volumeData(name), name, 'missing') };
  }
  return { volume: value as VolumeRecord };
}

/** Every volume: readable ones, and broken ones (listed and kept, never taken as unused). */
export function scanVolumes(): { volumes: VolumeRecord[]; broken: BrokenRecord[] } {
  const out: { volumes: VolumeRecord[]; broken: BrokenRecord[] } = { volumes: [], broken: [] };
  let entries: string[];
  try {
    entries = readdirSync(paths.volumes());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new MinictrError(`${paths.volumes()} cannot be listed (${(err as NodeJS.ErrnoException).code}): the state root is damaged; see 'minictr system check'`);
  }
  for (const name of entries.sort()) {
    if (name.startsWith('.tmp-')) continue; // a volume being made (see createVolume)
    if (!isValidName('volume', name)) {
      out.broken.push({ kind: 'volume', path: join(paths.volumes(), name), problem: 'its name is not a volume name', fix: 'move it out of the store' });
      continue;
    }
    const r = readVolumeDir(name);
    if (r && 'volume' in r) out.volumes.push(r.volume);
    else if (r) out.broken.push(r.broken);
  }
  return out;
}

/** The volume, or undefined when there is none of that name; a broken record is an error. */
export function findVolume(name: string): VolumeRecord | undefined {
  checkName('volume', name);
  const r = readVolumeDir(name);
  if (r && 'broken' in r) throw new BrokenRecordError(r.broken);
  return r?.volume;
}

/** The broken record of a volume, if that is what it is (for `volume rm -f`). */
export function findBrokenVolume(name: string): BrokenRecord | undefined {
  if (!isValidName('volume', name)) return undefined;
  const r = readVolumeDir(name);
  return r && 'broken' in r ? r.broken : undefined;
}

/**
 * Make a volume (the caller holds the volumes lock). An existing one of that name is returned
 * as it is, as `docker volume create` does: created says which it was.
 */
export function createVolume(name: string, opts: { labels?: Record<string, string>; anonymous?: boolean } = {}): { volume: VolumeRecord; created: boolean } {
  checkName('volume', name);
  const existing = findVolume(name);
  if (existing) return { volume: existing, created: false };
  const volume: VolumeRecord = { Name: name, CreatedAt: new Date().toISOString(), Labels: { ...(opts.labels ?? {}) }, Anonymous: opts.anonymous ?? false };
  mkdirSync(paths.volumes(), { recursive: true });
  // made whole beside its place, then renamed in: never seen half-made
  const tmp = join(paths.volumes(), `.tmp-${randomBytes(8).toString('hex')}`);
  try {
    mkdirSync(join(tmp, '_data'), { recursive: true, mode: 0o755 });
    writeJsonFileSync(join(tmp, 'volume.json'), volume);
    renameSync(tmp, volumeDir(name));
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      const other = findVolume(name);
      if (other) return { volume: other, created: false };
    }
    throw err;
  }
  return { volume, created: true };
}

/** volumes/.tmp-* dirs older than a minute: a create that was killed before its rename
 * (a create takes milliseconds). */
export function staleVolumeTemps(now = Date.now()): string[] {
  let entries: string[];
  try {
    entries = readdirSync(paths.volumes());
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^\.tmp-[0-9a-f]{16}$/.test(e))
    .map((e) => join(paths.volumes(), e))
    .filter((p) => {
      try {
        return now - statSync(p).mtimeMs > 60_000;
      } catch {
        return false;
      }
    });
}

/** Whether the volume's directory holds nothing (Docker copies the image's files only into an empty one). */
export function volumeIsEmpty(name: string): boolean {
  return readdirSync(volumeData(name)).length === 0;
}

/** Delete the volume and its data (the caller has checked that no container uses it). */
export function deleteVolumeFiles(name: string): void {
  // rmSync unlinks symlinks a container left in the volume, it never follows them
  rmSync(volumeDir(name), { recursive: true, force: true, maxRetries: 3 });
}

/** Bytes held by the volume's files (for prune's "reclaimed space"). */
export function volumeSize(name: string): number {
  let total = 0;
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < 64) walk(p, depth + 1);
      else if (e.isFile()) {
        try {
          total += statSync(p).size;
        } catch {
          /* gone */
        }
      }
    }
  };
  walk(volumeData(name), 0);
  return total;
}
