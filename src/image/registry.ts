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
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { MinictrError, NotFoundError } from '../errors.js';
import { silent, type Explainer } from '../util/explain.js';
import { shellLine } from '../util/shell.js';
import { DEFAULT_REGISTRY } from './reference.js';
import { DigestMismatchError } from './layer.js';
import { MANIFEST_ACCEPT, type Descriptor } from './manifest.js';

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

export interface RegistryOptions {
  /** Allow plain HTTP (and say so). */
  insecure?: boolean;
  explain?: Explainer;
  /** Cancels every request (a failed pull stops its other downloads). */
  signal?: AbortSignal;
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
  errors?: { code?: string; message?: string }[];
}

async function errorDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const first = (JSON.parse(text) as RegistryErrorBody).errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ');
  } catch {
    /* not the API's JSON error */
  }
  return text.trim().split('\n')[0]?.slice(0, 120) ?? '';
}

export class RegistryClient {
  readonly host: string;
  private base: string | undefined;
  private token: string | undefined;
  private challenge: Record<string, string> | undefined;
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

  /**
   * GET /v2/: find the scheme (https, or http for an insecure registry) and whether the
   * registry wants a token.
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
          throw new RegistryError(`registry ${this.registry} requires a login (basic authentication), which minictr pull does not support`);
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

  /** An anonymous pull token for this repository. */
  private async fetchToken(): Promise<void> {
    const c = this.challenge!;
    const url = new URL(c.realm!);
    if (c.service) url.searchParams.set('service', c.service);
    url.searchParams.set('scope', `repository:${this.repository}:pull`);
    this.explain.step('get an anonymous pull token', curlLine(url.href, {}));
    let res: Response;
    try {
      res = await fetch(url, { signal: this.signal(true) });
    } catch (err) {
      if (this.opts.signal?.aborted) throw err;
      throw new RegistryError(`cannot get a token from ${url.host}: ${networkReason(err)}`);
    }
    if (!res.ok) throw new RegistryError(`token server ${url.host} refused: ${res.status} ${await errorDetail(res)}`);
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token server ${url.host} sent no token`);
    this.token = token;
  }

  /** GET a path under /v2/<repo>/, with the token (fetched on the first 401); each request is
   * explained as the curl command it is, from the URL and headers it really sends. */
  private async get(path: string, accept: string | undefined, timeout: boolean, why: string, curlExtra: string[] = []): Promise<Response> {
    if (!this.base) await this.ping();
    const url = `${this.base}/v2/${this.repository}/${path}`;
    for (let attempt = 0; ; attempt++) {
      if (this.challenge && !this.token) await this.fetchToken();
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      this.explain.step(why, curlLine(url, headers, ['-L', ...curlExtra]));
      let res: Response;
      try {
        res = await fetch(url, { headers, signal: this.signal(timeout), redirect: 'follow' });
      } catch (err) {
        if (this.opts.signal?.aborted) throw err;
        throw new RegistryError(`cannot reach registry ${this.registry}: ${networkReason(err)}`);
      }
      if (res.status === 401 && attempt === 0) {
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

  private async failure(res: Response, what: string): Promise<MinictrError> {
    const detail = await errorDetail(res);
    if (res.status === 401 || res.status === 403) {
      return new RegistryError(`pull access denied for ${this.registry}/${this.repository}: repository does not exist or may require authentication`);
    }
    if (res.status === 404) {
      if (/NAME_UNKNOWN/.test(detail)) return new NotFoundError(`repository ${this.registry}/${this.repository} not found`);
      return new NotFoundError(`${what} not found${detail ? ` (${detail})` : ''}`);
    }
    return new RegistryError(`registry ${this.registry}: ${what}: ${res.status} ${res.statusText}${detail ? ` (${detail})` : ''}`);
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
    const hash = createHash('sha256');
    let done = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        done += chunk.length;
        if (done > desc.size) {
          cb(new DigestMismatchError(`layer ${short}: the registry sent more than the ${desc.size} bytes the manifest says`));
          return;
        }
        hash.update(chunk);
        onBytes(done);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), meter, createWriteStream(file, { mode: 0o600 }));
    } catch (err) {
      if (err instanceof MinictrError || this.opts.signal?.aborted) throw err;
      throw new RegistryError(`layer ${short}: the download was cut short after ${done} of ${desc.size} bytes (${networkReason(err)})`);
    }
    if (done !== desc.size) {
      throw new DigestMismatchError(`layer ${short}: got ${done} of ${desc.size} bytes (truncated download)`);
    }
    const digest = `sha256:${hash.digest('hex')}`;
    if (digest !== desc.digest) {
      throw new DigestMismatchError(`layer ${short}: the downloaded data has digest ${digest}, expected ${desc.digest} (corrupted blob)`);
    }
  }
}
