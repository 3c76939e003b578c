/**
 * The documents an image leaves the machine as (the other direction of manifest.ts): its
 * config blob, its manifest (OCI or Docker v2 schema 2), an OCI image layout's index.json, and
 * docker-archive's manifest.json and repositories. Pure: bytes in, bytes out; every document
 * is serialized with a fixed key order, so the same image always gives the same digests.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { hostPlatform, MEDIA, parsePlatform, type Descriptor, type Platform } from './manifest.js';
import { parseReference } from './reference.js';
import { canonicalConfig, type ImageRecord } from './store.js';

export type ManifestFormat = 'oci' | 'docker';

/** The image config's media type, and its layers' by compression, per manifest format. */
export const FORMAT_MEDIA: Record<ManifestFormat, { manifest: string; config: string; tar: string; gzip: string }> = {
  oci: { manifest: MEDIA.ociManifest, config: MEDIA.ociConfig, tar: 'application/vnd.oci.image.layer.v1.tar', gzip: 'application/vnd.oci.image.layer.v1.tar+gzip' },
  docker: { manifest: MEDIA.dockerManifest, config: MEDIA.dockerConfig, tar: 'application/vnd.docker.image.rootfs.diff.tar', gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip' },
};

/** "oci", "docker", and the names skopeo and podman use (v2s2). */
export function parseFormat(text: string): ManifestFormat {
  const t = text.toLowerCase();
  if (t === 'oci') return 'oci';
  if (t === 'docker' || t === 'v2s2') return 'docker';
  throw new UsageError(`unknown manifest format ${JSON.stringify(text)}: use oci or docker (v2s2)`);
}

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

function blob(mediaType: string, value: unknown): Blob {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, descriptor: { mediaType, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length } };
}

/** The image's platform: as pulled, else this machine's. */
export function imagePlatform(img: ImageRecord): Platform {
  if (img.platform) {
    try {
      return parsePlatform(img.platform);
    } catch {
      /* a record from elsewhere: this machine's */
    }
  }
  return hostPlatform();
}

/**
 * The history the config carries: the record's, when its steps that made layers match the
 * layers one to one (the image spec wants that), else one step per layer.
 */
function historyFor(img: ImageRecord): Record<string, unknown>[] {
  const steps = img.history ?? [];
  const usable = steps.length > 0 && steps.filter((s) => !s.emptyLayer).length === img.layers.length;
  const list = usable ? steps : img.layers.map(() => ({ created: img.created }));
  return list.map((s) => {
    const h: Record<string, unknown> = {};
    if (s.created) h.created = s.created;
    if ('createdBy' in s && s.createdBy) h.created_by = s.createdBy;
    if ('comment' in s && s.comment) h.comment = s.comment;
    if ('emptyLayer' in s && s.emptyLayer) h.empty_layer = true;
    return h;
  });
}

/** The image config blob (OCI image-spec config.json, which Docker's is too). */
export function configBlob(img: ImageRecord, diffIds: string[], format: ManifestFormat): Blob {
  const p = imagePlatform(img);
  const doc: Record<string, unknown> = { created: img.created, architecture: p.architecture, os: p.os };
  if (p.variant) doc.variant = p.variant;
  doc.config = canonicalConfig(img.config);
  doc.rootfs = { type: 'layers', diff_ids: diffIds };
  doc.history = historyFor(img);
  return blob(FORMAT_MEDIA[format].config, doc);
}

/** The image manifest: a config and layers, bottom first. */
export function manifestBlob(format: ManifestFormat, config: Descriptor, layers: Descriptor[]): Blob {
  const strip = (d: Descriptor): Descriptor => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });
  return blob(FORMAT_MEDIA[format].manifest, { schemaVersion: 2, mediaType: FORMAT_MEDIA[format].manifest, config: strip(config), layers: layers.map(strip) });
}

/** "busybox:latest" -> "docker.io/library/busybox:latest", as index.json annotations name images. */
export function fullName(key: string): string {
  const ref = parseReference(key);
  return `${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}`;
}

export interface SavedImage {
  /** the image's tags to record ("name:tag" keys); empty for an image saved by ID */
  tags: string[];
  manifest: Descriptor;
  platform: Platform;
  config: Descriptor;
  /** the layer blobs' paths in the archive, bottom first */
  layerPaths: string[];
}

/** blobs/sha256/<hex>: where a blob lives in an OCI image layout. */
export function blobPath(digest: string): string {
  return `blobs/sha256/${digest.slice(7)}`;
}

/**
 * index.json of an OCI image layout: one entry per tag (an image saved by ID gets one without a
 * name). The name is the full reference in both annotations, as podman writes
 * org.opencontainers.image.ref.name and containerd reads io.containerd.image.name.
 */
export function ociIndex(images: SavedImage[]): Buffer {
  const manifests: Record<string, unknown>[] = [];
  for (const img of images) {
    const base = { mediaType: img.manifest.mediaType, digest: img.manifest.digest, size: img.manifest.size };
    const platform = { architecture: img.platform.architecture, os: img.platform.os, ...(img.platform.variant ? { variant: img.platform.variant } : {}) };
    if (!img.tags.length) manifests.push({ ...base, platform });
    for (const t of img.tags) {
      const name = fullName(t);
      manifests.push({ ...base, platform, annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name } });
    }
  }
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }));
}

/** docker-archive's manifest.json: per image its config, tags and layer files (here: the OCI blobs). */
export function dockerManifest(images: SavedImage[]): Buffer {
  return Buffer.from(JSON.stringify(images.map((i) => ({ Config: blobPath(i.config.digest), RepoTags: i.tags.length ? i.tags : null, Layers: i.layerPaths }))));
}

/** docker-archive's legacy `repositories`: name -> tag -> top layer. */
export function dockerRepositories(images: SavedImage[]): Buffer {
  const repos: Record<string, Record<string, string>> = {};
  for (const img of images) {
    const top = img.layerPaths[img.layerPaths.length - 1];
    if (!top) continue;
    for (const t of img.tags) {
      const colon = t.lastIndexOf(':');
      (repos[t.slice(0, colon)] ??= {})[t.slice(colon + 1)] = top.slice(top.lastIndexOf('/') + 1);
    }
  }
  return Buffer.from(JSON.stringify(repos));
}

export const OCI_LAYOUT = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));
