/**
 * minictr load: images from an archive that `minictr save`, `docker save` or `podman save` wrote:
 * an OCI image layout (oci-layout + index.json + blobs/, skopeo's oci-archive) or a
 * docker-archive (manifest.json + a config and a layer tar per image). An archive holding both
 * (minictr save, docker save since 25) is read as the OCI layout: its blobs are named by digest.
 *
 * The same safety as import, before anything is stored:
 *  1. the archive itself: every header through tar-check.ts's checker (no absolute path, no
 *     "..", no write through a symlink, hardlinks to earlier files), a symlink must point
 *     inside the archive, no devices or fifos; regular files are copied to a temp dir under
 *     numbered names (never under their own), hashed as they are copied;
 *  2. the documents: sizes bounded, blobs checked against their digests, the config's diff_ids
 *     against each layer's uncompressed digest;
 *  3. each layer: prepareLayer (tar-check.ts + GNU tar, as pull), into temp dirs;
 * and only then the images are committed to the store. Any failure: one line, nothing stored.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { MinictrError, UsageError } from '../errors.js';
import { silent, type Explainer } from '../util/explain.js';
import { makeTempDir, sweepStaleTemp } from './files.js';
import { layerSize } from './commit.js';
import { UnpackBudget, UnpackLimitError, unpackLimits } from './limits.js';
import { DigestMismatchError, prepareLayer } from './layer.js';
import { formatPlatform, hostPlatform, ManifestError, MEDIA, parseManifest, selectPlatform, type Descriptor, type ImageIndex } from './manifest.js';
import { historyOf, imageConfigOf, parseConfig } from './pull.js';
import { parseReference, tagKey } from './reference.js';
import { commitImage, layerExists, type ImageRecord, type PreparedLayer } from './store.js';
import { CorruptTarError, TarEntryChecker, UnsafeTarError } from './tar-check.js';
import { digestMeter } from './meter.js';

export interface LoadOptions {
  /** the archive; undefined: stdin (not a terminal) */
  input?: string;
  output?: { write(s: string): unknown };
  explain?: Explainer;
}

const DOC_MAX = 4 * 1024 * 1024; // manifest.json, index.json, a manifest
const CONFIG_MAX = 16 * 1024 * 1024;
const ENTRIES_MAX = 100_000;

interface Member {
  file: string;
  size: number;
  digest: string;
}

/** The archive's regular files by normalized path, and its links (path -> path they stand for). */
interface Unpacked {
  files: Map<string, Member>;
  links: Map<string, string>;
}

function norm(name: string): string {
  return name.split('/').filter((p) => p !== '' && p !== '.').join('/');
}

/** Step 1: read the outer archive into `dir`, refusing anything that could escape. */
async function unpack(input: Readable, dir: string, display: string, budget: UnpackBudget): Promise<Unpacked> {
  const checker = new TarEntryChecker();
  const files = new Map<string, Member>();
  const links = new Map<string, string>();
  let n = 0;
  let unsafe: Error | undefined;
  const extract = tarStream.extract();
  extract.on('entry', (header, body, next) => {
    body.on('error', () => undefined);
    const fail = (err: Error): void => {
      unsafe ??= err;
      extract.destroy(err);
    };
    try {
      checker.check(header as Parameters<TarEntryChecker['check']>[0]);
      if (++n > ENTRIES_MAX) throw new UnsafeTarError(`more than ${ENTRIES_MAX} entries`);
      budget.addEntry(Buffer.byteLength(header.name));
      budget.addBytes(header.size ?? 0); // the copy made of it: bounded as an import's files are
      const name = norm(header.name);
      if (header.type === 'symlink' || header.type === 'link') {
        const target = header.linkname ?? '';
        const resolved = header.type === 'link' ? norm(target) : norm(posix.normalize(posix.join(posix.dirname(name), target)));
        if (header.type === 'symlink' && (target.startsWith('/') || resolved.startsWith('../') || resolved === '..')) {
          throw new UnsafeTarError(`symlink ${JSON.stringify(header.name)} -> ${JSON.stringify(target)} points outside the archive`);
        }
        links.set(name, resolved);
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        const file = join(dir, `m${n}`);
        const meter = digestMeter();
        pipeline(body, meter.stream, createWriteStream(file, { mode: 0o600 })).then(
          () => {
            files.set(name, { file, size: meter.size, digest: meter.digest() });
            next();
          },
          (err: Error) => fail(err),
        );
        return;
      } else if (header.type !== 'directory') {
        throw new UnsafeTarError(`${JSON.stringify(header.name)} is a ${header.type ?? 'special file'}: an image archive holds only files, directories and links`);
      }
    } catch (err) {
      fail(err as Error);
      return;
    }
    body.on('end', () => next());
    body.resume();
  });
  try {
    await pipeline(input, extract);
  } catch (err) {
    if (unsafe instanceof UnsafeTarError) throw new UnsafeTarError(`refusing to load ${display}: ${unsafe.message}`);
    if (unsafe instanceof UnpackLimitError) throw unsafe.about(display, 'nothing was loaded');
    if (unsafe) throw unsafe;
    throw new CorruptTarError(`${display} is not a valid image archive: ${(err as Error).message}`);
  }
  if (n === 0) throw new CorruptTarError(`${display} is not a valid image archive: it has no entries`);
  return { files, links };
}

