/**
 * Reading a project: its files (`-f`, repeatable, or the first of compose.yaml, compose.yml,
 * docker-compose.yml, docker-compose.yaml in the directory), each parsed as YAML and
 * interpolated from the environment and the `.env` next to the first file, then merged in
 * order as Compose merges them (later files over earlier ones). Nothing here touches the system
 * but reading those files.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { NotFoundError, UsageError } from '../errors.js';
import { interpolateTree, parseDotEnv, type Vars } from './interpolate.js';
import { readBoundedFile } from '../util/bounded-read.js';

export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

export interface LoadOptions {
  files: string[];
  project?: string;
  /** where to look for the default files (the working directory) */
  cwd: string;
  env: Vars;
}

export interface Loaded {
  files: string[];
  /** the first file's directory: relative paths (bind mounts, env_file) start here */
  dir: string;
  project: string;
  /** the merged, interpolated tree (not yet validated) */
  tree: Record<string, unknown>;
  /** what the files used but the environment did not set */
  warnings: string[];
  vars: Vars;
}

/** Compose's rule: lowercase, only [a-z0-9_-], starting with a letter or digit. */
export function normaliseProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}

export function findComposeFiles(cwd: string, files: string[]): string[] {
  if (files.length) return files.map((f) => resolve(cwd, f));
  const found = DEFAULT_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  if (!found) throw new NotFoundError(`no compose file in ${cwd} (looked for ${DEFAULT_FILES.join(', ')}; -f FILE names one)`);
  return [found];
}

/** One file's YAML: a mapping at the top, or a one-line error with the file, line and column. */
export function parseComposeYaml(text: string, file: string): Record<string, unknown> {
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  const err = doc.errors[0];
  if (err) {
    const at = err.linePos?.[0];
    throw new UsageError(`${file}${at ? `:${at.line}:${at.col}` : ''}: invalid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const tree: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (tree === null || tree === undefined) throw new UsageError(`${file}: the file is empty`);
  if (typeof tree !== 'object' || Array.isArray(tree)) throw new UsageError(`${file}: the top level must be a mapping (services: ...)`);
  return tree as Record<string, unknown>;
}

/** Bounds on what compose reads whole: far above any real file, far below what hurts. */
export const COMPOSE_FILE_MAX = 4 * 1024 * 1024;
export const ENV_FILE_MAX = 1024 * 1024;

export function loadProject(opts: LoadOptions): Loaded {
  const files = findComposeFiles(opts.cwd, opts.files);
  const dir = dirname(files[0]!);
  const dotEnvFile = resolve(dir, '.env');
  let dotEnv: Record<string, string> = {};
  if (existsSync(dotEnvFile)) dotEnv = parseDotEnv(readBoundedFile(dotEnvFile, ENV_FILE_MAX, 'env file'), dotEnvFile);
  // the environment wins over .env, as in Compose
  const vars: Vars = { ...dotEnv, ...opts.env };
  const unset = new Set<string>();
  let tree: Record<string, unknown> = {};
  for (const f of files) {
    // regular files of bounded size: a FIFO or /dev/zero named by -f is refused at once
    const text = readBoundedFile(f, COMPOSE_FILE_MAX, 'compose file');
    const one = interpolateTree(parseComposeYaml(text, f), { vars, unset }, `${basename(f)}: `) as Record<string, unknown>;
    tree = mergeTop(tree, one);
  }
  const named = opts.project ?? (typeof tree.name === 'string' ? tree.name : undefined) ?? vars.COMPOSE_PROJECT_NAME ?? basename(dir);
  const project = normaliseProjectName(named);
  if (!project) throw new UsageError(`project name ${JSON.stringify(named)} has no letter or digit left once normalised (-p NAME sets one)`);
  if (opts.project !== undefined && project !== opts.project) throw new UsageError(`invalid project name ${JSON.stringify(opts.project)}: use only lowercase letters, digits, _ and -, starting with a letter or digit`);
  const warnings = [...unset].map((v) => `the ${v} variable is not set: defaulting to a blank string`);
  return { files, dir, project, tree, warnings, vars };
}

// ---- merging (compose's rules for the keys minictr supports) ----

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `KEY=VALUE` lists and mappings are one thing to Compose (environment, labels). */
export function listToMap(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const e of v) {
    if (typeof e !== 'string') return v; // left for the validator to name
    const eq = e.indexOf('=');
    out[eq < 0 ? e : e.slice(0, eq)] = eq < 0 ? null : e.slice(eq + 1);
  }
  return out;
}

/** depends_on and networks as lists are mappings whose values are empty. */
function namesToMap(v: unknown): unknown {
  return Array.isArray(v) && v.every((e) => typeof e === 'string') ? Object.fromEntries(v.map((e: string) => [e, null])) : v;
}

/** Where a volume entry mounts (volumes are merged by their target). */
function volumeTarget(v: unknown): string {
  if (typeof v === 'string') {
    const parts = v.split(':');
    return parts.length === 1 ? parts[0]! : parts[1]!;
  }
  return isMap(v) && typeof v.target === 'string' ? v.target : JSON.stringify(v);
}

function mergeService(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (b === undefined) out[k] = v;
    else if (k === 'environment' || k === 'labels') out[k] = mergeMaps(listToMap(b), listToMap(v));
    else if (k === 'depends_on' || k === 'networks') out[k] = mergeMaps(namesToMap(b), namesToMap(v));
    else if (k === 'volumes' && Array.isArray(b) && Array.isArray(v)) {
      const byTarget = new Map<string, unknown>(b.map((e) => [volumeTarget(e), e]));
      for (const e of v) byTarget.set(volumeTarget(e), e);
      out[k] = [...byTarget.values()];
    } else if (['ports', 'expose', 'dns', 'tmpfs', 'cap_add', 'cap_drop', 'env_file'].includes(k) && Array.isArray(b) && Array.isArray(v)) {
      const seen = new Set(b.map((e) => JSON.stringify(e)));
      out[k] = [...b, ...v.filter((e) => !seen.has(JSON.stringify(e)))];
    } else if (isMap(b) && isMap(v)) out[k] = mergeMaps(b, v);
    else out[k] = v; // scalars and other sequences (command, entrypoint): replaced
  }
  return out;
}

function mergeMaps(b: unknown, v: unknown): unknown {
  if (!isMap(b) || !isMap(v)) return v;
  const out: Record<string, unknown> = { ...b };
  for (const [k, x] of Object.entries(v)) out[k] = isMap(out[k]) && isMap(x) ? mergeMaps(out[k], x) : x;
  return out;
}

export function mergeTop(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === 'services' && isMap(out[k]) && isMap(v)) {
      const services: Record<string, unknown> = { ...(out[k] as Record<string, unknown>) };
      for (const [name, svc] of Object.entries(v)) services[name] = isMap(services[name]) && isMap(svc) ? mergeService(services[name] as Record<string, unknown>, svc) : svc;
      out[k] = services;
    } else out[k] = mergeMaps(out[k], v);
  }
  return out;
}
