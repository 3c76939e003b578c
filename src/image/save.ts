/**
 * minictr save: images as one tar that is at once
 *
 *   - an OCI image layout (oci-layout, index.json, blobs/sha256/<hex>): skopeo's oci-archive:,
 *     umoci, containerd; and
 *   - a docker-archive: manifest.json (Config, RepoTags, Layers) and repositories, pointing at
 *     the same blobs: `docker load`, `podman load`;
 *
 * as `docker save` has written since Docker 25. Layers are stored uncompressed in the archive
 * (a docker-archive's layers are plain tars, and then a layer blob's digest is its diff_id),
 * each the very tar the layer was stored from (layer-tar.ts), hashed as it is written: a layer
 * whose files no longer give its digest stops the save. Output goes to a temp file renamed over
 * FILE at the end, so a failed save leaves no half archive; without -o, to stdout (not a
 * terminal).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { UsageError } from '../errors.js';
import { silent, type Explainer } from '../util/explain.js';
import { makeTempDir, sweepStaleTemp } from './files.js';
import { layerSource, type LayerSource } from './layer-tar.js';
import {
  blobPath,
  configBlob,
  dockerManifest,
  dockerRepositories,
  FORMAT_MEDIA,
  imagePlatform,
  manifestBlob,
  OCI_LAYOUT,
  ociIndex,
  type SavedImage,
} from './manifest-build.js';
import type { Descriptor } from './manifest.js';
import { parseReference, tagKey } from './reference.js';
import { resolveImage } from './resolve.js';
import type { ImageRecord } from './store.js';

export interface SaveOptions {
  /** the archive's path; undefined: stdout */
  output?: string;
  explain?: Explainer;
}

interface Planned {
  img: ImageRecord;
  tags: string[];
  sources: LayerSource[];
  saved: SavedImage;
  config: Buffer;
  manifest: Buffer;
}

/** The tags to record for a name the user gave: that tag, or none for an image named by ID. */
function tagsFor(ref: string, img: ImageRecord): string[] {
  try {
    const p = parseReference(ref);
    if (!p.digest) {
      const key = tagKey(p);
      if (img.tags.includes(key)) return [key];
    }
  } catch {
    /* an ID */
  }
  return [];
}

const MTIME = new Date(0);

function addBuffer(pack: tarStream.Pack, name: string, data: Buffer): void {
  pack.entry({ name, size: data.length, mode: 0o644, mtime: MTIME, uid: 0, gid: 0 }, data);
}

/** Stream one layer's tar into the archive; rejects when its bytes do not hash to its digest. */
function addLayer(pack: tarStream.Pack, name: string, src: LayerSource): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ name, size: src.size, mode: 0o644, mtime: MTIME, uid: 0, gid: 0 }, (err) => (err ? reject(err) : resolve()));
    pipeline(Readable.from(src.chunks()), entry).catch(reject);
  });
}

export async function saveImages(refs: string[], opts: SaveOptions = {}): Promise<void> {
  const explain = opts.explain ?? silent;
  if (!refs.length) throw new UsageError('save: name at least one image');
  if (opts.output === undefined && process.stdout.isTTY) {
    throw new UsageError('refusing to write an archive to a terminal: use -o FILE or redirect the output');
  }
  await sweepStaleTemp();
  const scratch = await makeTempDir('save');
  const temp = opts.output ? `${opts.output}.tmp-${process.pid}-${randomBytes(4).toString('hex')}` : undefined;
  let ok = false;
  try {
    // what goes in: every image, every layer's source (an old layer may be archived anew)
    const plans: Planned[] = [];
    const sources = new Map<string, LayerSource>();
    for (const ref of refs) {
      const img = await resolveImage(ref);
      const tags = tagsFor(ref, img);
      const srcs: LayerSource[] = [];
      for (const d of img.layers) {
        let s = sources.get(d);
        if (!s) {
          s = await layerSource(d, scratch, explain);
          sources.set(d, s);
        }
        srcs.push(s);
      }
      const config = configBlob(img, srcs.map((s) => s.diffId), 'oci');
      const layers: Descriptor[] = srcs.map((s) => ({ mediaType: FORMAT_MEDIA.oci.tar, digest: s.diffId, size: s.size }));
      const manifest = manifestBlob('oci', config.descriptor, layers);
      const prev = plans.find((p) => p.img.id === img.id);
      if (prev) {
        for (const t of tags) if (!prev.saved.tags.includes(t)) prev.saved.tags.push(t);
        continue;
      }
      plans.push({
        img,
        tags,
        sources: srcs,
        config: config.bytes,
        manifest: manifest.bytes,
        saved: { tags: [...tags], manifest: manifest.descriptor, platform: imagePlatform(img), config: config.descriptor, layerPaths: srcs.map((s) => blobPath(s.diffId)) },
      });
    }
    const saved = plans.map((p) => p.saved);
    explain.step(
      `write one tar that is both an OCI image layout and a docker-archive: ${sources.size} layer(s), uncompressed, each named by its sha256`,
      `tar -c oci-layout index.json manifest.json repositories blobs/sha256/...${opts.output ? ` > ${opts.output}` : ''}`,
    );

    const pack = tarStream.pack();
    const sink: WriteStream | NodeJS.WriteStream = temp ? createWriteStream(temp, { mode: 0o644 }) : process.stdout;
    const written = pipeline(pack, sink, temp ? {} : { end: false });
    const fill = async (): Promise<void> => {
      addBuffer(pack, 'oci-layout', OCI_LAYOUT);
      addBuffer(pack, 'index.json', ociIndex(saved));
      addBuffer(pack, 'manifest.json', dockerManifest(saved));
      addBuffer(pack, 'repositories', dockerRepositories(saved));
      const done = new Set<string>();
      for (const p of plans) {
        for (const [name, data] of [[blobPath(p.saved.config.digest), p.config], [blobPath(p.saved.manifest.digest), p.manifest]] as const) {
          if (done.has(name)) continue;
          done.add(name);
          addBuffer(pack, name, data);
        }
        for (const s of p.sources) {
          const name = blobPath(s.diffId);
          if (done.has(name)) continue;
          done.add(name);
          await addLayer(pack, name, s);
        }
      }
      pack.finalize();
    };
    try {
      await Promise.all([fill(), written]);
    } catch (err) {
      pack.destroy();
      throw err;
    }
    if (temp) await rename(temp, opts.output!);
    ok = true;
  } finally {
    await rm(scratch, { recursive: true, force: true });
    if (!ok && temp) await rm(temp, { force: true });
  }
}