class Archive {
  constructor(
    private readonly u: Unpacked,
    private readonly display: string,
  ) {}

  has(path: string): boolean {
    return this.member(path) !== undefined;
  }

  /** The regular file at path, following the archive's own links (a few hops at most). */
  member(path: string): Member | undefined {
    let p = norm(path);
    for (let hops = 0; hops < 16; hops++) {
      const f = this.u.files.get(p);
      if (f) return f;
      const l = this.u.links.get(p);
      if (l === undefined) return undefined;
      p = l;
    }
    return undefined;
  }

  need(path: string, what: string): Member {
    const m = this.member(path);
    if (!m) throw new ManifestError(`${this.display}: ${what} ${JSON.stringify(path)} is not in the archive`);
    return m;
  }

  async json<T>(path: string, what: string, max = DOC_MAX): Promise<{ value: T; bytes: Buffer; member: Member }> {
    const m = this.need(path, what);
    if (m.size > max) throw new ManifestError(`${this.display}: ${what} is ${m.size} bytes, more than the ${max} allowed`);
    const bytes = await readFile(m.file);
    try {
      return { value: JSON.parse(bytes.toString('utf8')) as T, bytes, member: m };
    } catch {
      throw new ManifestError(`${this.display}: ${what} is not valid JSON`);
    }
  }

  /** A blob of an OCI layout, checked against its descriptor. */
  blob(d: Descriptor, what: string): Member {
    if (!/^sha256:[0-9a-f]{64}$/.test(d.digest)) throw new ManifestError(`${this.display}: ${what} has an invalid digest ${JSON.stringify(d.digest)}`);
    const m = this.need(`blobs/sha256/${d.digest.slice(7)}`, what);
    if (m.digest !== d.digest) throw new DigestMismatchError(`refusing to load ${this.display}: ${what} ${d.digest.slice(7, 19)} has digest ${m.digest}`);
    if (typeof d.size === 'number' && m.size !== d.size) throw new DigestMismatchError(`refusing to load ${this.display}: ${what} ${d.digest.slice(7, 19)} is ${m.size} bytes, its descriptor says ${d.size}`);
    return m;
  }
}

/** An image found in the archive, before its layers are checked. */
interface Found {
  config: Buffer;
  format: 'oci' | 'docker';
  /** digest: the file's sha256 (an OCI blob: checked against its descriptor already) */
  layerFiles: { file: string; display: string; digest: string; verified: boolean }[];
  tags: string[];
}

function tagOf(name: string | undefined | null): string | undefined {
  if (!name) return undefined;
  try {
    const p = parseReference(name);
    return p.digest ? undefined : tagKey(p);
  } catch {
    return undefined; // e.g. a bare tag ("latest") in an OCI layout: no name to give it
  }
}

