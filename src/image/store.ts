/**
 * The image store, laid out like Docker's (and ready for registry pulls):
 *
 *   $MINICTR_ROOT/layers/<sha256hex>/diff/        an extracted layer (an overlay lower dir)
 *   $MINICTR_ROOT/layers/<sha256hex>/layer.json   its digest and size
 *   $MINICTR_ROOT/images/<imageid>.json           an image: its layers (bottom first) and config
 *   $MINICTR_ROOT/images/tags.json                "name:tag" -> image id (the only source of tags)
 *
 * The image id is sha256 of the image's layers and config, so importing the same rootfs twice
 * gives one image with two tags, and identical layers are stored once.
 *
 * Writers take the store lock (MINICTR_RUN/locks/images.lock) only to commit; the slow work
 * (checking and extracting a tarball) happens before, in a temp dir. Readers take no lock:
 * every file is replaced with an atomic rename, so they always see a consistent store.
 *
 * A file that cannot be read or fails its checks (record.ts: truncated, hand-edited, a
 * directory) is broken, never empty: it is reported with its path (BrokenImageFileError) and left
 * alone. Nothing is decided from a broken file: no tag is written over an unreadable
 * tags.json, and no layer is deleted while some image record cannot be read (it may use it).
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokenRecordError, ConflictError, MinictrError, NotFoundError, UsageError } from '../errors.js';
import { paths } from '../paths.js';
import { makeTempDir, sweepStaleTemp, writeJsonAtomic } from './files.js';
import { withLock } from '../util/lock.js';
import { checkLayerCount } from './limits.js';
import { parseImageRecord, parseLayerMeta, parseTags, RecordProblem, type StoredImage } from './record.js';
import { parseReference, tagKey, type ImageReference } from './reference.js';

export interface ImageConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  /** EXPOSE: "8080/tcp" -> {} (recorded, as in Docker; publishing is run -p's) */
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  /** VOLUME: "/data" -> {} */
  Volumes?: Record<string, object>;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  /** SHELL: the shell of RUN, CMD and ENTRYPOINT's shell forms */
  Shell?: string[];
}

/** HEALTHCHECK, as the image config records it (durations in nanoseconds). */
export interface HealthConfig {
  /** ["NONE"], ["CMD", args...] or ["CMD-SHELL", command] */
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** One step of an image's history (OCI config "history"), newest last. */
export interface HistoryEntry {
  /** ISO 8601 time */
  created?: string;
  /** The command that made the step, e.g. "/bin/sh -c apt-get install -y nano". */
  createdBy?: string;
  comment?: string;
  /** True for a step that changed only the config (ENV, CMD...) and made no layer. */
  emptyLayer?: boolean;
}

export interface ImageRecord {
  /** 64 hex digits (shown as "sha256:<id>", or its first 12 digits). */
  id: string;
  /** "name:tag" keys, sorted; empty for a dangling image. */
  tags: string[];
  /** Layer digests ("sha256:<hex>"), bottom layer first. */
  layers: string[];
  config: ImageConfig;
  /** ISO 8601 time the image was first stored. */
  created: string;
  /** Bytes of file content over all layers. */
  size: number;
  /** How the layers were made (minictr history); absent for images stored before it existed. */
  history?: HistoryEntry[];
  /** "name@sha256:<manifest digest>" for each registry the image was pulled from. */
  repoDigests?: string[];
  /** Platform of a pulled image, e.g. "linux/amd64". */
  platform?: string;
  /** The manifest format it last came as (pull, load): what push sends by default. */
  manifestFormat?: 'oci' | 'docker';
}

/** What a writer may record besides layers and config. */
export interface ImageMeta {
  history?: HistoryEntry[];
  repoDigest?: string;
  platform?: string;
  manifestFormat?: 'oci' | 'docker';
}

/**
 * A file of the image store that cannot be used. Its message is the line `minictr images`
 * prints for it, e.g. "broken image record /var/lib/minictr/images/3f2a....json: Unexpected end
 * of JSON input (kept; see 'minictr system check')"; its record is what `system check` lists.
 */
export class BrokenImageFileError extends BrokenRecordError {
  constructor(
    /** "image", "image tags", "layer": the record is "broken image record PATH" */
    kind: string,
    path: string,
    problem: string,
    fix: string,
  ) {
    super({ kind, path, problem, fix });
    this.message = `broken ${kind} record ${path}: ${problem} (kept; see 'minictr system check')`;
  }

