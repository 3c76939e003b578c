/**
 * Which image a user means, as `docker run` decides it: a stored one (name[:tag], id, id
 * prefix, digest); "busybox", built from the host's static busybox the first time it is asked
 * for (busybox.ts); else, for run, a pull from the registry. The store (store.ts) only
 * stores: this policy lives here, above both it and the builders that fill it.
 */
import { NotFoundError } from '../errors.js';
import { leftUsualPath } from '../util/code-cache.js';
import type { ProgressOutput } from './progress.js';
import { parseReference, tagKey } from './reference.js';
import { findImage, type ImageRecord } from './store.js';

const BUILTIN_BUSYBOX = 'busybox:latest';

function isBuiltinBusybox(ref: string): boolean {
  try {
    const p = parseReference(ref);
    return !p.digest && tagKey(p) === BUILTIN_BUSYBOX;
  } catch {
    return false;
  }
}

/** The image a user named. Throws NotFoundError "image not found: REF". */
export async function resolveImage(ref: string): Promise<ImageRecord> {
  const stored = await findImage(ref);
  if (stored) return stored;
  if (isBuiltinBusybox(ref)) {
    leftUsualPath(); // a run builds it once: its code is no later run's (util/code-cache.ts)
    const { createBusyboxImage } = await import('./busybox.js');
    return createBusyboxImage();
  }
  throw new NotFoundError(`image not found: ${ref}`);
}

export interface ResolveOrPullOptions {
  /** Where the pull's progress goes (run: stderr, so a container's stdout stays clean). */
  output?: ProgressOutput;
  /** Allow plain HTTP to the registry. */
  insecure?: boolean;
}

/**
 * resolveImage, and when the image is not stored, pull it (docker run's behaviour): prints
 * "Unable to find image 'REF' locally" and the pull's progress to opts.output (stderr).
 */
export async function resolveOrPullImage(ref: string, opts: ResolveOrPullOptions = {}): Promise<ImageRecord> {
  try {
    return await resolveImage(ref);
  } catch (err) {
    if (!(err instanceof NotFoundError) || /^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) throw err;
  }
  const output = opts.output ?? process.stderr;
  output.write(`Unable to find image '${ref}' locally\n`);
  leftUsualPath(); // as the busybox image's build above
  const { pullImage } = await import('./pull.js');
  const { image } = await pullImage(ref, { output, insecure: opts.insecure });
  return image;
}
