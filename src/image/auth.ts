/**
 * Registry logins (minictr login / logout), kept as Docker keeps them: $DOCKER_CONFIG/config.json
 * (default ~/.docker/config.json), {"auths": {"host:port": {"auth": base64("user:password")}}},
 * mode 0600; other keys of the file (credsStore, proxies, ...) are kept as they are. Docker Hub's
 * key is "https://index.docker.io/v1/", as `docker login` writes it. pull and push read the
 * login for their registry from here; credential helpers (credsStore) are not run.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MinictrError, UsageError } from '../errors.js';
import type { RegistryCredentials } from './registry.js';
import { DEFAULT_REGISTRY } from './reference.js';
import { readBoundedFile } from '../util/bounded-read.js';

/** Docker Hub's key in config.json. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

export class AuthConfigError extends MinictrError {}

export function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG || join(homedir(), '.docker');
}

export function dockerConfigFile(): string {
  return join(dockerConfigDir(), 'config.json');
}

/** The registry part of a login argument: "https://host:5000/v2/" -> "host:5000"; Docker Hub's names -> docker.io. */
export function normalizeRegistry(arg: string): string {
  const host = arg.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  if (host === '') throw new UsageError(`invalid registry ${JSON.stringify(arg)}: no host name`);
  if (!/^[a-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9a-f:]+\](:[0-9]{1,5})?$/.test(host)) {
    throw new UsageError(`invalid registry ${JSON.stringify(arg)}: expected HOST[:PORT]`);
  }
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'docker.io') return DEFAULT_REGISTRY;
  return host;
}

/** config.json's key for a registry. */
export function authKey(registry: string): string {
  return registry === DEFAULT_REGISTRY ? DOCKER_HUB_KEY : registry;
}

export function encodeAuth(c: RegistryCredentials): string {
  return Buffer.from(`${c.username}:${c.password}`).toString('base64');
}

/** "dXNlcjpwYXNz" -> user, pass; undefined if it is not base64 of "user:password". */
export function decodeAuth(auth: string): RegistryCredentials | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth)) return undefined;
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

export type DockerConfig = Record<string, unknown> & { auths?: Record<string, { auth?: string; username?: string; password?: string }> };

/** Parse config.json's text; `display` names the file in errors. */
export function parseDockerConfig(text: string, display: string): DockerConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new AuthConfigError(`${display} is not valid JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new AuthConfigError(`${display} is not a JSON object`);
  const auths = (doc as DockerConfig).auths;
  if (auths !== undefined && (typeof auths !== 'object' || auths === null || Array.isArray(auths))) {
    throw new AuthConfigError(`${display}: "auths" is not an object`);
  }
  return doc as DockerConfig;
}

/**
 * The login for a registry in a parsed config: its key as minictr and docker write it, or a key
 * that names the same host with a scheme or a path ("https://host:5000", "host:5000/v1/").
 */
export function credentialsIn(config: DockerConfig, registry: string): RegistryCredentials | undefined {
  const auths = config.auths ?? {};
  const want = authKey(registry);
  const keys = [want, ...Object.keys(auths).filter((k) => k !== want)];
  for (const k of keys) {
    let same = k === want;
    if (!same) {
      try {
        same = normalizeRegistry(k) === registry;
      } catch {
        same = false;
      }
    }
    if (!same) continue;
    const entry = auths[k];
    if (!entry || typeof entry !== 'object') continue;
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const c = decodeAuth(entry.auth);
      if (c) return c;
    }
    if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  }
  return undefined;
}

async function readConfig(): Promise<DockerConfig> {
  const file = dockerConfigFile();
  if (!existsSync(file)) return {};
  let text: string;
  try {
    // a regular file of bounded size: a FIFO or /dev/zero in its place is refused at once
    text = readBoundedFile(file, 4 * 1024 * 1024, 'registry login file');
  } catch (err) {
    throw new AuthConfigError((err as Error).message);
  }
  return parseDockerConfig(text, file);
}

/** Write config.json atomically, mode 0600 (it holds passwords). */
async function writeConfig(config: DockerConfig): Promise<void> {
  const file = dockerConfigFile();
  await mkdir(dockerConfigDir(), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(config, null, '\t')}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** The stored login for this registry, if any (pull and push). */
export async function credentialsFor(registry: string): Promise<RegistryCredentials | undefined> {
  return credentialsIn(await readConfig(), registry);
}

/** Store a login (replacing any other key for the same registry). */
export async function storeCredentials(registry: string, c: RegistryCredentials): Promise<string> {
  const config = await readConfig();
  const auths = { ...(config.auths ?? {}) };
  for (const k of Object.keys(auths)) if (sameRegistry(k, registry)) delete auths[k];
  auths[authKey(registry)] = { auth: encodeAuth(c) };
  await writeConfig({ ...config, auths });
  return dockerConfigFile();
}

function sameRegistry(key: string, registry: string): boolean {
  try {
    return normalizeRegistry(key) === registry;
  } catch {
    return false;
  }
}

/** Remove a login; false if there was none. */
export async function removeCredentials(registry: string): Promise<boolean> {
  const config = await readConfig();
  const auths = { ...(config.auths ?? {}) };
  const keys = Object.keys(auths).filter((k) => sameRegistry(k, registry));
  if (!keys.length) return false;
  for (const k of keys) delete auths[k];
  await writeConfig({ ...config, auths });
  return true;
}