async function readOci(a: Archive, display: string): Promise<Found[]> {
  const { value: index } = await a.json<ImageIndex & { manifests?: (Descriptor & { annotations?: Record<string, string> })[] }>('index.json', 'index.json');
  if (!Array.isArray(index.manifests)) throw new ManifestError(`${display}: index.json lists no manifests`);
  const out: Found[] = [];
  const byManifest = new Map<string, Found>();
  for (const top of index.manifests) {
    const name = top.annotations?.['io.containerd.image.name'] ?? top.annotations?.['org.opencontainers.image.ref.name'];
    let desc: Descriptor = top;
    if (top.mediaType === MEDIA.ociIndex || top.mediaType === MEDIA.dockerList) {
      const m = a.blob(top, 'image index');
      if (m.size > DOC_MAX) throw new ManifestError(`${display}: an image index is too big`);
      const inner = parseManifest(await readFile(m.file), top.mediaType);
      if (inner.kind !== 'index') throw new ManifestError(`${display}: ${top.digest} is not an index`);
      desc = selectPlatform(inner, hostPlatform());
    }
    const mm = a.blob(desc, 'manifest');
    if (mm.size > DOC_MAX) throw new ManifestError(`${display}: a manifest is too big`);
    const manifest = parseManifest(await readFile(mm.file), desc.mediaType);
    if (manifest.kind !== 'manifest') throw new ManifestError(`${display}: ${desc.digest} is an index inside an index`);
    const cm = a.blob(manifest.config, 'image config');
    if (cm.size > CONFIG_MAX) throw new ManifestError(`${display}: the image config is too big`);
    const tag = tagOf(name);
    const seen = byManifest.get(desc.digest);
    if (seen) {
      if (tag && !seen.tags.includes(tag)) seen.tags.push(tag);
      continue;
    }
    const f: Found = {
      config: await readFile(cm.file),
      format: manifest.mediaType === MEDIA.dockerManifest ? 'docker' : 'oci',
      layerFiles: manifest.layers.map((l, i) => ({ ...a.blob(l, `layer ${i + 1}`), display: `layer ${l.digest.slice(7, 19)}`, verified: true })),
      tags: tag ? [tag] : [],
    };
    byManifest.set(desc.digest, f);
    out.push(f);
  }
  return out;
}

interface DockerArchiveEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

async function readDocker(a: Archive, display: string): Promise<Found[]> {
  const { value } = await a.json<DockerArchiveEntry[]>('manifest.json', 'manifest.json');
  if (!Array.isArray(value) || value.length === 0) throw new ManifestError(`${display}: manifest.json lists no images`);
  const out: Found[] = [];
  for (const e of value) {
    if (typeof e.Config !== 'string' || !Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === 'string')) {
      throw new ManifestError(`${display}: manifest.json: every image needs Config and Layers`);
    }
    const { bytes, member } = await a.json<unknown>(e.Config, 'image config', CONFIG_MAX);
    // a config named by its digest (<hex>.json, blobs/sha256/<hex>) must have that digest
    const named = /(?:^|\/)([0-9a-f]{64})(?:\.json)?$/.exec(e.Config)?.[1];
    if (named && member.digest !== `sha256:${named}`) {
      throw new DigestMismatchError(`refusing to load ${display}: the image config ${named.slice(0, 12)} has digest ${member.digest}`);
    }
    const tags = (Array.isArray(e.RepoTags) ? e.RepoTags : []).map((t) => tagOf(typeof t === 'string' ? t : undefined)).filter((t): t is string => t !== undefined);
    out.push({ config: bytes, format: 'docker', layerFiles: (e.Layers as string[]).map((l) => ({ ...a.need(l, 'layer'), display: `layer ${l}`, verified: false })), tags });
  }
  return out;
}

