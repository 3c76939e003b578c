/**
 * A lab host that is a container, as containerlab's linux nodes are: `image:` (plus `cmd`,
 * `env`, `binds`) on a host. The lab still makes the host's namespace (`ip netns add`, so it
 * shows in `ip netns` under the host's name and everything that works on a bare host works on
 * it); the container joins it (`minictr run --network netns:HOST`), so its removal, or its
 * crash, never takes the lab's cables with it. This file is the format; containers.ts runs it.
 */
import { isAbsolute, normalize, resolve, dirname } from 'node:path';
import { checkName } from '../../../names.js';
import { parseReference } from '../../../image/reference.js';
import { MAX_LIST } from './limits.js';

export interface ContainerNode {
  /** the image reference as written (busybox, alpine:3.20, a digest) */
  image: string;
  /** the container's name in `minictr ps`: LAB-HOST */
  name: string;
  /** argv after the image; absent: the image's own command */
  cmd?: string[];
  /** KEY=VALUE, in the file's order */
  env: string[];
  /** HOST:CONTAINER[:ro|rw], the host path absolute (a relative one is the lab file's) */
  binds: string[];
}

/** The host keys this file reads. */
export const CONTAINER_KEYS = ['image', 'cmd', 'env', 'binds'] as const;

/** What schema.ts's checker offers: messages name the file and the field's path. */
export interface FieldChecker {
  fail(path: string, msg: string): never;
  string(v: unknown, path: string): string;
  list(v: unknown, path: string): unknown[];
  map(v: unknown, path: string): Record<string, unknown>;
}

export interface NodeContext {
  lab: string;
  host: string;
  /** hosts.HOST */
  path: string;
  /** the lab file: messages start with it, relative binds are beside it */
  file: string;
}

/** The container's name: one per lab host, in the runtime's name space (minictr ps). */
export function containerName(lab: string, host: string): string {
  return `${lab}-${host}`;
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function envOf(c: FieldChecker, raw: unknown, path: string): string[] {
  if (Array.isArray(raw)) {
    return c.list(raw, path).map((e, i) => {
      const kv = c.string(e, `${path}[${i}]`);
      const key = kv.split('=')[0]!;
      if (!kv.includes('=') || !ENV_KEY.test(key)) c.fail(`${path}[${i}]`, `${JSON.stringify(kv.slice(0, 40))} is not KEY=VALUE`);
      return kv;
    });
  }
  return Object.entries(c.map(raw, path)).map(([k, v]) => {
    if (!ENV_KEY.test(k)) c.fail(`${path}.${k.slice(0, 40)}`, 'is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)');
    // an empty value is a value (KEY=), as docker run -e KEY= gives
    return `${k}=${v === '' || v === null ? '' : c.string(v, `${path}.${k}`)}`;
  });
}

function bindOf(c: FieldChecker, raw: unknown, path: string, file: string): string {
  const spec = c.string(raw, path);
  const parts = spec.split(':');
  const [source, target, mode] = parts;
  if (parts.length < 2 || parts.length > 3 || !source || !target) c.fail(path, `${JSON.stringify(spec.slice(0, 40))} is not HOST:CONTAINER[:ro]`);
  if (!isAbsolute(target)) c.fail(path, `the container path ${JSON.stringify(target.slice(0, 40))} must be absolute`);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') c.fail(path, `the mode ${JSON.stringify(mode.slice(0, 10))} must be ro or rw`);
  // a relative host path is the lab file's, as containerlab reads it
  const host = isAbsolute(source) ? normalize(source) : resolve(dirname(resolve(file)), source);
  // one path one way: /data/ and /data are the same mount point
  const inside = normalize(target).replace(/(.)\/+$/, '$1');
  return [host, inside, ...(mode ? [mode] : [])].join(':');
}

/** The host's container, checked; undefined when it has no image (a bare namespace). */
export function containerNodeOf(c: FieldChecker, o: Record<string, unknown>, ctx: NodeContext): ContainerNode | undefined {
  const { path } = ctx;
  if (o.image === undefined) {
    const stray = CONTAINER_KEYS.find((k) => o[k] !== undefined);
    if (stray) c.fail(`${path}.${stray}`, 'is for a container node: give the host an image too');
    return undefined;
  }
  const image = c.string(o.image, `${path}.image`);
  try {
    if (image.startsWith('-')) throw new Error('starts with "-"');
    parseReference(image);
  } catch (err) {
    c.fail(`${path}.image`, `${JSON.stringify(image.slice(0, 40))} is not an image reference (${(err as Error).message})`);
  }
  const name = containerName(ctx.lab, ctx.host);
  checkName('container', name, `${ctx.file}: ${path}: its container's name (LAB-HOST)`);
  let cmd: string[] | undefined;
  if (o.cmd !== undefined) {
    // a string is split on blanks (as a shell would, without quotes); a list is the argv as it is
    cmd = Array.isArray(o.cmd) ? o.cmd.map((a, i) => c.string(a, `${path}.cmd[${i}]`)) : c.string(o.cmd, `${path}.cmd`).trim().split(/\s+/);
    if (cmd.length === 0 || cmd[0] === '') c.fail(`${path}.cmd`, 'is empty');
    if (cmd.length > MAX_LIST) c.fail(`${path}.cmd`, `${cmd.length} arguments, more than the ${MAX_LIST} allowed`);
  }
  const env = o.env === undefined ? [] : envOf(c, o.env, `${path}.env`);
  const bindRaw = c.list(o.binds, `${path}.binds`);
  if (bindRaw.length > MAX_LIST || env.length > MAX_LIST) c.fail(`${path}.${bindRaw.length > MAX_LIST ? 'binds' : 'env'}`, `more than the ${MAX_LIST} allowed`);
  const binds = bindRaw.map((b, i) => bindOf(c, b, `${path}.binds[${i}]`, ctx.file));
  const targets = binds.map((b) => b.split(':')[1]);
  const twice = targets.findIndex((t, i) => targets.indexOf(t) !== i);
  if (twice >= 0) c.fail(`${path}.binds[${twice}]`, `${targets[twice]} is bound twice`);
  return { image, name, ...(cmd ? { cmd } : {}), env, binds };
}