  get path(): string {
    return this.record.path;
  }

  get problem(): string {
    return this.record.problem;
  }
}

/** The image store itself cannot be read (its directory is a file, or not readable). */
export class StoreUnreadableError extends MinictrError {}

export interface LayerMeta {
  digest: string;
  size: number;
}

/** A layer ready to be moved into the store: prepared in a temp dir holding diff/. */
export interface PreparedLayer extends LayerMeta {
  /** The temp dir holding diff/; undefined when the layer is already stored. */
  dir?: string;
}


function hexOf(digest: string): string {
  return digest.replace(/^sha256:/, '');
}

export function layerDir(digest: string): string {
  return join(paths.layers(), hexOf(digest));
}

export function layerExists(digest: string): boolean {
  return existsSync(join(layerDir(digest), 'layer.json'));
}

/** A stored layer's size from its layer.json; 0 when it cannot be read. */
export async function layerSize(digest: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(join(layerDir(digest), 'layer.json'), 'utf8')) as { size: number }).size;
  } catch {
    return 0;
  }
}

function storeLock(): string {
  return join(paths.locks(), 'images.lock');
}

/** Run fn holding the image store lock (held briefly: commits, not extractions). */
export function withStoreLock<T>(fn: () => Promise<T>): Promise<T> {
  return withLock(storeLock(), fn, { what: 'image store lock' });
}

export function tagsFile(): string {
  return join(paths.images(), 'tags.json');
}

/** Records are small; tags.json holds one line per tag. Larger files are not read into memory. */
const MAX_RECORD_BYTES = 16 * 1024 ** 2;
const MAX_TAGS_BYTES = 64 * 1024 ** 2;

/**
 * A store file's text, or undefined when it does not exist. Throws RecordProblem when it is
 * there but cannot be read as a file (a directory, a FIFO, too big, no permission).
 */
async function readStoreFile(path: string, maxBytes: number): Promise<string | undefined> {
  return readStoreFileSync(path, maxBytes);
}

/** The store's files are small (bounded) local files: read in place, not on libuv's thread
 * pool, where open, fstat, read and close were a thread hop and an event-loop turn each
 * (three files, ~15 round trips, on every `run`). O_NONBLOCK: a FIFO put there cannot hang
 * the open, and fstat refuses it before any read. */
function readStoreFileSync(path: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new RecordProblem(`it cannot be opened (${code})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new RecordProblem('it is a directory, not a file');
    if (!st.isFile()) throw new RecordProblem('it is not a regular file');
    if (st.size > maxBytes) throw new RecordProblem(`it is ${st.size} bytes, more than a store file may be (${maxBytes})`);
    return readFileSync(fd, 'utf8');
  } catch (err) {
    if (err instanceof RecordProblem) throw err;
    throw new RecordProblem(`it cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

/** What the user can do about a broken file (`minictr system check` prints it). */
const TAGS_FIX =
  'restore it from a backup; or remove it: the images stay, untagged (<none> in minictr images), and can be run and removed by ID';
const LAYER_FIX = "'minictr rmi' the images that use the layer, then pull or import them again";
export function recordFix(id: string): string {
  return `restore it from a backup; or 'minictr rmi ${id.slice(0, 12)}' removes it (with its tags; layers are kept while any record cannot be read)`;
}

export function recordPath(id: string): string {
  return join(paths.images(), `${id}.json`);
}

/** images/tags.json ({} when there is none yet). Throws BrokenImageFileError. */
export async function readTags(): Promise<Record<string, string>> {
  try {
    const text = await readStoreFile(tagsFile(), MAX_TAGS_BYTES);
    return text === undefined ? {} : parseTags(text);
  } catch (err) {
    if (err instanceof RecordProblem) throw new BrokenImageFileError('image tags', tagsFile(), err.message, TAGS_FIX);
    throw err;
  }
}

/** images/<id>.json, or undefined when there is none. Throws BrokenImageFileError. */
export async function readStored(id: string): Promise<StoredImage | undefined> {
  try {
    const text = await readStoreFile(recordPath(id), MAX_RECORD_BYTES);
    return text === undefined ? undefined : parseImageRecord(text, id);
  } catch (err) {
    if (err instanceof RecordProblem) throw new BrokenImageFileError('image', recordPath(id), err.message, recordFix(id));
    throw err;
  }
}

/** layers/<hex>/layer.json, or undefined when there is none. Throws BrokenImageFileError. */
export async function readLayerMeta(digest: string): Promise<LayerMeta | undefined> {
  const path = join(layerDir(digest), 'layer.json');
  try {
    const text = await readStoreFile(path, MAX_RECORD_BYTES);
    return text === undefined ? undefined : parseLayerMeta(text, digest);
  } catch (err) {
    if (err instanceof RecordProblem) throw new BrokenImageFileError('layer', path, err.message, LAYER_FIX);
    throw err;
  }
}

/** The ids of images/<id>.json files, readable or not. */
export async function storedIds(): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(paths.images());
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new StoreUnreadableError(`cannot read the image store ${paths.images()} (${code === 'ENOTDIR' ? 'it, or a directory above it, is not a directory' : code})`);
  }
  return names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).map((n) => n.slice(0, 64)).sort();
}