export async function loadArchive(opts: LoadOptions = {}): Promise<ImageRecord[]> {
  const explain = opts.explain ?? silent;
  const out = opts.output ?? process.stdout;
  if (opts.input === undefined && process.stdin.isTTY) throw new UsageError('refusing to read an archive from a terminal: use -i FILE or redirect the input');
  const display = opts.input ?? 'the archive on stdin';
  await sweepStaleTemp();
  const scratch = await makeTempDir('load');
  const temps: string[] = [];
  try {
    explain.step(`read ${display}: check every entry (as import does) and copy its files aside, hashing them`, `tar -tvf ${opts.input ?? '-'} && tar -xf ${opts.input ?? '-'} -C ${scratch}`);
    const input = opts.input ? createReadStream(opts.input) : process.stdin;
    const limits = await unpackLimits();
    explain.note(`the archive, and then its layers, may unpack to at most ${limits.maxBytes} bytes (${limits.bytesSource}) and ${limits.maxEntries} entries`);
    const a = new Archive(await unpack(input, scratch, display, new UnpackBudget(limits)), display);
    const budget = new UnpackBudget(limits);
    const oci = a.has('index.json') && a.has('oci-layout');
    if (!oci && !a.has('manifest.json')) throw new ManifestError(`${display} is neither an OCI image layout (index.json) nor a docker-archive (manifest.json)`);
    explain.note(`${display} is ${oci ? 'an OCI image layout' : 'a docker-archive'}`);
    const found = oci ? await readOci(a, display) : await readDocker(a, display);
    if (!found.length) throw new ManifestError(`${display} holds no image`);

    // every layer of every image checked and extracted before anything is committed
    const images: { layers: PreparedLayer[]; found: Found; config: ReturnType<typeof parseConfig> }[] = [];
    const prepared = new Map<string, PreparedLayer>();
    for (const f of found) {
      let config;
      try {
        config = parseConfig(f.config, f.layerFiles.length);
      } catch (err) {
        throw new ManifestError(`${display}: ${(err as Error).message}`);
      }
      const diffIds = config.rootfs!.diff_ids!;
      const layers: PreparedLayer[] = [];
      for (const [i, lf] of f.layerFiles.entries()) {
        const diffId = diffIds[i]!;
        let p = prepared.get(diffId);
        if (!p) {
          // a layer already stored is not extracted again, once the archive's copy is known to be
          // it: an OCI blob checked against its manifest, or a plain tar whose sha256 is the diff_id
          if (layerExists(diffId) && (lf.verified || lf.digest === diffId)) p = { digest: diffId, size: await layerSize(diffId) };
          else {
            explain.step(`${lf.display}: check it and extract it; its uncompressed sha256 must be the config's diff_id ${diffId.slice(7, 19)}`, `tar -xf ${lf.file} -C <temp>/diff`);
            try {
              const l = await prepareLayer(lf.file, { diffId, display: lf.display, budget, explain });
              temps.push(l.dir);
              p = l;
            } catch (err) {
              if (err instanceof UnpackLimitError) throw err.about(display, 'nothing was loaded');
              if (err instanceof UnsafeTarError || err instanceof DigestMismatchError || err instanceof CorruptTarError) throw new MinictrError(`refusing to load ${display}: ${err.message.replace(/^refusing /, '')}`);
              throw err;
            }
          }
          prepared.set(diffId, p);
        }
        layers.push(p);
      }
      images.push({ layers, found: f, config });
    }

    const result: ImageRecord[] = [];
    for (const { layers, found: f, config } of images) {
      const platform = config.architecture ? formatPlatform({ os: config.os ?? 'linux', architecture: config.architecture, variant: config.variant }) : undefined;
      const meta = { history: historyOf(config), platform, manifestFormat: f.format };
      const [first, ...rest] = f.tags;
      let img = await commitImage(first, layers.map((l) => ({ ...l, dir: layerExists(l.digest) ? undefined : l.dir })), imageConfigOf(config), meta);
      for (const t of rest) img = await commitImage(t, layers.map((l) => ({ digest: l.digest, size: l.size })), imageConfigOf(config), meta);
      if (f.tags.length) for (const t of f.tags) out.write(`Loaded image: ${t}\n`);
      else out.write(`Loaded image ID: sha256:${img.id}\n`);
      result.push(img);
    }
    return result;
  } finally {
    await rm(scratch, { recursive: true, force: true });
    for (const t of temps) await rm(t, { recursive: true, force: true });
  }
}
