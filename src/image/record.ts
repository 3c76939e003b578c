/**
 * The image store's files read strictly: images/tags.json and images/<id>.json are parsed and
 * checked field by field, so a truncated or hand-edited file is reported as broken (with
 * what is wrong) instead of being half-used: an image record whose layers cannot be read must
 * never count as "uses no layers". Pure: the store (store.ts) does the reading.
 */
import { MAX_LAYERS } from './limits.js';

/** What images/<id>.json holds (store.ts's ImageRecord without tags, which tags.json owns). */
export interface StoredImage {
  id: string;
  layers: string[];
  config: StoredConfig;
  created: string;
  size: number;
  history?: { created?: string; createdBy?: string; comment?: string; emptyLayer?: boolean }[];
  repoDigests?: string[];
  platform?: string;
  /** the manifest format it last came as (push sends that by default) */
  manifestFormat?: 'oci' | 'docker';
}

export interface StoredConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
}

/** The file cannot be used: `problem` says why, in a few words. */
export class RecordProblem extends Error {}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const ID = /^[0-9a-f]{64}$/;

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // "Unexpected end of JSON input", "Unexpected token } in JSON at position 12", ...
    throw new RecordProblem((err as Error).message);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** images/tags.json: {"name:tag": "<64 hex image id>", ...}. Throws RecordProblem. */
export function parseTags(text: string): Record<string, string> {
  const v = parse(text);
  if (!isObject(v)) throw new RecordProblem(`not a JSON object of tags (it is ${Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'null' : `a ${typeof v}`})`);
  for (const [k, id] of Object.entries(v)) {
    if (typeof id !== 'string' || !ID.test(id)) throw new RecordProblem(`the tag ${JSON.stringify(k)} points to ${JSON.stringify(id)}, not an image ID`);
  }
  return v as Record<string, string>;
}

/** images/<id>.json, whose file name says `id`. Throws RecordProblem. */
export function parseImageRecord(text: string, id: string): StoredImage {
  const v = parse(text);
  if (!isObject(v)) throw new RecordProblem('not a JSON object');
  if (v.id !== id) throw new RecordProblem(`its "id" is ${JSON.stringify(v.id)}, not the ${id.slice(0, 12)} its file name says`);
  const layers = v.layers;
  if (!Array.isArray(layers)) throw new RecordProblem('"layers" is missing or not a list');
  const bad = layers.find((l) => typeof l !== 'string' || !DIGEST.test(l));
  if (bad !== undefined) throw new RecordProblem(`"layers" has ${JSON.stringify(bad)}, not a sha256 digest`);
  if (layers.length > MAX_LAYERS) throw new RecordProblem(`it has ${layers.length} layers, more than ${MAX_LAYERS}`);
  if (!isObject(v.config)) throw new RecordProblem('"config" is missing or not an object');
  for (const k of ['Env', 'Cmd', 'Entrypoint'] as const) {
    if (v.config[k] !== undefined && !isStrings(v.config[k])) throw new RecordProblem(`"config.${k}" is not a list of strings`);
  }
  for (const k of ['WorkingDir', 'User'] as const) {
    if (v.config[k] !== undefined && typeof v.config[k] !== 'string') throw new RecordProblem(`"config.${k}" is not a string`);
  }
  const hc = v.config.Healthcheck;
  if (hc !== undefined && !(isObject(hc) && isStrings(hc.Test) && ['Interval', 'Timeout', 'StartPeriod', 'Retries'].every((k) => hc[k] === undefined || Number.isInteger(hc[k])))) {
    throw new RecordProblem('"config.Healthcheck" is not a health check (Test, and whole numbers)');
  }
  if (typeof v.created !== 'string' || Number.isNaN(Date.parse(v.created))) throw new RecordProblem('"created" is missing or not a time');
  if (typeof v.size !== 'number' || !Number.isFinite(v.size) || v.size < 0) throw new RecordProblem('"size" is missing or not a number of bytes');
  if (v.history !== undefined && !(Array.isArray(v.history) && v.history.every(isObject))) throw new RecordProblem('"history" is not a list of steps');
  if (v.repoDigests !== undefined && !isStrings(v.repoDigests)) throw new RecordProblem('"repoDigests" is not a list of strings');
  if (v.platform !== undefined && typeof v.platform !== 'string') throw new RecordProblem('"platform" is not a string');
  if (v.manifestFormat !== undefined && v.manifestFormat !== 'oci' && v.manifestFormat !== 'docker') throw new RecordProblem('"manifestFormat" is not "oci" or "docker"');
  return v as unknown as StoredImage;
}

/** layers/<hex>/layer.json: {"digest": "sha256:<hex>", "size": N}. Throws RecordProblem. */
export function parseLayerMeta(text: string, digest: string): { digest: string; size: number } {
  const v = parse(text);
  if (!isObject(v)) throw new RecordProblem('not a JSON object');
  if (v.digest !== digest) throw new RecordProblem(`its "digest" is ${JSON.stringify(v.digest)}, not the ${digest.slice(7, 19)} its directory name says`);
  if (typeof v.size !== 'number' || !Number.isFinite(v.size) || v.size < 0) throw new RecordProblem('"size" is missing or not a number of bytes');
  return { digest, size: v.size };
}
