/**
 * minictr push: a stored image to a registry over the v2 API, as `docker push` does it.
 *
 *  1. each layer, bottom first: a gzip blob the registry already has (HEAD; or a mount from
 *     another repository it is known to be in) is not sent again; else the layer's tar
 *     (layer-tar.ts: the very tar it was stored from) is gzip'd to a temp file and uploaded,
 *     in one PUT up to the chunk size, else in PATCH chunks, then a PUT with its digest;
 *  2. the image config (its rootfs.diff_ids are the layers' uncompressed digests);
 *  3. the manifest (Docker v2 schema 2 or OCI) under the tag: last, so a push that fails
 *     leaves the tag in the registry as it was.
 * One line per layer says what happened to it: pushed (size, time), mounted, or exists.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { silent, type Explainer } from '../util/explain.js';
import { humanSize } from '../util/format.js';
import { credentialsFor } from './auth.js';
import { makeTempDir, sweepStaleTemp } from './files.js';
import { knownBlobs, rememberBlob, type BlobForm } from './blob-cache.js';
import { gzipLayer, layerSource } from './layer-tar.js';
import { configBlob, FORMAT_MEDIA, manifestBlob, type ManifestFormat } from './manifest-build.js';
import type { Descriptor } from './manifest.js';
import { DEFAULT_TAG, parseReference } from './reference.js';
import { RegistryClient } from './registry.js';
import { resolveImage } from './resolve.js';

/** Layers bigger than this go up in chunks of this size (PATCH), unless told otherwise. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

export interface PushOptions {
  insecure?: boolean;
  /** the manifest's format: docker (v2 schema 2) or oci; default: what the image came as, else docker */
  format?: ManifestFormat;
  /** bytes per PATCH for bigger layers; 0: every layer in one request */
  chunkSize?: number;
  output?: { write(s: string): unknown };
  explain?: Explainer;
}

export interface PushResult {
  digest: string;
  size: number;
  /** per layer: "pushed", "mounted" or "exists" */
  layers: ('pushed' | 'mounted' | 'exists')[];
}

/** "8m", "512k", "1048576" -> bytes. */
export function parseSize(text: string): number {
  const m = /^([0-9]+)([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid size ${JSON.stringify(text)}: expected a number of bytes, or with k, m or g`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export async function pushImage(ref: string, opts: PushOptions = {}): Promise<PushResult> {
  const parsed = parseReference(ref);
  const explain = opts.explain ?? silent;
  const out = opts.output ?? process.stdout;
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const tag = parsed.tag ?? DEFAULT_TAG;
  if (parsed.digest) throw new UsageError(`push ${ref}: push a tag, not a digest`);
  const img = await resolveImage(parsed.tag ? ref : `${parsed.name}:${tag}`);
  const format = opts.format ?? img.manifestFormat ?? 'docker';
  explain.note(`manifest format: ${format === 'oci' ? 'OCI' : 'Docker v2 schema 2'} (${opts.format ? '--format' : img.manifestFormat ? 'as the image was pulled or loaded' : 'the default'})`);
  const credentials = await credentialsFor(parsed.registry);
  if (credentials) explain.note(`using the login of ${credentials.username} for ${parsed.registry} (from minictr login)`);
  const client = new RegistryClient(parsed.registry, parsed.repository, { insecure: opts.insecure, explain, credentials, push: true });
  const here = `${parsed.registry}/${parsed.repository}`;
  out.write(`The push refers to repository [${here}]\n`);
  await client.ping();

  await sweepStaleTemp();
  const scratch = await makeTempDir('push');
  try {
    const diffIds: string[] = [];
    const descs: Descriptor[] = [];
    const states: PushResult['layers'] = [];
    for (const digest of img.layers) {
      const short = digest.slice(7, 19);
      const t0 = Date.now();
      // a compressed form the registry already has: nothing to send, nothing to compress
      let found: { form: BlobForm; how: 'exists' | 'mounted' } | undefined;
      for (const form of await knownBlobs(digest)) {
        if (await client.blobExists(form.digest)) found = { form, how: 'exists' };
        else if (form.from && form.from !== here && form.from.startsWith(`${parsed.registry}/`)) {
          if (await client.mountBlob(form.digest, form.from.slice(parsed.registry.length + 1))) found = { form, how: 'mounted' };
        }
        if (found) break;
      }
      if (found) {
        diffIds.push(digest);
        descs.push({ mediaType: FORMAT_MEDIA[format].gzip, digest: found.form.digest, size: found.form.size });
        states.push(found.how);
        await rememberBlob(digest, { digest: found.form.digest, size: found.form.size, from: here });
        out.write(`${short}: ${found.how === 'exists' ? 'Layer already exists' : `Mounted from ${found.form.from}`} (${humanSize(found.form.size)}, ${seconds(Date.now() - t0)})\n`);
        continue;
      }
      const src = await layerSource(digest, scratch, explain);
      const file = join(scratch, `${digest.slice(7)}.tar.gz`);
      explain.step(`layer ${short}: gzip its tar (${src.size} bytes) and hash the result: the blob's digest`, `gzip -c layer.tar > ${file} && sha256sum ${file}`);
      const gz = await gzipLayer(src, file);
      diffIds.push(src.diffId);
      descs.push({ mediaType: FORMAT_MEDIA[format].gzip, digest: gz.digest, size: gz.size });
      if (await client.blobExists(gz.digest)) {
        states.push('exists');
        out.write(`${short}: Layer already exists (${humanSize(gz.size)}, ${seconds(Date.now() - t0)})\n`);
      } else {
        const chunked = chunkSize > 0 && gz.size > chunkSize;
        await client.uploadBlob(file, gz.digest, gz.size, chunked ? chunkSize : 0, `layer ${short}`, () => undefined);
        states.push('pushed');
        const how = chunked ? `, ${Math.ceil(gz.size / chunkSize)} chunks` : '';
        out.write(`${short}: Pushed ${humanSize(gz.size)} in ${seconds(Date.now() - t0)}${how}\n`);
      }
      await rm(file, { force: true });
      if (!src.remade) await rememberBlob(digest, { digest: gz.digest, size: gz.size, from: here });
    }
    const config = configBlob(img, diffIds, format);
    if (!(await client.blobExists(config.descriptor.digest))) await client.putBlob(config.bytes, config.descriptor.digest, 'the image config');
    const manifest = manifestBlob(format, config.descriptor, descs);
    const digest = await client.putManifest(tag, manifest.bytes, manifest.descriptor.mediaType);
    out.write(`${tag}: digest: ${digest} size: ${manifest.bytes.length}\n`);
    return { digest, size: manifest.bytes.length, layers: states };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