export interface RecordScan {
  /** every images/<id>.json, readable or not */
  ids: string[];
  /** the readable ones */
  records: Map<string, StoredImage>;
  /** the others, each with its path and problem */
  broken: BrokenImageFileError[];
}

/** Read every image record; a broken one is listed as such, never skipped silently. */
export async function scanRecords(): Promise<RecordScan> {
  const scan: RecordScan = { ids: await storedIds(), records: new Map(), broken: [] };
  for (const id of scan.ids) {
    try {
      const stored = await readStored(id);
      if (stored) scan.records.set(id, stored);
    } catch (err) {
      if (!(err instanceof BrokenImageFileError)) throw err;
      scan.broken.push(err);
    }
  }
  return scan;
}

function withTags(img: StoredImage, tags: Record<string, string>): ImageRecord {
  const names = Object.keys(tags)
    .filter((k) => tags[k] === img.id)
    .sort();
  return { ...img, tags: names };
}

/** Config with keys in a fixed order and empty fields dropped, so the image id is stable. */
export function canonicalConfig(c: ImageConfig): ImageConfig {
  const out: ImageConfig = {};
  if (c.Env?.length) out.Env = [...c.Env];
  if (c.Cmd?.length) out.Cmd = [...c.Cmd];
  if (c.Entrypoint?.length) out.Entrypoint = [...c.Entrypoint];
  if (c.WorkingDir) out.WorkingDir = c.WorkingDir;
  if (c.User) out.User = c.User;
  // the build's fields (minictr build), keys sorted so the id does not depend on their order
  const sorted = <T>(r: Record<string, T> | undefined): Record<string, T> | undefined =>
    r && Object.keys(r).length ? Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]!])) : undefined;
  const ports = sorted(c.ExposedPorts);
  if (ports) out.ExposedPorts = ports;
  const labels = sorted(c.Labels);
  if (labels) out.Labels = labels;
  const volumes = sorted(c.Volumes);
  if (volumes) out.Volumes = volumes;
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.Healthcheck) {
    const h = c.Healthcheck;
    out.Healthcheck = { Test: [...h.Test] };
    for (const k of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const) if (h[k] !== undefined) out.Healthcheck[k] = h[k];
  }
  if (c.Shell?.length) out.Shell = [...c.Shell];
  return out;
}

export function imageIdFor(layers: string[], config: ImageConfig): string {
  return createHash('sha256')
    .update(JSON.stringify({ layers, config: canonicalConfig(config) }))
    .digest('hex');
}

/**
 * Store an image: move its new layers into place, write its record, point the tag at it.
 * The tag's previous image, if any, stays as a dangling image (it may be in use), like Docker.
 * key undefined stores the image untagged (a pull by digest): it is found by its repo digest.
 */
