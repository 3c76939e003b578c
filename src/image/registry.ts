/**
 * A client for the OCI distribution API (the "Docker Registry HTTP API V2"), just what a pull
 * needs, with Node's built-in fetch:
 *
 *   GET /v2/                               is this a registry? does it want a token?
 *   GET /v2/<repo>/manifests/<tag|digest>  a manifest or an index (Accept: the types we read)
 *   GET /v2/<repo>/blobs/<digest>          the config and the layers (often a redirect to a CDN)
 *
 * Authentication is the anonymous bearer-token flow Docker Hub uses: a 401 carries
 *   WWW-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"
 * and a GET of realm?service=...&scope=... returns {"token": "..."} for "Authorization: Bearer".
 *
 * Plain HTTP is used only for an insecure registry: --insecure, or a loopback one (as Docker
 * treats localhost and 127.0.0.0/8). For those, HTTPS is tried first, then HTTP.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { MinictrError, NotFoundError } from '../errors.js';
import { silent, type Explainer } from '../util/explain.js';
import { shellLine } from '../util/shell.js';
import { DEFAULT_REGISTRY } from './reference.js';
import { DigestMismatchError } from './layer.js';
import { MANIFEST_ACCEPT, type Descriptor } from './manifest.js';
import { digestMeter } from './meter.js';

/** The registry could not be reached, or answered something that is not the API. */

/** The curl command a request is: its URL and headers, with the bearer token kept out. */
export function curlLine(url: string, headers: Record<string, string>, extra: string[] = []): string {
  const h = Object.entries(headers).map(([k, v]) => ['-H', `${k}: ${k === 'authorization' ? v.replace(/^(Bearer|Basic) .*/, '$1 $TOKEN') : v}`]);
  return shellLine(['curl', ...extra, ...h.flat(), url]);
}

export class RegistryError extends MinictrError {}

const MANIFEST_MAX = 4 * 1024 * 1024; // Docker's limit too
const CONFIG_MAX = 16 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
/** A blob sent in one request is read into memory up to this size, else streamed. */
const MONOLITHIC_IN_MEMORY = 64 * 1024 * 1024;

