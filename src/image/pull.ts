/**
 * `minictr pull NAME[:TAG|@sha256:DIGEST]`: fetch an image from a registry into the store.
 *
 *   1. the manifest (by tag or digest); an index is resolved to this machine's platform;
 *   2. the config blob: Env, Entrypoint, Cmd, WorkingDir, User, and the layers' diff_ids;
 *   3. each layer not stored yet: download (sha256 checked against the manifest), check and
 *      extract (sha256 of the uncompressed tar checked against the diff_id), turn its OCI
 *      whiteouts into overlay whiteouts; downloads run a few at a time;
 *   4. commit: layers move into layers/<diff_id> (shared with every image that has them) and
 *      the image and its tag are written, under the store lock.
 *
 * Until step 4 everything lives in owned temp dirs, so a refused or interrupted pull leaves the
 * store as it was; a killed one leaves temp dirs that the next command or `system prune` removes.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MinictrError } from '../errors.js';
import { silent, type Explainer } from '../util/explain.js';
import { credentialsFor } from './auth.js';
import { rememberBlob } from './blob-cache.js';
import { makeTempDir, sweepStaleTemp } from './files.js';
import { humanSize } from '../util/format.js';
import { formatBytes } from '../util/size.js';
import { DigestMismatchError, prepareLayer } from './layer.js';
import { checkLayerCount, UnpackBudget, UnpackLimitError, unpackLimits } from './limits.js';
import {
  formatPlatform,
  hostPlatform,
  ManifestError,
  MEDIA,
  parseManifest,
  parsePlatform,
  selectPlatform,
  type Descriptor,
  type ImageManifest,
  type OciImageConfig,
  type Platform,
} from './manifest.js';
import { PullProgress, type ProgressOutput } from './progress.js';
import { DEFAULT_TAG, parseReference, tagKey, type ImageReference } from './reference.js';
import { RegistryClient } from './registry.js';
import {
  canonicalConfig,
  commitImage,
  imageIdFor,
  layerDir,
  layerExists,
  listImages,
  type HealthConfig,
  type HistoryEntry,
  type ImageConfig,
  type ImageRecord,
  type PreparedLayer,
} from './store.js';

export interface PullOptions {
  /** Progress and status lines (default stdout; run passes stderr). */
  output?: ProgressOutput;
  /** Allow plain HTTP to the registry (loopback registries are always allowed). */
  insecure?: boolean;
  /** OS/ARCH[/VARIANT] to pick from an index; default this machine's. */
  platform?: string;
  /** Only print the final reference. */
  quiet?: boolean;
  explain?: Explainer;
  /** --max-size: the most bytes the image's new layers may unpack to (default: limits.ts) */
  maxSize?: string;
}

export interface PullResult {
  image: ImageRecord;
  /** The manifest digest ("sha256:..."), as `docker pull` prints it. */
  digest: string;
  /** The full reference, e.g. docker.io/library/ubuntu:latest */
  reference: string;
  upToDate: boolean;
}

const DOWNLOADS_AT_ONCE = 3;
const EXTRACTIONS_AT_ONCE = 2;

/** A tiny semaphore: run at most n of these at once. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

function fullReference(ref: ImageReference): string {
  const name = `${ref.registry}/${ref.repository}`;
  return ref.digest ? `${name}@${ref.digest}` : `${name}:${ref.tag ?? DEFAULT_TAG}`;
}

/** The manifest for this machine: an index is resolved to one platform's manifest. */
async function resolveManifest(
  client: RegistryClient,
  reference: string,
  platform: Platform,
  explain: Explainer,
): Promise<{ manifest: ImageManifest; digest: string; platformChosen?: string }> {
  const top = await client.getManifest(reference);
  const parsed = parseManifest(top.body, top.contentType);
  if (parsed.kind === 'manifest') return { manifest: parsed, digest: top.digest };
  const chosen = selectPlatform(parsed, platform);
  explain.note(`${parsed.mediaType.includes('oci') ? 'OCI image index' : 'manifest list'} with ${parsed.manifests.length} entries: ${formatPlatform(platform)} is ${chosen.digest}`);
  const inner = await client.getManifest(chosen.digest);
  const manifest = parseManifest(inner.body, inner.contentType);
  if (manifest.kind !== 'manifest') throw new ManifestError(`the index entry for ${formatPlatform(platform)} is itself an index`);
  // NAME@DIGEST names the index: that is what `docker pull` reports and records
  return { manifest, digest: top.digest, platformChosen: formatPlatform(platform) };
}

