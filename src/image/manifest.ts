/**
 * Image manifests, as the OCI image spec and Docker's "Image Manifest V2, Schema 2" define
 * them, and the choice of one platform in an index (a multi-arch image).
 *
 *   index / manifest list  -> one manifest per platform (linux/amd64, linux/arm64, ...)
 *   manifest               -> a config blob (Env, Cmd, diff_ids...) and layer blobs, bottom first
 *
 * Everything here parses bytes already fetched and checked against their digest; anything we
 * do not understand is refused with a message naming it, before any layer is downloaded.
 */
import { MinictrError } from '../errors.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** What a pull asks the registry for, most preferred first. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');

/** Layer media types we can apply; the compression itself is detected from the bytes. */
const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd',
  // Windows base layers and other "foreign" layers are still tarballs, when a registry has them
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

export class ManifestError extends MinictrError {}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

/** The image config blob: the parts minictr uses. */
export interface OciImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  config?: { Env?: string[] | null; Entrypoint?: string[] | null; Cmd?: string[] | null; WorkingDir?: string; User?: string; Healthcheck?: unknown } | null;
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function descriptor(value: unknown, what: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (!d || typeof d !== 'object') throw new ManifestError(`invalid manifest: ${what} is not a descriptor`);
  if (typeof d.digest !== 'string' || !DIGEST.test(d.digest)) {
    // sha512 is allowed by the spec but unused by registries in practice
    throw new ManifestError(`invalid manifest: ${what} has digest ${JSON.stringify(d.digest)} (minictr verifies sha256 digests)`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new ManifestError(`invalid manifest: ${what} has no valid size`);
  }
  if (typeof d.mediaType !== 'string') throw new ManifestError(`invalid manifest: ${what} has no mediaType`);
  return d as Descriptor;
}

/**
 * Parse a manifest or index. The type comes from the document's mediaType, else the
 * response's Content-Type (OCI documents may omit the field).
 */
export function parseManifest(body: Buffer, contentType: string | undefined): ImageManifest | ImageIndex {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ManifestError('invalid manifest: it is not JSON');
  }
  if (!doc || typeof doc !== 'object') throw new ManifestError('invalid manifest: it is not a JSON object');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const header = contentType?.split(';')[0]?.trim();
  const type = declared ?? (header && header !== 'application/json' ? header : undefined) ?? (Array.isArray(doc.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest);

  if (type === MEDIA.dockerSchema1 || type === MEDIA.dockerSchema1Signed || doc.schemaVersion === 1) {
    throw new ManifestError('unsupported manifest type: Docker image manifest schema 1 (deprecated since 2017; push the image again with a current tool)');
  }
  if (type === MEDIA.ociIndex || type === MEDIA.dockerList) {
    if (!Array.isArray(doc.manifests)) throw new ManifestError(`invalid manifest: ${type} without "manifests"`);
    return { kind: 'index', mediaType: type, manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)) };
  }
  if (type === MEDIA.ociManifest || type === MEDIA.dockerManifest) {
    const config = descriptor(doc.config, 'config');
    if (config.mediaType !== MEDIA.ociConfig && config.mediaType !== MEDIA.dockerConfig) {
      throw new ManifestError(`unsupported artifact: config type ${config.mediaType} is not a container image`);
    }
    if (!Array.isArray(doc.layers)) throw new ManifestError('invalid manifest: no "layers"');
    const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`));
    for (const l of layers) {
      if (!LAYER_TYPES.has(l.mediaType)) throw new ManifestError(`unsupported layer type ${l.mediaType} (layer ${l.digest.slice(7, 19)})`);
    }
    return { kind: 'manifest', mediaType: type, config, layers };
  }
  throw new ManifestError(`unsupported manifest type ${JSON.stringify(type)}`);
}

/** The platform this machine runs: Go's GOARCH names, as registries use them. */
export function hostPlatform(): Platform {
  const arch: Record<string, Platform['architecture']> = {
    x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle',
  };
  const p: Platform = { os: 'linux', architecture: arch[process.arch] ?? process.arch };
  if (p.architecture === 'arm') p.variant = `v${(process.config.variables as { arm_version?: string }).arm_version ?? '7'}`;
  return p;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** "linux/arm64", "linux/arm/v7" -> Platform. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, ...more] = text.split('/');
  if (!os || !architecture || more.length) throw new ManifestError(`invalid platform ${JSON.stringify(text)}: expected OS/ARCH[/VARIANT], e.g. linux/arm64`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * The index entry for `want`, as containerd matches: same os and architecture; a wanted
 * variant must match (arm64's "v8" is the default and may be left out).
 */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor {
  const normVariant = (p: Platform | undefined): string | undefined =>
    p?.architecture === 'arm64' && (p.variant === undefined || p.variant === 'v8') ? undefined : p?.variant;
  const images = index.manifests.filter((m) => m.mediaType === MEDIA.ociManifest || m.mediaType === MEDIA.dockerManifest);
  const found = images.find(
    (m) =>
      m.platform?.os === want.os &&
      m.platform.architecture === want.architecture &&
      (want.variant === undefined || normVariant(m.platform) === normVariant(want)),
  );
  if (found) return found;
  const has = images
    .map((m) => (m.platform ? formatPlatform(m.platform) : undefined))
    .filter((p): p is string => p !== undefined && p !== 'unknown/unknown');
  throw new ManifestError(
    `no image for ${formatPlatform(want)} in the index (it has ${has.length ? [...new Set(has)].join(', ') : 'no platform images'})`,
  );
}
