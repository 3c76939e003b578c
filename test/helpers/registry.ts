/**
 * A real registry for the pull tests: Debian's docker-registry (distribution v2) on
 * 127.0.0.1 with a random free port and a temp storage dir, and a small push client over
 * the registry HTTP API (blob upload, manifest PUT) to fill it with images the tests build
 * themselves: layer tarballs made with tar-stream, gzip/zstd/uncompressed, OCI or Docker
 * media types, and multi-arch indexes.
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa, type ResultPromise } from 'execa';
import tarStream from 'tar-stream';
import { testBase, type CraftedEntry } from './image-fixtures.js';

export interface TestRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  /** the registry's storage root (blobs live in docker/registry/v2/blobs/sha256/XX/HEX/data) */
  storage: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitReady(url: string, child: ResultPromise, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  let exited = false;
  void child.then(() => (exited = true), () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the registry exited: ${String((await child.catch((e: unknown) => e)) as unknown)}`);
    try {
      const r = await fetch(url);
      if (r.status === 200 || r.status === 401) return; // 401: a registry with a login
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) throw new Error(`registry at ${url} not ready`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RegistryOptions {
  /** HTTP basic authentication with this one user (an htpasswd file made by htpasswd -B). */
  htpasswd?: { user: string; password: string };
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(testBase(), 'registry-'));
  const auth: string[] = [];
  if (opts.htpasswd) {
    const file = join(dir, 'htpasswd');
    await execa('htpasswd', ['-Bbc', file, opts.htpasswd.user, opts.htpasswd.password]);
    auth.push('auth:', '  htpasswd:', '    realm: minictr-test', `    path: ${file}`);
  }
  const storage = join(dir, 'storage');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'config.yml');
    await writeFile(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: error',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${storage}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: 127.0.0.1:${port}`,
        ...auth,
        '',
      ].join('\n'),
    );
    const child = execa('docker-registry', ['serve', config], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
    try {
      await waitReady(`http://127.0.0.1:${port}/v2/`, child);
    } catch (err) {
      child.kill('SIGKILL');
      await child;
      if (attempt < 2) continue; // the port was taken between our probe and the registry's bind
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return {
      host: `127.0.0.1:${port}`,
      storage,
      async stop() {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await child;
        clearTimeout(t);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A tar archive in memory with exactly these entries. */
export async function tarBuffer(entries: (CraftedEntry & { data?: Buffer })[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const { content, data, ...header } of entries) {
    const h = { mode: header.type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: new Date(0), ...header };
    const body = data ?? (content !== undefined ? Buffer.from(content) : undefined);
    if (body !== undefined) pack.entry({ ...h, type: h.type ?? 'file' }, body);
    else pack.entry(h);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export type LayerCompression = 'none' | 'gzip' | 'zstd';

export async function compress(tar: Buffer, how: LayerCompression): Promise<Buffer> {
  if (how === 'gzip') return gzipSync(tar);
  if (how === 'zstd') return Buffer.from((await execa('zstd', ['-q', '-c'], { input: tar, encoding: 'buffer' })).stdout);
  return tar;
}

const LAYER_MEDIA: Record<'oci' | 'docker', Record<LayerCompression, string>> = {
  oci: {
    none: 'application/vnd.oci.image.layer.v1.tar',
    gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  },
  docker: {
    none: 'application/vnd.docker.image.rootfs.diff.tar',
    gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    zstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  },
};

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
}

/** Upload a blob (monolithic: POST for an upload URL, then PUT ?digest=). */
export async function pushBlob(host: string, repo: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location')!, `http://${host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: new Uint8Array(data), headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  return { digest, size: data.length };
}

/** PUT a manifest (or index) under a tag or its digest; returns its digest. */
export async function pushManifest(host: string, repo: string, ref: string, manifest: object, mediaType: string): Promise<{ digest: string; size: number; body: Buffer }> {
  const body = Buffer.from(JSON.stringify(manifest));
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, headers: { 'content-type': mediaType } });
  if (r.status !== 201) throw new Error(`manifest PUT ${repo}:${ref}: ${r.status} ${await r.text()}`);
  return { digest: sha256(body), size: body.length, body };
}

export interface LayerSpec {
  entries: (CraftedEntry & { data?: Buffer })[];
  compression: LayerCompression;
  createdBy?: string;
}

export interface ImageSpec {
  layers: LayerSpec[];
  config?: { Env?: string[]; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; User?: string; Healthcheck?: object };
  architecture?: string;
  /** media types: OCI (default) or Docker v2 schema 2 */
  format?: 'oci' | 'docker';
  /** push the manifest under this tag (default: by digest only) */
  tag?: string;
}

export interface PushedImage {
  manifest: Descriptor;
  layers: Descriptor[];
  diffIds: string[];
  config: Descriptor;
}

/** Push an image's layers, config and manifest. */
export async function pushImage(host: string, repo: string, spec: ImageSpec): Promise<PushedImage> {
  const format = spec.format ?? 'oci';
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const l of spec.layers) {
    const tar = await tarBuffer(l.entries);
    diffIds.push(sha256(tar));
    const blob = await compress(tar, l.compression);
    const d = await pushBlob(host, repo, blob);
    layers.push({ mediaType: LAYER_MEDIA[format][l.compression], ...d });
  }
  const configJson = {
    architecture: spec.architecture ?? 'amd64',
    os: 'linux',
    config: spec.config ?? {},
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [
      ...spec.layers.map((l, i) => ({ created: '2024-01-02T03:04:05Z', created_by: l.createdBy ?? `layer ${i}` })),
      { created: '2024-01-02T03:04:06Z', created_by: 'CMD (config only)', empty_layer: true },
    ],
  };
  const configBlob = Buffer.from(JSON.stringify(configJson));
  const configMedia = format === 'oci' ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json';
  const config = { mediaType: configMedia, ...(await pushBlob(host, repo, configBlob)) };
  const manifestMedia = format === 'oci' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json';
  const manifest = { schemaVersion: 2, mediaType: manifestMedia, config, layers };
  const digest = sha256(Buffer.from(JSON.stringify(manifest)));
  const pushed = await pushManifest(host, repo, spec.tag ?? digest, manifest, manifestMedia);
  return { manifest: { mediaType: manifestMedia, digest: pushed.digest, size: pushed.size }, layers, diffIds, config };
}

/** Push an OCI index of already pushed manifests under a tag. */
export async function pushIndex(host: string, repo: string, tag: string, entries: { image: PushedImage; os: string; architecture: string; variant?: string }[]): Promise<Descriptor> {
  const mediaType = 'application/vnd.oci.image.index.v1+json';
  const index = {
    schemaVersion: 2,
    mediaType,
    manifests: entries.map((e) => ({
      ...e.image.manifest,
      platform: { os: e.os, architecture: e.architecture, ...(e.variant ? { variant: e.variant } : {}) },
    })),
  };
  const pushed = await pushManifest(host, repo, tag, index, mediaType);
  return { mediaType, digest: pushed.digest, size: pushed.size };
}

/** Where the registry keeps a blob's bytes (to corrupt it, as a bad disk or a bad mirror would). */
export function blobPath(reg: TestRegistry, digest: string): string {
  const hex = digest.slice(7);
  return join(reg.storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

export async function corruptBlob(reg: TestRegistry, digest: string): Promise<void> {
  const p = blobPath(reg, digest);
  const data = await readFile(p);
  data[data.length >> 1] = data[data.length >> 1]! ^ 0xff; // same size, other bytes
  await writeFile(p, data);
}

export interface ProxyOptions {
  /** Demand an anonymous bearer token, as Docker Hub does (realm on this proxy). */
  bearer?: boolean;
  /** Send blob bodies at most this many bytes per second. */
  blobBytesPerSecond?: number;
  /** The token endpoint wants this login (basic), and grants push too: a private registry. */
  login?: { user: string; password: string };
  /** Refuse a request body bigger than this with 413, as a proxy in front of a registry does. */
  maxBody?: number;
  /** Refuse every manifest PUT with 400 MANIFEST_INVALID. */
  refuseManifests?: boolean;
  /** Pass the Host header on, so the upload URLs the registry gives point at this proxy (push). */
  keepHost?: boolean;
}

export interface TestProxy {
  host: string;
  /** Token requests seen (their query strings). */
  tokenRequests: string[];
  /** Every request seen: "METHOD /path". */
  requests: string[];
  stop(): Promise<void>;
}

/**
 * A small HTTP front for the registry: Docker Hub's anonymous token flow (401 with a Bearer
 * challenge, a token endpoint) and/or slow blob downloads (to interrupt a pull mid-layer).
 */
export async function startProxy(upstream: string, opts: ProxyOptions): Promise<TestProxy> {
  const token = `tok-${Math.random().toString(36).slice(2)}`;
  const tokenRequests: string[] = [];
  const requests: string[] = [];
  let self = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    const refuse = (status: number, code: string, message: string): void => {
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ errors: [{ code, message }] }));
    };
    if (opts.bearer && url.pathname === '/token') {
      tokenRequests.push(url.search);
      if (opts.login && req.headers.authorization !== `Basic ${Buffer.from(`${opts.login.user}:${opts.login.password}`).toString('base64')}`) {
        refuse(401, 'UNAUTHORIZED', 'bad user name or password');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    if (opts.bearer && req.headers.authorization !== `Bearer ${token}`) {
      const repo = /^\/v2\/(.+)\/(manifests|blobs)\//.exec(url.pathname)?.[1];
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer realm="http://${self}/token",service="test-registry"${repo ? `,scope="repository:${repo}:${req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'pull,push'}"` : ''}`,
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    if (opts.maxBody !== undefined && Number(req.headers['content-length'] ?? 0) > opts.maxBody) {
      res.writeHead(413, { 'content-type': 'text/html', connection: 'close' });
      req.resume();
      res.end('<html><head><title>413 Request Entity Too Large</title></head><body>too large</body></html>');
      return;
    }
    if (opts.refuseManifests && req.method === 'PUT' && /\/manifests\//.test(url.pathname)) {
      refuse(400, 'MANIFEST_INVALID', 'manifest invalid');
      return;
    }
    const up = httpRequest(`http://${upstream}${req.url}`, { method: req.method, headers: { ...req.headers, host: opts.keepHost ? req.headers.host : upstream } }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      const slow = opts.blobBytesPerSecond && /\/blobs\//.test(url.pathname);
      if (!slow) {
        ures.pipe(res);
        return;
      }
      // 20 slices a second
      const slice = Math.max(1, Math.floor(opts.blobBytesPerSecond! / 20));
      ures.on('data', (chunk: Buffer) => {
        ures.pause();
        const parts: Buffer[] = [];
        for (let i = 0; i < chunk.length; i += slice) parts.push(chunk.subarray(i, i + slice));
        const next = (): void => {
          const p = parts.shift();
          if (!p) {
            ures.resume();
            return;
          }
          res.write(p);
          setTimeout(next, 50);
        };
        next();
      });
      ures.on('end', () => {
        const finish = (): void => {
          if (ures.isPaused()) setTimeout(finish, 50);
          else res.end();
        };
        finish();
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  self = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    host: self,
    tokenRequests,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
