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
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import { paths } from '../paths.js';
import { makeTempDir, sweepStaleTemp, writeJsonAtomic } from './files.js';
import { withLock } from '../util/lock.js';
import { parseReference, tagKey, type ImageReference } from './reference.js';

export interface ImageConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
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

/** What images/<id>.json holds: the record without tags (tags.json owns those). */
type StoredImage = Omit<ImageRecord, 'tags'>;

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

function storeLock(): string {
  return join(paths.locks(), 'images.lock');
}

/** Run fn holding the image store lock (held briefly: commits, not extractions). */
export function withStoreLock<T>(fn: () => Promise<T>): Promise<T> {
  return withLock(storeLock(), fn, { what: 'image store lock' });
}

function tagsFile(): string {
  return join(paths.images(), 'tags.json');
}

async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

async function readTags(): Promise<Record<string, string>> {
  return (await readJson<Record<string, string>>(tagsFile())) ?? {};
}

async function readStored(id: string): Promise<StoredImage | undefined> {
  return readJson<StoredImage>(join(paths.images(), `${id}.json`));
}

async function storedIds(): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(paths.images());
  } catch {
    return [];
  }
  return names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).map((n) => n.slice(0, 64));
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
  const digests = layers.map((l) => l.digest);
  const id = imageIdFor(digests, config);
  return withStoreLock(async () => {
    await mkdir(paths.layers(), { recursive: true, mode: 0o700 });
    for (const layer of layers) {
      if (layerExists(layer.digest)) continue; // identical layers are stored once
      if (!layer.dir) throw new Error(`layer ${layer.digest} is neither stored nor prepared`);
      await writeJsonAtomic(join(layer.dir, 'layer.json'), { digest: layer.digest, size: layer.size });
      await rename(layer.dir, layerDir(layer.digest));
    }
    let stored = await readStored(id);
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
    if (changed) await writeJsonAtomic(join(paths.images(), `${id}.json`), stored);
    const tags = await readTags();
    if (key !== undefined) {
      tags[key] = id;
      await writeJsonAtomic(tagsFile(), tags);
    }
    return withTags(stored, tags);
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
      const wanted = `${parsed.name}@${parsed.digest}`;
      for (const id of await storedIds()) {
        if ((await readStored(id))?.repoDigests?.includes(wanted)) return { id };
      }
      return undefined;
    }
    const key = tagKey(parsed);
    const id = (await readTags())[key];
    if (id) return { id, key };
  }
  if (idForm) {
    const id = await byIdPrefix(idForm[2]!);
    if (id) return { id };
  }
  return undefined;
}

/** The stored image a user named (name[:tag], id, id prefix, digest), or undefined. */
export async function findImage(ref: string): Promise<ImageRecord | undefined> {
  const found = await lookup(ref);
  if (!found) return undefined;
  const stored = await readStored(found.id);
  return stored ? withTags(stored, await readTags()) : undefined;
}

/** Absolute diff dirs of the image's layers, TOP layer first (overlayfs lowerdir order). */
export function layerDirs(img: ImageRecord): string[] {
  // A layer listed twice (images with repeated empty layers) is mounted once, at its topmost
  // place: the lower copy could add nothing the upper one does not already show.
  const top = [...new Set([...img.layers].reverse())];
  return top.map((d) => join(layerDir(d), 'diff'));
}

/** All stored images, newest first. */
export async function listImages(): Promise<ImageRecord[]> {
  const tags = await readTags();
  const out: ImageRecord[] = [];
  for (const id of await storedIds()) {
    const stored = await readStored(id);
    if (stored) out.push(withTags(stored, tags));
  }
  return out.sort((a, b) => b.created.localeCompare(a.created) || a.id.localeCompare(b.id));
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
    const stored = found && (await readStored(found.id));
    if (!found || !stored) throw new NotFoundError(`image not found: ${ref}`);
    const tags = await readTags();
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
    const res: RemoveResult = { untagged: untag, deleted: [] };
    if (remaining.length || users.length) return res;

    await unlink(join(paths.images(), `${found.id}.json`));
    res.deleted.push(`sha256:${found.id}`);
    // Layers no remaining image refers to go too. They are renamed out of layers/ under the
    // lock (so no half-deleted layer is ever visible) and deleted after it is released.
    const used = new Set<string>();
    for (const id of await storedIds()) for (const l of (await readStored(id))?.layers ?? []) used.add(hexOf(l));
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
