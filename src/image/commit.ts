/**
 * `minictr commit CTR NAME[:TAG]`: a container's changes become a new image layer on top of
 * its image's layers (docker commit).
 *
 * The changes are exactly the overlay upper dir: files written or copied up, plus overlayfs
 * whiteouts for deletions. A layer tarball says the same with OCI whiteouts, so:
 *
 *   upper/etc/motd  (char device 0:0)          ->  etc/.wh.motd         (empty file)
 *   upper/var/cache (trusted.overlay.opaque=y) ->  var/cache/.wh..wh..opq
 *
 * GNU tar archives the upper dir's entries (owners, modes, links, devices, capabilities); the
 * whiteout files are made in a scratch dir and appended (tar -r). The tarball then goes the way
 * of any registry layer (layer.ts): checked, its digest computed, extracted into the store with
 * the whiteouts turned back into overlay whiteouts. The layer a commit makes is thus the same
 * thing a pull of it would make.
 *
 * A running container is frozen (the cgroup freezer, as docker commit does) for the whole
 * time its upper dir is read: the caller passes `whileReading` (runtime/update.ts's
 * whilePaused). Its processes could otherwise swap a directory of the upper dir for a symlink
 * to / between the walk and tar, and tar, which opens each name by its path, would archive
 * the host's files (see writeLayerTar).
 */
import { lstat, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MinictrError, UsageError } from '../errors.js';
import { runTool, TAR_NOISE } from '../util/tool.js';
import { silent, type Explainer } from '../util/explain.js';
import { shellLine } from '../util/shell.js';
import { applyChanges } from './change.js';
import { makeTempDir, sweepStaleTemp } from './files.js';
import { prepareLayer } from './layer.js';
import { checkLayerCount, UnpackBudget, UnpackLimitError, unpackLimits } from './limits.js';
import { parseReference, tagKey } from './reference.js';
import {
  baseHistory,
  canonicalConfig,
  commitImage,
  layerDirs,
  layerSize,
  type HistoryEntry,
  type ImageConfig,
  type ImageRecord,
  type PreparedLayer,
} from './store.js';
import { resolveImage } from './resolve.js';
import { overlayChanges, type OverlayChanges } from './whiteout.js';

// moved to the store (build's cached path reads them without loading the layer code)
export { baseHistory, layerSize } from './store.js';

export interface CommitOptions {
  /** Dockerfile instructions applied to the config (CMD, ENTRYPOINT, ENV, WORKDIR, USER). */
  changes?: string[];
  /** The commit message (history comment). */
  message?: string;
  explain?: Explainer;
  /** Runs the reading of the upper dir: with the container frozen, for a running one. */
  whileReading?: <T>(read: () => Promise<T>) => Promise<T>;
}

