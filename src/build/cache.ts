/**
 * The build cache: a step is reused when its parent image, its instruction (as it runs:
 * expanded, with the build args a RUN sees) and the digests of the files it reads (COPY,
 * ADD) are the same as in an earlier build. The key is the sha256 of those three; the value
 * is what the step made: its layer (in the image store's layers/), the config and its history
 * row. Stored as $MINICTR_ROOT/build-cache/<key>.json. A missing or unreadable entry, or one
 * whose layer is gone (rmi and system prune remove layers no image uses), is a miss.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../image/files.js';
import type { HistoryEntry, ImageConfig } from '../image/store.js';
import { stateRoot } from '../paths.js';

export interface CacheInputs {
  /** the parent image id (64 hex): its layer chain and config */
  parent: string;
  /** what the step does, as it runs */
  instruction: string;
  /** digests of what it reads, in order (COPY/ADD sources, a --from stage's image) */
  inputs?: string[];
}

/** The cache key of a step (pure). */
export function cacheKey(c: CacheInputs): string {
  return createHash('sha256')
    .update(JSON.stringify(['minictr-build-v1', c.parent, c.instruction, c.inputs ?? []]))
    .digest('hex');
}

export const cacheDir = (): string => join(stateRoot(), 'build-cache');

/** What a step made: its layer (none for a config-only step), the config, its history row. */
export interface CachedStep {
  layer?: string;
  config: ImageConfig;
  history: HistoryEntry;
}

export async function cacheGet(key: string): Promise<CachedStep | undefined> {
  try {
    const v = JSON.parse(await readFile(join(cacheDir(), `${key}.json`), 'utf8')) as Partial<CachedStep>;
    if (!v || typeof v !== 'object' || typeof v.config !== 'object' || !v.history || typeof v.history !== 'object') return undefined;
    if (v.layer !== undefined && !/^sha256:[0-9a-f]{64}$/.test(v.layer)) return undefined;
    return v as CachedStep;
  } catch {
    return undefined;
  }
}

export async function cachePut(key: string, step: CachedStep): Promise<void> {
  await mkdir(cacheDir(), { recursive: true, mode: 0o700 });
  await writeJsonAtomic(join(cacheDir(), `${key}.json`), step);
}
