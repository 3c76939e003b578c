/**
 * The documents an image leaves as (src/image/manifest-build.ts): config, manifest (OCI and
 * Docker v2s2), index.json, docker-archive's manifest.json and repositories. Checked field by
 * field against the image-spec and docker-archive layouts, and for stable digests.
 */
import { describe, expect, it } from 'vitest';
import {
  blobPath,
  configBlob,
  dockerManifest,
  dockerRepositories,
  fullName,
  manifestBlob,
  ociIndex,
  parseFormat,
  type SavedImage,
} from '../../src/image/manifest-build.js';
import type { ImageRecord } from '../../src/image/store.js';

const L1 = `sha256:${'1'.repeat(64)}`;
const L2 = `sha256:${'2'.repeat(64)}`;
const img: ImageRecord = {
  id: 'a'.repeat(64),
  tags: ['app:v1'],
  layers: [L1, L2],
  config: { Env: ['PATH=/bin'], Cmd: ['sh'], WorkingDir: '/w' },
  created: '2024-01-02T03:04:05Z',
  size: 10,
  history: [{ createdBy: 'ADD a' }, { createdBy: 'ENV x', emptyLayer: true }, { createdBy: 'RUN b', comment: 'c' }],
  platform: 'linux/arm64/v8',
};

describe('config and manifest', () => {
  it('the config has the platform, the config, diff_ids in order and the history; same image, same digest', () => {
    const c = configBlob(img, [L1, L2], 'oci');
    const doc = JSON.parse(c.bytes.toString()) as Record<string, unknown>;
    expect(doc).toEqual({
      created: '2024-01-02T03:04:05Z',
      architecture: 'arm64',
      os: 'linux',
      variant: 'v8',
      config: { Env: ['PATH=/bin'], Cmd: ['sh'], WorkingDir: '/w' },
      rootfs: { type: 'layers', diff_ids: [L1, L2] },
      history: [{ created_by: 'ADD a' }, { created_by: 'ENV x', empty_layer: true }, { created_by: 'RUN b', comment: 'c' }],
    });
    expect(c.descriptor.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(configBlob(img, [L1, L2], 'docker').descriptor.mediaType).toBe('application/vnd.docker.container.image.v1+json');
    expect(configBlob({ ...img }, [L1, L2], 'oci').descriptor.digest).toBe(c.descriptor.digest);
  });

  it('a history that does not match the layers becomes one step per layer', () => {
    const doc = JSON.parse(configBlob({ ...img, history: [{ createdBy: 'only one' }] }, [L1, L2], 'oci').bytes.toString()) as { history: unknown[] };
    expect(doc.history).toEqual([{ created: img.created }, { created: img.created }]);
  });

  it('OCI and Docker v2s2 manifests name their media types and carry only descriptor fields', () => {
    const c = configBlob(img, [L1, L2], 'docker');
    const layers = [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: `sha256:${'3'.repeat(64)}`, size: 5, urls: ['x'] } as never];
    const m = JSON.parse(manifestBlob('docker', c.descriptor, layers).bytes.toString()) as Record<string, unknown>;
    expect(m).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: c.descriptor,
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: `sha256:${'3'.repeat(64)}`, size: 5 }],
    });
    expect(manifestBlob('oci', c.descriptor, []).descriptor.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(parseFormat('v2s2')).toBe('docker');
    expect(parseFormat('OCI')).toBe('oci');
    expect(() => parseFormat('v1')).toThrow(/unknown manifest format "v1"/);
  });
});

describe('archive documents', () => {
  const saved: SavedImage[] = [
    { tags: ['app:v1', 'reg.example:5000/team/app:v2'], manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'9'.repeat(64)}`, size: 300 }, platform: { os: 'linux', architecture: 'amd64' }, config: { mediaType: 'x', digest: `sha256:${'c'.repeat(64)}`, size: 9 }, layerPaths: [blobPath(L1), blobPath(L2)] },
    { tags: [], manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'8'.repeat(64)}`, size: 200 }, platform: { os: 'linux', architecture: 'amd64' }, config: { mediaType: 'x', digest: `sha256:${'d'.repeat(64)}`, size: 9 }, layerPaths: [blobPath(L1)] },
  ];

  it('index.json: one entry per tag, named in full in both annotations; an untagged image without a name', () => {
    const idx = JSON.parse(ociIndex(saved).toString()) as { schemaVersion: number; mediaType: string; manifests: { digest: string; annotations?: Record<string, string>; platform: object }[] };
    expect(idx.schemaVersion).toBe(2);
    expect(idx.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(idx.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'])).toEqual(['docker.io/library/app:v1', 'reg.example:5000/team/app:v2', undefined]);
    expect(idx.manifests.map((m) => m.annotations?.['io.containerd.image.name'])).toEqual(['docker.io/library/app:v1', 'reg.example:5000/team/app:v2', undefined]);
    expect(idx.manifests[0]!.platform).toEqual({ architecture: 'amd64', os: 'linux' });
    expect(fullName('busybox')).toBe('docker.io/library/busybox:latest');
  });

  it("manifest.json: Config and Layers are the OCI blobs' paths; RepoTags null for an untagged image", () => {
    expect(JSON.parse(dockerManifest(saved).toString())).toEqual([
      { Config: `blobs/sha256/${'c'.repeat(64)}`, RepoTags: ['app:v1', 'reg.example:5000/team/app:v2'], Layers: [`blobs/sha256/${'1'.repeat(64)}`, `blobs/sha256/${'2'.repeat(64)}`] },
      { Config: `blobs/sha256/${'d'.repeat(64)}`, RepoTags: null, Layers: [`blobs/sha256/${'1'.repeat(64)}`] },
    ]);
  });

  it('repositories: name -> tag -> top layer, a registry port kept in the name', () => {
    expect(JSON.parse(dockerRepositories(saved).toString())).toEqual({ app: { v1: '2'.repeat(64) }, 'reg.example:5000/team/app': { v2: '2'.repeat(64) } });
  });
});
