/**
 * The compose file checked against minictr's own JSON schema (compose-schema.json: the
 * subset of the Compose specification minictr carries out, written for minictr; the
 * specification's schema is not ours to copy), with ajv, a well-kept validator, so that the
 * file's shape is stated in one declarative place rather than in code. Its first error
 * becomes one line that names the file and the field: `compose.yaml: services.web.ports[0]:
 * must be a string or number`. What a schema cannot say (port syntax, cycles, undefined
 * services, port clashes) is validate.ts's, after it. Loaded only by compose (ajv is large).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { UsageError } from '../errors.js';
import schema from './compose-schema.json' with { type: 'json' };

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // verbose: errors carry their schema, whose description is the reason a key is not supported
  compiled ??= new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true }).compile(schema);
  return compiled;
}

/** Throws one line for the first problem of the file's tree (after interpolation). */
export function checkSchema(tree: unknown, source: string): void {
  const validate = validator();
  if (validate(tree)) return;
  throw new UsageError(`${source}: ${describeError(validate.errors ?? [], tree)}`);
}

const TYPE_NAMES: Record<string, string> = { string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false', array: 'a list', object: 'a mapping', null: 'null' };

function given(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** `/services/web/ports/0` as `services.web.ports[0]` (an index where the value is a list). */
export function fieldPath(pointer: string, tree: unknown): string {
  let at: unknown = tree;
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += Array.isArray(at) ? `[${key}]` : out ? `.${key}` : key;
    at = (at as Record<string, unknown> | undefined)?.[key];
  }
  return out;
}

/** The most telling of ajv's errors, as `FIELD: what is wrong`: the deepest field's; there, a
 * branch that matched the value's type (an unknown key, a bad value) over the type errors of
 * the branches that did not; those alone become one "must be A or B". */
export function describeError(errors: ErrorObject[], tree: unknown): string {
  const real = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  const depth = (e: ErrorObject): number => e.instancePath.split('/').length + (e.keyword === 'additionalProperties' || e.keyword === 'required' ? 1 : 0);
  const deepest = Math.max(...real.map(depth));
  const here = real.filter((e) => depth(e) === deepest);
  const e = here.find((x) => x.keyword !== 'type') ?? here[0];
  if (!e) return 'does not match the compose schema';
  const path = fieldPath(e.instancePath, tree);
  const at = (key: string): string => (path ? `${path}.${key}` : key);
  switch (e.keyword) {
    case 'type': {
      const types = [...new Set(here.filter((x) => x.keyword === 'type').flatMap((x) => String(x.params.type).split(',')))];
      const names = types.map((t) => (types.length > 1 && t === 'boolean' ? 'a boolean' : (TYPE_NAMES[t] ?? t)));
      const either = names.length === 2 && names.every((n) => /^a \w+$/.test(n)) ? `${names[0]} or ${names[1]!.slice(2)}` : names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0];
      return `${path}: must be ${either}, got ${given(e.data)}`;
    }
    case 'additionalProperties': {
      const props = Object.entries(((e.parentSchema as { properties?: Record<string, { not?: unknown }> }).properties ?? {})).filter(([, s]) => !s.not).map(([k]) => k);
      return `${at(String(e.params.additionalProperty))}: unknown key, not supported by minictr compose${props.length ? ` (supported here: ${props.join(', ')})` : ''}`;
    }
    case 'not': {
      const why = (e.parentSchema as { description?: string }).description;
      return `${path}: not supported yet by minictr compose${why ? ` (${why})` : ''}`;
    }
    case 'required':
      return `${at(String(e.params.missingProperty))}: missing`;
    case 'enum':
      return `${path}: ${JSON.stringify(e.data)}: expected one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
    default:
      return `${path}: ${e.message ?? 'does not match the compose schema'}`;
  }
}