export async function commitImage(
  key: string | undefined,
  layers: PreparedLayer[],
  config: ImageConfig,
  meta: ImageMeta = {},
): Promise<ImageRecord> {
  checkLayerCount(key === undefined ? 'the image' : `image ${key}`, layers.length, 'nothing was stored');
  const digests = layers.map((l) => l.digest);
  const id = imageIdFor(digests, config);
  return withStoreLock(async () => {
    // what is there is read first: a broken tags.json or record stops the commit before
    // anything moves (it is never overwritten: see BrokenImageFileError)
    const tags = await readTags();
    let stored = await readStored(id);
    await mkdir(paths.layers(), { recursive: true, mode: 0o700 });
    for (const layer of layers) {
      if (layerExists(layer.digest)) continue; // identical layers are stored once
      if (!layer.dir) throw new Error(`layer ${layer.digest} is neither stored nor prepared`);
      await writeJsonAtomic(join(layer.dir, 'layer.json'), { digest: layer.digest, size: layer.size });
      await rename(layer.dir, layerDir(layer.digest));
    }
    let changed = !stored || (meta.repoDigest !== undefined && !stored.repoDigests?.includes(meta.repoDigest));
    if (!stored) {
      stored = {
        id,
        layers: digests,
        config: canonicalConfig(config),
        created: new Date().toISOString(),
        size: layers.reduce((n, l) => n + l.size, 0),
      };
      if (meta.history?.length) stored.history = meta.history;
      if (meta.platform) stored.platform = meta.platform;
    }
    if (meta.repoDigest && !stored.repoDigests?.includes(meta.repoDigest)) {
      // A registry's digest for this name replaces the one it had (a tag moved upstream).
      const name = meta.repoDigest.slice(0, meta.repoDigest.lastIndexOf('@'));
      stored.repoDigests = [...(stored.repoDigests ?? []).filter((d) => !d.startsWith(`${name}@`)), meta.repoDigest].sort();
    }
    if (meta.manifestFormat && stored.manifestFormat !== meta.manifestFormat) {
      stored.manifestFormat = meta.manifestFormat; // the latest pull or load decides
      changed = true;
    }
    if (changed) await writeJsonAtomic(recordPath(id), stored);
    // a tag that already names this image is not written again (a cached build, a repeated
    // pull): tags.json and its directory would be fsynced for nothing
    if (key !== undefined && tags[key] !== id) {
      tags[key] = id;
      await writeJsonAtomic(tagsFile(), tags);
    }
    return withTags(stored, tags);
  });
}

/**
 * Move a prepared layer into the store without an image (minictr build: each step's layer,
 * which the next step runs on). Until an image uses it, `rmi` and `system prune` may remove
 * it, like any layer no image refers to; the build cache then misses.
 */
export async function storeLayer(layer: PreparedLayer): Promise<void> {
  await withStoreLock(async () => {
    await mkdir(paths.layers(), { recursive: true, mode: 0o700 });
    if (layerExists(layer.digest)) return;
    if (!layer.dir) throw new Error(`layer ${layer.digest} is neither stored nor prepared`);
    await writeJsonAtomic(join(layer.dir, 'layer.json'), { digest: layer.digest, size: layer.size });
    await rename(layer.dir, layerDir(layer.digest));
  });
}

async function byIdPrefix(prefix: string): Promise<string | undefined> {
  const ids = (await storedIds()).filter((id) => id.startsWith(prefix));
  if (ids.length > 1) throw new ConflictError(`image ID prefix ${prefix} is ambiguous: it matches ${ids.length} images`);
  return ids[0];
}

interface Lookup {
  id: string;
  /** The tag key when the user named the image by tag; undefined when by ID. */
  key?: string;
  /** tags.json as the lookup read it (by name), so that findImage need not read it again */
  tags?: Record<string, string>;
}