export function parseConfig(body: Buffer, layers: number): OciImageConfig {
  let config: OciImageConfig;
  try {
    config = JSON.parse(body.toString('utf8')) as OciImageConfig;
  } catch {
    throw new ManifestError('invalid image config: it is not JSON');
  }
  const ids = config.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.length !== layers || !ids.every((d) => typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d))) {
    throw new ManifestError(`invalid image config: rootfs.diff_ids must list one sha256 digest per layer (${layers})`);
  }
  if (config.os && config.os !== 'linux') throw new ManifestError(`the image is for ${config.os}, not linux`);
  return config;
}

export function imageConfigOf(c: OciImageConfig): ImageConfig {
  const cfg = c.config ?? {};
  return canonicalConfig({
    Env: cfg.Env ?? undefined,
    Entrypoint: cfg.Entrypoint ?? undefined,
    Cmd: cfg.Cmd ?? undefined,
    WorkingDir: cfg.WorkingDir || undefined,
    User: cfg.User || undefined,
    Healthcheck: healthcheckOf(cfg.Healthcheck),
  });
}

/** The config's Healthcheck (Docker's HEALTHCHECK; not in the OCI spec, kept when well formed). */
function healthcheckOf(h: unknown): HealthConfig | undefined {
  if (typeof h !== 'object' || h === null) return undefined;
  const r = h as Record<string, unknown>;
  if (!Array.isArray(r.Test) || !r.Test.length || !r.Test.every((t) => typeof t === 'string')) return undefined;
  const out: HealthConfig = { Test: r.Test as string[] };
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const) {
    const v = r[k];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) out[k] = v;
  }
  return out;
}

export function historyOf(c: OciImageConfig): HistoryEntry[] {
  return (c.history ?? []).map((h) => {
    const e: HistoryEntry = {};
    if (h.created) e.created = h.created;
    if (h.created_by) e.createdBy = h.created_by;
    if (h.comment) e.comment = h.comment;
    if (h.empty_layer) e.emptyLayer = true;
    return e;
  });
}

/**
 * Pull an image into the store and tag it (a pull by digest stores it untagged, found by
 * NAME@DIGEST). Throws UsageError for a bad reference, RegistryError / NotFoundError /
 * ManifestError / DigestMismatchError for what the registry sent; nothing is stored then.
 */