/** Paths the runtime mounts over: created empty in the upper dir, not the user's changes. */
const RUNTIME_MOUNTPOINTS = ['proc', 'sys', 'dev', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf'];

/** The part of a container's config that commit needs (ContainerConfig in runtime/store.ts). */
interface CommittedContainer {
  id: string;
  name: string;
  imageId: string;
  command: string[];
  env: string[];
  cwd: string;
  user?: string;
  volumes: { target: string }[];
  tmpfs: string[];
}

/**
 * The new image's config: the container's command, environment, working dir and user, as
 * docker commit records them. run stored Entrypoint + Cmd as one command; when it still
 * starts with the image's Entrypoint, that is kept and the rest is the Cmd.
 */
export function committedConfig(base: ImageConfig, c: CommittedContainer): ImageConfig {
  const entry = base.Entrypoint ?? [];
  const keepsEntry = entry.length > 0 && entry.every((a, i) => c.command[i] === a);
  const env = [...(base.Env ?? [])];
  for (const kv of c.env) {
    const key = kv.slice(0, kv.indexOf('='));
    const at = env.findIndex((e) => e.startsWith(`${key}=`));
    if (at >= 0) env[at] = kv;
    else env.push(kv);
  }
  return canonicalConfig({
    ...base, // labels, exposed ports, volumes... stay the image's
    Env: env,
    Entrypoint: keepsEntry ? entry : undefined,
    Cmd: keepsEntry ? c.command.slice(entry.length) : c.command,
    WorkingDir: c.cwd && c.cwd !== '/' ? c.cwd : base.WorkingDir,
    User: c.user ?? base.User,
  });
}

/** Archive the upper dir's changes as an OCI layer tarball at `out`; false if there are none. */
async function writeLayerTar(upper: string, lower: string[], container: CommittedContainer, scratch: string, out: string, explain: Explainer): Promise<boolean> {
  const mountpoints = new Set([
    ...RUNTIME_MOUNTPOINTS,
    ...container.volumes.map((v) => v.target.replace(/^\/+/, '')),
    ...container.tmpfs.map((t) => t.replace(/^\/+/, '')),
  ]);
  const changes = await overlayChanges(upper, lower, (rel, empty) => empty && mountpoints.has(rel)).catch((err: NodeJS.ErrnoException) => {
    // only a container left running (--pause=false) changes its files under the walk
    if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err;
    throw changedWhileRead(err.path?.startsWith(`${upper}/`) ? err.path.slice(upper.length + 1) : (err.path ?? upper));
  });
  if (changes.entries.length === 0 && changes.markers.length === 0) return false;
  explain.note(`${changes.entries.length} changed path(s), ${changes.markers.length} deletion(s) in ${upper}`);
  await archiveChanges(upper, changes, scratch, out, explain);
  return true;
}

/**
 * Write `changes` of the overlay dir `dir` (an upper dir, or a stored layer's diff/) as an OCI
 * layer tarball at `out`: GNU tar archives the entries, the whiteout files are made in a
 * scratch tree and appended.
 */
export async function archiveChanges(dir: string, changes: OverlayChanges, scratch: string, out: string, explain: Explainer): Promise<void> {
  // GNU tar opens every listed name by its path below -C, following symlinks in its parents
  // (it has no option not to; it only never follows the name itself, without -h). So no
  // parent of a listed name may be a symlink: the walk (overlayChanges) lstat'ed every one while
  // the container was frozen, and they are checked again here, right before tar, still frozen.
  // (With --pause=false the container runs on and this check only narrows the window.)
  await checkRealParents(dir, changes.entries);

  const tarArgs = ['--format=posix', '--numeric-owner', '--xattrs', '--xattrs-include=security.capability', '--xattrs-include=user.*',
    '--pax-option=delete=atime,delete=ctime', '--no-recursion', '--null'];
  if (changes.entries.length) {
    const list = join(scratch, 'entries.list');
    await writeFile(list, changes.entries.map((e) => `${e}\0`).join(''));
    await tar(['-c', '-f', out, ...tarArgs, '-C', dir, '-T', list], explain, `archive ${dir}: the ${changes.entries.length} path(s) of the layer (listed in ${list})`);
  }
  if (changes.markers.length) {
    // The whiteout files, made empty with a fixed time in a scratch tree, appended to the archive.
    const wh = join(scratch, 'whiteouts');
    for (const m of changes.markers) {
      await mkdir(join(wh, dirname(m)), { recursive: true, mode: 0o755 });
      await writeFile(join(wh, m), '', { mode: 0o644 });
      await utimes(join(wh, m), 0, 0);
    }
    const list = join(scratch, 'whiteouts.list');
    await writeFile(list, changes.markers.map((m) => `${m}\0`).join(''));
    await tar([changes.entries.length ? '-r' : '-c', '-f', out, ...tarArgs, '--owner=0', '--group=0', '-C', wh, '-T', list], explain, `add OCI whiteouts for ${changes.markers.length} deletion(s): a char device 0:0 becomes .wh.NAME, an opaque dir gets .wh..wh..opq (listed in ${list})`);
  }
}

const changedWhileRead = (path: string): MinictrError =>
  new MinictrError(`cannot commit: ${path} in the container changed while it was read (commit it paused)`);

/** Every parent dir of every entry is a directory, not a symlink (shallowest first, so each
 * lstat goes through directories already checked). */
async function checkRealParents(upper: string, entries: string[]): Promise<void> {
  const parents = new Set<string>();
  for (const e of entries) {
    for (let i = e.indexOf('/'); i > 0; i = e.indexOf('/', i + 1)) parents.add(e.slice(0, i));
  }
  for (const p of [...parents].sort()) {
    const st = await lstat(join(upper, p)).catch(() => undefined);
    if (!st?.isDirectory()) throw changedWhileRead(p);
  }
}

async function tar(args: string[], explain: Explainer, why: string): Promise<void> {
  explain.step(why, shellLine(['tar', ...args]));
  await runTool('tar', args, { stdout: 'ignore', label: 'tar -c (commit)', noise: TAR_NOISE });
}

export interface ContainerLayerOptions {
  explain?: Explainer;
  /** what the image will be called, for the layer-count error */
  image?: string;
  /** commit of a running container: the upper dir is read while the container is frozen */
  whileReading?: (read: () => Promise<boolean>) => Promise<boolean>;
  /** what unpacking the layer may write (import's limits); made from them when not given */
  budget?: UnpackBudget;
}

/**
 * A container's changes as a new layer, prepared in a temp dir (its `dir`, holding diff/) for
 * the store to move in: its overlay upper dir against `lower` (the layer dirs it ran on, top
 * first). undefined when the container changed nothing. Used by commit and by each RUN of
 * minictr build.
 */
export async function containerLayer(
  container: { config: CommittedContainer; dir: string },
  lower: string[],
  opts: ContainerLayerOptions = {},
): Promise<(PreparedLayer & { dir: string }) | undefined> {
  const explain = opts.explain ?? silent;
  const budget = opts.budget ?? new UnpackBudget(await unpackLimits());
  const whileReading = opts.whileReading ?? ((read) => read());
  const scratch = await makeTempDir('commit');
  try {
    const tarball = join(scratch, 'layer.tar');
    const changed = await whileReading(() => writeLayerTar(join(container.dir, 'upper'), lower, container.config, scratch, tarball, explain));
    if (!changed) return undefined;
    const image = opts.image ? `image ${opts.image}` : 'the new image';
    checkLayerCount(`${image} (the ${lower.length} layers of container ${container.config.name}'s image and one of its changes)`, lower.length + 1, 'nothing was committed');
    const display = `the changes of container ${container.config.name}`;
    return await prepareLayer(tarball, { display, budget, explain }).catch((err: unknown) => {
      throw err instanceof UnpackLimitError ? err.about(display, 'nothing was committed') : err;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Commit a container (as runtime/store.ts's findContainer returns it: config and dir) as
 * image `name`. Returns the new image.
 */
export async function commitContainer(
  container: { config: CommittedContainer; dir: string },
  name: string,
  opts: CommitOptions = {},
): Promise<ImageRecord> {
  const explain = opts.explain ?? silent;
  const ref = parseReference(name);
  if (ref.digest) throw new UsageError(`commit needs NAME[:TAG], not a digest: ${name}`);
  const key = tagKey(ref);
  const base = await resolveImage(container.config.imageId);
  const config = applyChanges(committedConfig(base.config, container.config), opts.changes ?? []);

  const budget = new UnpackBudget(await unpackLimits());

  await sweepStaleTemp();
  let layer: (PreparedLayer & { dir: string }) | undefined;
  try {
    layer = await containerLayer(container, layerDirs(base), { explain, image: name, whileReading: opts.whileReading, budget });
    if (layer) {
      explain.note(`new layer ${layer.digest} (${layer.size} bytes of files)`);
    } else {
      explain.note('no changes in the container: the new image has the same layers and a new config');
    }
    const layers: PreparedLayer[] = await Promise.all(base.layers.map(async (d) => ({ digest: d, size: await layerSize(d) })));
    if (layer) layers.push(layer);
    const entry: HistoryEntry = {
      created: new Date().toISOString(),
      createdBy: container.config.command.join(' '),
      comment: opts.message ?? `minictr commit ${container.config.name}`,
    };
    if (!layer) entry.emptyLayer = true;
    return await commitImage(key, layers, config, { history: [...baseHistory(base), entry] });
  } finally {
    if (layer) await rm(layer.dir, { recursive: true, force: true });
  }
}