/** Find an image by NAME[:TAG], full or short ID, or sha256:ID. No built-in images here. */
async function lookup(ref: string): Promise<Lookup | undefined> {
  const idForm = /^(sha256:)?([0-9a-f]{1,64})$/.exec(ref);
  if (ref.startsWith('sha256:')) {
    if (!idForm) throw new UsageError(`invalid image ID ${JSON.stringify(ref)}: expected sha256: and hex digits`);
    const id = await byIdPrefix(idForm[2]!);
    return id ? { id } : undefined;
  }
  let parsed: ImageReference | undefined;
  try {
    parsed = parseReference(ref);
  } catch (err) {
    if (!idForm) throw err; // a 64-hex string is refused as a name but is a fine ID
  }
  if (parsed) {
    if (parsed.digest) {
      // NAME@sha256:DIGEST: the image pulled with that manifest digest (the tag, if also
      // given, is ignored, as Docker does).
      // A broken record cannot say; `minictr images` and `system check` report it.
      const wanted = `${parsed.name}@${parsed.digest}`;
      for (const [id, stored] of (await scanRecords()).records) {
        if (stored.repoDigests?.includes(wanted)) return { id };
      }
      return undefined;
    }
    const key = tagKey(parsed);
    let tags: Record<string, string> | undefined;
    try {
      tags = await readTags();
    } catch (err) {
      // names cannot be resolved without tags.json; an ID (prefix) still can
      if (!(err instanceof BrokenImageFileError) || !idForm) throw err;
    }
    const id = tags?.[key];
    if (id) return { id, key, tags };
  }
  if (idForm) {
    const id = await byIdPrefix(idForm[2]!);
    if (id) return { id };
  }
  return undefined;
}

/** tags.json, or no tags when it is broken (for display only: never written back). */
async function tagsForDisplay(): Promise<Record<string, string>> {
  return readTags().catch((err: unknown) => {
    if (err instanceof BrokenImageFileError) return {};
    throw err;
  });
}

/**
 * The stored image a user named (name[:tag], id, id prefix, digest), or undefined. Throws
 * BrokenImageFileError, naming the file, when its record cannot be read or a layer is missing.
 */
export async function findImage(ref: string): Promise<ImageRecord | undefined> {
  const found = await lookup(ref);
  if (!found) return undefined;
  const stored = await readStored(found.id);
  if (!stored) return undefined;
  const missing = stored.layers.find((l) => !existsSync(join(layerDir(l), 'diff')));
  if (missing) throw new BrokenImageFileError('image', recordPath(found.id), `its layer ${join(layerDir(missing), 'diff')} is missing`, `'minictr rmi ${found.id.slice(0, 12)}', then pull or import the image again`);
  // found by name: the tags it was found with (one read of tags.json per run, not two)
  return withTags(stored, found.tags ?? (await tagsForDisplay()));
}

/** Absolute diff dirs of the image's layers, TOP layer first (overlayfs lowerdir order). */
export function layerDirs(img: ImageRecord): string[] {
  // A layer listed twice (images with repeated empty layers) is mounted once, at its topmost
  // place: the lower copy could add nothing the upper one does not already show.
  const top = [...new Set([...img.layers].reverse())];
  return top.map((d) => join(layerDir(d), 'diff'));
}

/** One history entry per layer of the base image (made up when the image has none). */
export function baseHistory(img: ImageRecord): HistoryEntry[] {
  const h = img.history ?? [];
  if (h.filter((e) => !e.emptyLayer).length === img.layers.length) return h;
  return img.layers.map(() => ({ created: img.created }));
}

export interface ImageList {
  /** the readable images, newest first */
  images: ImageRecord[];
  /** what could not be read: tags.json first, then image records */
  broken: BrokenImageFileError[];
}

/** Every stored image that can be read, and every store file that cannot. */
export async function scanImages(): Promise<ImageList> {
  const broken: BrokenImageFileError[] = [];
  let tags: Record<string, string> = {};
  try {
    tags = await readTags();
  } catch (err) {
    if (!(err instanceof BrokenImageFileError)) throw err;
    broken.push(err);
  }
  const scan = await scanRecords();
  broken.push(...scan.broken);
  const images = [...scan.records.values()].map((r) => withTags(r, tags));
  images.sort((a, b) => b.created.localeCompare(a.created) || a.id.localeCompare(b.id));
  return { images, broken };
}

/** All stored images that can be read, newest first. */
export async function listImages(): Promise<ImageRecord[]> {
  return (await scanImages()).images;
}

/**
 * Point the tag `key` ("name:tag") at the stored image `id` (`docker tag`): a tag that named
 * another image moves, that image staying as it is (dangling if it had no other tag).
 */