export async function pullImage(ref: string, opts: PullOptions = {}): Promise<PullResult> {
  const parsed = parseReference(ref);
  const explain = opts.explain ?? silent;
  const out: ProgressOutput = opts.quiet ? { write: () => true } : (opts.output ?? process.stdout);
  const progress = new PullProgress(out);
  const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  const reference = parsed.digest ?? parsed.tag ?? DEFAULT_TAG;
  const key = parsed.digest ? undefined : tagKey(parsed);
  const budget = new UnpackBudget(await unpackLimits(opts.maxSize));
  if (!parsed.digest && !parsed.tag) out.write(`Using default tag: ${DEFAULT_TAG}\n`);

  const abort = new AbortController();
  const credentials = await credentialsFor(parsed.registry);
  const client = new RegistryClient(parsed.registry, parsed.repository, { insecure: opts.insecure, explain, signal: abort.signal, credentials });
  const { manifest, digest, platformChosen } = await resolveManifest(client, reference, platform, explain);
  checkLayerCount(`image ${ref}`, manifest.layers.length, 'nothing was pulled');
  const config = parseConfig(await client.getBlob(manifest.config, 'image config'), manifest.layers.length);
  const diffIds = config.rootfs!.diff_ids!;
  const imageConfig = imageConfigOf(config);
  const actual = config.architecture ? { os: config.os ?? 'linux', architecture: config.architecture, variant: config.variant } : undefined;
  if (!platformChosen && actual && actual.architecture !== platform.architecture) {
    out.write(`WARNING: the image's platform (${formatPlatform(actual)}) does not match ${formatPlatform(platform)}\n`);
  }
  const meta = {
    history: historyOf(config),
    repoDigest: `${parsed.name}@${digest}`,
    platform: actual ? formatPlatform(actual) : platformChosen,
    manifestFormat: manifest.mediaType === MEDIA.ociManifest ? ('oci' as const) : ('docker' as const),
  };

  const id = imageIdFor(diffIds, imageConfig);
  const had = (await listImages()).find((i) => i.id === id);
  const upToDate = Boolean(had && key && had.tags.includes(key) && diffIds.every(layerExists));
  out.write(`${reference}: Pulling from ${parsed.repository}\n`);

  // the compressed blobs are written to disk too: they must fit in the same bound
  const toFetch = new Map(manifest.layers.map((d, i) => [diffIds[i]!, d.size] as const).filter(([id]) => !layerExists(id)));
  const compressed = [...toFetch.values()].reduce((n, size) => n + size, 0);
  if (compressed > budget.limits.maxBytes) {
    throw new MinictrError(`${ref}: its layers to download are ${formatBytes(compressed)} compressed, more than the ${formatBytes(budget.limits.maxBytes)} it may unpack to (${budget.limits.bytesSource}); nothing was pulled`);
  }

  await sweepStaleTemp();
  const temps: string[] = [];
  const prepared = new Map<string, Promise<PreparedLayer>>();
  const download = limiter(DOWNLOADS_AT_ONCE);
  const extract = limiter(EXTRACTIONS_AT_ONCE);
  const fetchLayer = async (desc: Descriptor, diffId: string): Promise<PreparedLayer> => {
    const short = desc.digest.slice(7, 19);
    const blobDir = await makeTempDir('pull');
    temps.push(blobDir);
    const file = join(blobDir, 'blob');
    await download(async () => {
      progress.bytes(short, 'Downloading', 0, desc.size);
      await client.downloadBlob(desc, file, (done) => progress.bytes(short, 'Downloading', done, desc.size));
    });
    progress.status(short, `Download complete (${humanSize(desc.size)})`);
    const layer = await extract(async () => {
      progress.status(short, 'Extracting');
      return prepareLayer(file, { diffId, display: `layer ${short}`, budget, explain });
    });
    temps.push(layer.dir);
    await rm(blobDir, { recursive: true, force: true });
    progress.status(short, 'Pull complete');
    return layer;
  };

  try {
    const tasks = manifest.layers.map((desc, i) => {
      const diffId = diffIds[i]!;
      const short = desc.digest.slice(7, 19);
      if (layerExists(diffId)) {
        progress.status(short, 'Already exists');
        return Promise.resolve<PreparedLayer>({ digest: diffId, size: 0 });
      }
      // the same layer twice in one image (e.g. empty layers) is fetched once
      let task = prepared.get(diffId);
      if (!task) {
        progress.status(short, 'Pulling fs layer');
        task = fetchLayer(desc, diffId);
        prepared.set(diffId, task);
      }
      return task;
    });
    const settled = await Promise.allSettled(tasks.map((t) => t.catch((err: unknown) => {
      abort.abort(); // the first failure stops the other downloads
      throw err;
    })));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      const err = failed.reason as Error;
      if (err instanceof UnpackLimitError) throw err.about(ref, 'nothing was pulled');
      if (err instanceof MinictrError) throw err;
      if (err.name === 'AbortError') throw new MinictrError('pull interrupted');
      throw err;
    }
    const layers = settled.map((s) => (s as PromiseFulfilledResult<PreparedLayer>).value);
    // layers already stored have size 0 above; the store keeps their real size in layer.json
    const sizes = await Promise.all(layers.map(async (l) => (l.size || !layerExists(l.digest) ? l.size : layerSize(l.digest))));
    const image = await commitImage(
      key,
      layers.map((l, i) => ({ ...l, size: sizes[i]! })),
      imageConfig,
      meta,
    );
    // what each gzip layer is in this repository: a push there sends nothing again (blob-cache.ts)
    for (const [i, desc] of manifest.layers.entries()) {
      if (desc.mediaType.endsWith('gzip')) await rememberBlob(diffIds[i]!, { digest: desc.digest, size: desc.size, from: `${parsed.registry}/${parsed.repository}` });
    }
    progress.message(`Digest: ${digest}`);
    progress.message(
      upToDate ? `Status: Image is up to date for ${key}` : `Status: Downloaded newer image for ${key ?? `${parsed.name}@${parsed.digest}`}`,
    );
    const full = fullReference(parsed);
    (opts.quiet ? (opts.output ?? process.stdout) : out).write(`${full}\n`);
    return { image, digest, reference: full, upToDate };
  } finally {
    progress.flush();
    for (const t of temps) await rm(t, { recursive: true, force: true });
  }
}

async function layerSize(digest: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(join(layerDir(digest), 'layer.json'), 'utf8')) as { size: number }).size;
  } catch {
    return 0;
  }
}

export { DigestMismatchError, ManifestError };