/** "413 Request Entity Too Large", with what the registry said when it adds something. */
function statusLine(res: Response, detail: string): string {
  const head = `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (!detail || detail === head || detail.includes(head)) return head;
  return `${head} (${detail})`;
}

export interface FetchedManifest {
  body: Buffer;
  contentType?: string;
  /** sha256 of the bytes received: what NAME@DIGEST names. */
  digest: string;
}

/** Docker Hub's API lives on another host than its name. MINICTR_HUB_MIRROR replaces it
 * (as Docker's registry-mirrors do); the tests point it at a closed local port so that an
 * unknown image never sends a request off the machine. */
export function registryHost(registry: string): string {
  return registry === DEFAULT_REGISTRY ? process.env.MINICTR_HUB_MIRROR || 'registry-1.docker.io' : registry;
}

export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Parse 'Bearer realm="...",service="...",scope="..."'. */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

/** A fetch failure (TypeError "fetch failed") as a one-line reason. */
function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer (timed out)';
  const code = e.cause?.code ?? (err as { code?: string }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found (no DNS answer)';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return 'network unreachable';
    default: {
      const msg = e.cause?.message ?? e.message ?? String(err);
      if (/wrong version number|packet length too long|unknown protocol/i.test(msg)) return 'TLS handshake failed (the server does not speak TLS)';
      if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) return `TLS certificate not trusted (${code})`;
      return msg.split('\n')[0]!.trim();
    }
  }
}

interface RegistryErrorBody {
  errors?: { code?: string; message?: string; detail?: unknown }[];
}

/** What the registry said, in one line: its API error, an HTML page's title, or its first line. */
export function errorDetailOf(text: string): string {
  try {
    const first = (JSON.parse(text) as RegistryErrorBody).errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ');
  } catch {
    /* not the API's JSON error */
  }
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
  const line = title ?? text.trim().split('\n')[0] ?? '';
  return line.replace(/\s+/g, ' ').trim().slice(0, 160);
}

async function errorDetail(res: Response): Promise<string> {
  return errorDetailOf(await res.text().catch(() => ''));
}

/** A user name and password (from minictr login: auth.ts). */
export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryOptions {
  /** Allow plain HTTP (and say so). */
  insecure?: boolean;
  explain?: Explainer;
  /** Cancels every request (a failed pull stops its other downloads). */
  signal?: AbortSignal;
  /** Log in with these (basic authentication, or for a token). */
  credentials?: RegistryCredentials;
  /** Ask for push access as well as pull (minictr push). */
  push?: boolean;
}

interface RequestOptions {
  accept?: string;
  headers?: Record<string, string>;
  /** a Buffer, or a stream (sent once: no retry after a 401) */
  body?: Buffer | ReadableStream<Uint8Array>;
  /** false for requests that move a layer: they may take long */
  timeout?: boolean;
  why: string;
  curlExtra?: string[];
}

export class RegistryClient {
  readonly host: string;
  private base: string | undefined;
  private token: string | undefined;
  private challenge: Record<string, string> | undefined;
  /** the registry wants HTTP basic authentication (and we have credentials) */
  private basic = false;
  private readonly explain: Explainer;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly opts: RegistryOptions = {},
  ) {
    this.host = registryHost(registry);
    this.explain = opts.explain ?? silent;
  }

  private get insecure(): boolean {
    return Boolean(this.opts.insecure) || isLoopbackRegistry(this.registry);
  }

  private signal(timeout: boolean): AbortSignal | undefined {
    const signals = [this.opts.signal, timeout ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    return signals.length ? AbortSignal.any(signals) : undefined;
  }

  private loginHint(): string {
    return this.opts.credentials ? '' : ` (log in first: minictr login ${this.registry})`;
  }

  /**
   * GET /v2/: find the scheme (https, or http for an insecure registry) and whether the
   * registry wants a token or a password.
   */
  async ping(): Promise<void> {
    const schemes = this.insecure ? ['https', 'http'] : ['https'];
    const reasons: string[] = [];
    for (const scheme of schemes) {
      const url = `${scheme}://${this.host}/v2/`;
      this.explain.step(`is ${this.host} a registry? (API version check)`, curlLine(url, {}, ['-i']));
      let res: Response;
      try {
        res = await fetch(url, { signal: this.signal(true), redirect: 'follow' });
      } catch (err) {
        if (this.opts.signal?.aborted) throw err;
        reasons.push(`${scheme}: ${networkReason(err)}`);
        continue;
      }
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 401) {
        const c = parseChallenge(res.headers.get('www-authenticate'));
        if (c?.scheme === 'bearer' && c.params.realm) this.challenge = c.params;
        else if (c?.scheme === 'basic') {
          if (!this.opts.credentials) throw new RegistryError(`registry ${this.registry} requires a login (basic authentication)${this.loginHint()}`);
          this.basic = true;
        }
      } else if (res.status === 404) {
        reasons.push(`${scheme}: ${url} not found (not a registry with the v2 API)`);
        continue;
      } else if (!res.ok) {
        reasons.push(`${scheme}: ${res.status} ${res.statusText}`);
        continue;
      }
      this.base = `${scheme}://${this.host}`;
      if (scheme === 'http') this.explain.note(`${this.registry} is an insecure registry: using plain HTTP`);
      return;
    }
    const tlsTrouble = reasons.some((r) => /TLS/.test(r));
    const hint = !this.insecure && tlsTrouble ? ' (for a registry without TLS, use --insecure)' : '';
    // "https: connection refused; http: connection refused" says it once
    const bare = [...new Set(reasons.map((r) => r.replace(/^https?: /, '')))];
    const why = bare.length === 1 ? bare[0] : reasons.join('; ');
    throw new RegistryError(`cannot reach registry ${this.registry}: ${why}${hint}`);
  }

  private basicAuth(): string {
    const c = this.opts.credentials!;
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }

  /** A token for this repository (pull, or pull and push): anonymous, or for the login. */
  private async fetchToken(): Promise<void> {
    const c = this.challenge!;
    const url = new URL(c.realm!);
    if (c.service) url.searchParams.set('service', c.service);
    if (this.repository) url.searchParams.set('scope', `repository:${this.repository}:${this.opts.push ? 'pull,push' : 'pull'}`);
    const headers: Record<string, string> = {};
    if (this.opts.credentials) {
      url.searchParams.set('account', this.opts.credentials.username);
      headers.authorization = this.basicAuth();
    }
    this.explain.step(this.opts.credentials ? `get a token as ${this.opts.credentials.username}` : 'get an anonymous pull token', curlLine(url.href, headers));
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: this.signal(true) });
    } catch (err) {
      if (this.opts.signal?.aborted) throw err;
      throw new RegistryError(`cannot get a token from ${url.host}: ${networkReason(err)}`);
    }
    if (!res.ok) {
      const detail = await errorDetail(res);
      const who = this.opts.credentials ? ` the login of ${this.opts.credentials.username}` : ' an anonymous token';
      throw new RegistryError(`token server ${url.host} refused${who}: ${statusLine(res, detail)}`);
    }
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token server ${url.host} sent no token`);
    this.token = token;
  }

  private url(path: string): string {
    return /^https?:/.test(path) ? path : `${this.base}/v2/${this.repository}/${path}`;
  }

  /**
   * A request under /v2/<repo>/ (or to a URL the registry gave, e.g. an upload's Location),
   * with the token (fetched on the first 401) or the login; each request is explained as the
   * curl command it is, from the URL and headers it really sends.
   */
  private async request(method: string, path: string, o: RequestOptions): Promise<Response> {
    if (!this.base) await this.ping();
    const url = this.url(path);
    for (let attempt = 0; ; attempt++) {
      if (this.challenge && !this.token) await this.fetchToken();
      const headers: Record<string, string> = { ...o.headers };
      if (o.accept) headers.accept = o.accept;
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      else if (this.basic) headers.authorization = this.basicAuth();
      const extra = method === 'GET' ? ['-L'] : method === 'HEAD' ? ['-I'] : ['-X', method];
      this.explain.step(o.why, curlLine(url, headers, [...extra, ...(o.curlExtra ?? [])]));
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers,
          body: o.body as BodyInit | undefined,
          signal: this.signal(o.timeout ?? true),
          redirect: 'follow',
          ...(o.body && !Buffer.isBuffer(o.body) ? { duplex: 'half' } : {}),
        } as RequestInit);
      } catch (err) {
        if (this.opts.signal?.aborted) throw err;
        throw new RegistryError(`cannot reach registry ${this.registry}: ${networkReason(err)}`);
      }
      if (res.status === 401 && attempt === 0 && (o.body === undefined || Buffer.isBuffer(o.body))) {
        const c = parseChallenge(res.headers.get('www-authenticate'));
        if (c?.scheme === 'bearer' && c.params.realm) {
          await res.body?.cancel().catch(() => undefined);
          this.challenge = c.params;
          this.token = undefined;
          continue;
        }
      }
      return res;
    }
  }

  private get(path: string, accept: string | undefined, timeout: boolean, why: string, curlExtra: string[] = []): Promise<Response> {
    return this.request('GET', path, { accept, timeout, why, curlExtra });
  }

  private async failure(res: Response, what: string): Promise<MinictrError> {
    const detail = await errorDetail(res);
    if (res.status === 401 || res.status === 403) {
      if (this.opts.push) return new RegistryError(`push access denied for ${this.registry}/${this.repository}: ${statusLine(res, detail)}${this.loginHint()}`);
      return new RegistryError(`pull access denied for ${this.registry}/${this.repository}: repository does not exist or may require authentication`);
    }
    if (res.status === 404 && !this.opts.push) {
      if (/NAME_UNKNOWN/.test(detail)) return new NotFoundError(`repository ${this.registry}/${this.repository} not found`);
      return new NotFoundError(`${what} not found${detail ? ` (${detail})` : ''}`);
    }
    const verb = this.opts.push ? 'refused ' : '';
    return new RegistryError(`registry ${this.registry} ${verb}${what}: ${statusLine(res, detail)}`);
  }

  /**
   * Check a login: GET /v2/ with the credentials (basic), or get a token with them (bearer).
   * Throws RegistryError with what the registry said when they are refused.
   */
  async checkLogin(): Promise<void> {
    await this.ping();
    if (this.challenge) {
      await this.fetchToken();
      return;
    }
    if (!this.basic) return; // the registry lets anyone in
    const res = await this.request('GET', `${this.base}/v2/`, { why: `log in to ${this.registry} as ${this.opts.credentials!.username}` });
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 401 || res.status === 403) throw new RegistryError(`login to ${this.registry} refused: ${statusLine(res, '')}`);
    if (!res.ok) throw new RegistryError(`registry ${this.registry}: ${statusLine(res, '')}`);
  }

  /** Does the repository have this blob? (HEAD) */
  async blobExists(digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `blobs/${digest}`, { why: `does ${this.repository} have blob ${digest.slice(7, 19)}?` });
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return true;
    if (res.status === 404) return false;
    throw await this.failure(res, `the check for blob ${digest.slice(7, 19)}`);
  }

  /** Ask the registry to link a blob it has in another repository (no upload); false if it will not. */
  async mountBlob(digest: string, from: string): Promise<boolean> {
    const q = new URLSearchParams({ mount: digest, from });
    const res = await this.request('POST', `blobs/uploads/?${q}`, { why: `mount blob ${digest.slice(7, 19)} from ${from} (the registry has it: nothing to upload)` });
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 201) return true;
    if (res.status === 202) {
      // the registry started an upload instead: cancel it
      const loc = res.headers.get('location');
      if (loc) await this.request('DELETE', new URL(loc, this.base).href, { why: 'cancel the upload the registry started instead' }).then((r) => r.body?.cancel()).catch(() => undefined);
    }
    return false;
  }

  private async startUpload(what: string): Promise<URL> {
    const res = await this.request('POST', 'blobs/uploads/', { why: `start an upload of ${what}`, headers: { 'content-length': '0' } });
    await (res.status === 202 ? res.body?.cancel().catch(() => undefined) : undefined);
    if (res.status !== 202) throw await this.failure(res, `the upload of ${what}`);
    const loc = res.headers.get('location');
    if (!loc) throw new RegistryError(`registry ${this.registry}: the upload of ${what} got no Location`);
    return new URL(loc, this.base);
  }

  private async finishUpload(loc: URL, digest: string, what: string, body?: Buffer | ReadableStream<Uint8Array>, size = 0, why?: string): Promise<void> {
    loc.searchParams.set('digest', digest);
    const res = await this.request('PUT', loc.href, {
      body,
      timeout: !body || Buffer.isBuffer(body),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      why: why ?? `finish the upload of ${what}: the registry checks its digest`,
      curlExtra: body ? ['--data-binary', '@-'] : [],
    });
    if (res.status !== 201) throw await this.failure(res, what);
    await res.body?.cancel().catch(() => undefined);
  }

  /** Upload a small blob (an image config) in one request. */
  async putBlob(bytes: Buffer, digest: string, what: string): Promise<void> {
    const loc = await this.startUpload(what);
    await this.finishUpload(loc, digest, what, bytes, bytes.length, `upload ${what} (${bytes.length} bytes) in one request`);
  }

  /**
   * Upload the blob in `file` (size bytes, digest): in one request when it is at most
   * chunkSize (or chunkSize is 0), else in PATCH requests of chunkSize bytes, then a PUT with
   * the digest. onBytes reports progress.
   */
  async uploadBlob(file: string, digest: string, size: number, chunkSize: number, what: string, onBytes: (done: number) => void): Promise<void> {
    const loc = await this.startUpload(what);
    if (chunkSize === 0 || size <= chunkSize) {
      const body = size <= MONOLITHIC_IN_MEMORY ? await readFile(file) : (Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>);
      await this.finishUpload(loc, digest, what, body, size, `upload ${what} (${size} bytes) in one request`);
      onBytes(size);
      return;
    }
    const fh = await open(file, 'r');
    try {
      let url = loc;
      const buf = Buffer.alloc(chunkSize);
      for (let at = 0; at < size; ) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(chunkSize, size - at), at);
        if (bytesRead === 0) throw new RegistryError(`${file} is shorter than ${size} bytes`);
        const chunk = Buffer.from(buf.subarray(0, bytesRead));
        const range = `${at}-${at + bytesRead - 1}`;
        const res = await this.request('PATCH', url.href, {
          body: chunk,
          timeout: false,
          headers: { 'content-type': 'application/octet-stream', 'content-range': range, 'content-length': String(bytesRead) },
          why: `upload bytes ${range} of ${what}`,
          curlExtra: ['--data-binary', '@-'],
        });
        if (res.status !== 202) throw await this.failure(res, `${what} (bytes ${range})`);
        await res.body?.cancel().catch(() => undefined);
        const next = res.headers.get('location');
        if (next) url = new URL(next, this.base);
        at += bytesRead;
        onBytes(at);
      }
      await this.finishUpload(url, digest, what);
    } finally {
      await fh.close();
    }
  }

  /** PUT a manifest under a tag; returns its digest (the registry's, checked against ours). */
  async putManifest(reference: string, body: Buffer, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `manifests/${reference}`, {
      body,
      headers: { 'content-type': mediaType },
      why: `put the manifest (${mediaType}) as ${this.repository}:${reference}`,
      curlExtra: ['--data-binary', '@manifest.json'],
    });
    if (res.status !== 201 && res.status !== 200) throw await this.failure(res, `the manifest for ${this.repository}:${reference}`);
    await res.body?.cancel().catch(() => undefined);
    const digest = sha256(body);
    const said = res.headers.get('docker-content-digest');
    if (said && said.startsWith('sha256:') && said !== digest) {
      throw new DigestMismatchError(`registry ${this.registry} stored the manifest as ${said}, but it has digest ${digest}`);
    }
    return digest;
  }

  /** Read a small body, refusing more than max bytes. */
  private async readLimited(res: Response, max: number, what: string): Promise<Buffer> {
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > max) throw new RegistryError(`${what} is ${declared} bytes, more than the ${max} allowed`);
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      for await (const chunk of Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)) {
        n += (chunk as Buffer).length;
        if (n > max) throw new RegistryError(`${what} is more than the ${max} bytes allowed`);
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof MinictrError || this.opts.signal?.aborted) throw err;
      throw new RegistryError(`${what}: the download was cut short (${networkReason(err)})`);
    }
    return Buffer.concat(chunks);
  }

  /** A manifest or index by tag or digest; by digest its bytes must have that digest. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const what = `manifest ${this.repository}:${reference}`.replace(':sha256:', '@sha256:');
    const res = await this.get(`manifests/${reference}`, MANIFEST_ACCEPT, true, `fetch the manifest for ${reference}`);
    if (!res.ok) throw await this.failure(res, what);
    const body = await this.readLimited(res, MANIFEST_MAX, what);
    const digest = sha256(body);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new DigestMismatchError(`${what}: the registry sent a manifest with digest ${digest}`);
    }
    const announced = res.headers.get('docker-content-digest');
    if (announced && announced.startsWith('sha256:') && announced !== digest) {
      throw new DigestMismatchError(`${what}: the registry says its digest is ${announced}, but the bytes have ${digest}`);
    }
    return { body, contentType: res.headers.get('content-type') ?? undefined, digest };
  }

  /** A small blob (the image config) in memory, checked against its descriptor. */
  async getBlob(desc: Descriptor, what: string): Promise<Buffer> {
    const res = await this.get(`blobs/${desc.digest}`, undefined, true, `fetch the ${what}`);
    if (!res.ok) throw await this.failure(res, `${what} ${desc.digest}`);
    const body = await this.readLimited(res, Math.min(CONFIG_MAX, desc.size), `${what} ${desc.digest.slice(7, 19)}`);
    if (body.length !== desc.size) {
      throw new DigestMismatchError(`${what} ${desc.digest.slice(7, 19)}: got ${body.length} bytes, the manifest says ${desc.size} (truncated download?)`);
    }
    const digest = sha256(body);
    if (digest !== desc.digest) throw new DigestMismatchError(`${what}: the registry sent data with digest ${digest}, expected ${desc.digest}`);
    return body;
  }

  /**
   * Download a layer blob to `file`, hashing as it streams; refused unless its size and sha256
   * are the descriptor's. onBytes reports progress.
   */
  async downloadBlob(desc: Descriptor, file: string, onBytes: (done: number) => void): Promise<void> {
    const short = desc.digest.slice(7, 19);
    const res = await this.get(`blobs/${desc.digest}`, undefined, false, `download layer ${short} (${desc.size} bytes) and check its sha256 as it arrives`, ['-o', file]);
    if (!res.ok || !res.body) throw await this.failure(res, `layer ${desc.digest}`);
    const meter = digestMeter((done) => {
      if (done > desc.size) throw new DigestMismatchError(`layer ${short}: the registry sent more than the ${desc.size} bytes the manifest says`);
      onBytes(done);
    });
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), meter.stream, createWriteStream(file, { mode: 0o600 }));
    } catch (err) {
      if (err instanceof MinictrError || this.opts.signal?.aborted) throw err;
      throw new RegistryError(`layer ${short}: the download was cut short after ${meter.size} of ${desc.size} bytes (${networkReason(err)})`);
    }
    if (meter.size !== desc.size) {
      throw new DigestMismatchError(`layer ${short}: got ${meter.size} of ${desc.size} bytes (truncated download)`);
    }
    const digest = meter.digest();
    if (digest !== desc.digest) {
      throw new DigestMismatchError(`layer ${short}: the downloaded data has digest ${digest}, expected ${desc.digest} (corrupted blob)`);
    }
  }
}