export async function tagImage(id: string, key: string): Promise<ImageRecord> {
  return withStoreLock(async () => {
    const stored = await readStored(id);
    if (!stored) throw new NotFoundError(`image not found: sha256:${id.slice(0, 12)}`);
    const tags = await readTags();
    if (tags[key] !== id) {
      tags[key] = id;
      await writeJsonAtomic(tagsFile(), tags);
    }
    return withTags(stored, tags);
  });
}

export interface RemoveOptions {
  /** Remove an image that has several tags when named by ID; untag one that is in use. */
  force?: boolean;
  /**
   * Which containers use the image (issue 4 wires this to the container store). An image in
   * use is never deleted: without force that is an error, with force it is only untagged.
   */
  inUse?: (imageId: string) => Promise<string[]>;
}

export interface RemoveResult {
  untagged: string[];
  deleted: string[];
  /** what was kept and why (unused layers kept while some record cannot be read) */
  notes: string[];
}

/**
 * Remove a tag, or an image by ID. When an image loses its last tag it is deleted, with every
 * layer no other image uses (`docker rmi`).
 */
export async function removeImage(ref: string, opts: RemoveOptions = {}): Promise<RemoveResult> {
  await sweepStaleTemp();
  const doomed: string[] = [];
  const result = await withStoreLock(async () => {
    const found = await lookup(ref);
    if (!found) throw new NotFoundError(`image not found: ${ref}`);
    // A broken record is removed like any other (that is the way out of it); only layers no
    // readable record uses may go with it, and only if every other record can be read.
    const stored = await readStored(found.id).catch((err: unknown) => {
      if (err instanceof BrokenImageFileError) return err;
      throw err;
    });
    if (!stored) throw new NotFoundError(`image not found: ${ref}`);
    const tags = await readTags(); // broken: refused, as the tags of the image cannot be removed
    const own = Object.keys(tags).filter((k) => tags[k] === found.id);
    const short = found.id.slice(0, 12);
    if (!found.key && own.length > 1 && !opts.force) {
      throw new ConflictError(
        `image ${short} has several tags (${own.sort().join(', ')}): remove them by name, or use -f`,
      );
    }
    const untag = found.key ? [found.key] : own;
    const remaining = own.filter((k) => !untag.includes(k));
    const users = remaining.length === 0 && opts.inUse ? await opts.inUse(found.id) : [];
    if (users.length && !opts.force) {
      throw new ConflictError(`image ${ref} is in use by container ${users.join(', ')}: remove the container first, or use -f`);
    }
    for (const k of untag) delete tags[k];
    await writeJsonAtomic(tagsFile(), tags);
    const res: RemoveResult = { untagged: untag, deleted: [], notes: [] };
    if (remaining.length || users.length) return res;

    // a broken record may even be a directory
    await (stored instanceof BrokenImageFileError ? rm(recordPath(found.id), { recursive: true, force: true }) : unlink(recordPath(found.id)));
    res.deleted.push(`sha256:${found.id}`);
    // Layers no remaining image refers to go too. They are renamed out of layers/ under the
    // lock (so no half-deleted layer is ever visible) and deleted after it is released.
    const scan = await scanRecords();
    if (scan.broken.length) {
      res.notes.push(
        `kept the layers no readable image uses: ${scan.broken.length === 1 ? 'an image record cannot be read' : `${scan.broken.length} image records cannot be read`} (${scan.broken.map((b) => b.path).join(', ')}; see 'minictr system check')`,
      );
      return res;
    }
    const used = new Set<string>();
    for (const r of scan.records.values()) for (const l of r.layers) used.add(hexOf(l));
    for (const hex of await readdir(paths.layers()).catch(() => [] as string[])) {
      if (used.has(hex) || !/^[0-9a-f]{64}$/.test(hex)) continue;
      const trash = await makeTempDir('rmlayer');
      await rename(join(paths.layers(), hex), join(trash, 'layer'));
      doomed.push(trash);
      res.deleted.push(`sha256:${hex}`);
    }
    return res;
  });
  for (const dir of doomed) await rm(dir, { recursive: true, force: true });
  return result;
}
