/**
 * Compose's variable substitution, applied to every string value of a file (never to keys):
 * `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
 * `${VAR:?message}` / `${VAR?message}` (required), `${VAR:+alt}` / `${VAR+alt}`, and `$$` for a
 * literal `$`. A default may itself hold `${...}`. Unset variables without a default become ""
 * and are reported once, as Compose warns about them.
 */
import { UsageError } from '../errors.js';

export type Vars = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export interface Interpolation {
  vars: Vars;
  /** names used but unset (no default): Compose substitutes "" and warns */
  unset: Set<string>;
}

/** One string; where says which field it is (`compose.yaml: services.web.image`). */
export function interpolateString(s: string, ctx: Interpolation, where: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(s, i + 2);
      if (end < 0) throw new UsageError(`${where}: invalid interpolation format in ${JSON.stringify(s)}: no closing }`);
      out += expand(s.slice(i + 2, end), ctx, where, s);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(s.slice(i + 1));
    if (m) {
      out += lookup(m[0], ctx);
      i += 1 + m[0].length;
      continue;
    }
    out += '$'; // a lone $ (before a space, a digit...) stays, as Compose leaves it
    i++;
  }
  return out;
}

function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let j = from; j < s.length; j++) {
    if (s[j] === '{' && s[j - 1] === '$') depth++;
    else if (s[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

function lookup(name: string, ctx: Interpolation): string {
  const v = ctx.vars[name];
  if (v === undefined) {
    ctx.unset.add(name);
    return '';
  }
  return v;
}

function expand(body: string, ctx: Interpolation, where: string, whole: string): string {
  const m = NAME.exec(body);
  if (!m) throw new UsageError(`${where}: invalid interpolation format in ${JSON.stringify(whole)}: "\${${body}}" names no variable`);
  const name = m[0];
  const rest = body.slice(name.length);
  if (rest === '') return lookup(name, ctx);
  const op = /^(:?)([-?+])/.exec(rest);
  if (!op) throw new UsageError(`${where}: invalid interpolation format in ${JSON.stringify(whole)}: "\${${body}}"`);
  const arg = () => interpolateString(rest.slice(op[0].length), ctx, where);
  const value = ctx.vars[name];
  const missing = op[1] === ':' ? value === undefined || value === '' : value === undefined;
  switch (op[2]) {
    case '-':
      return missing ? arg() : value!;
    case '+':
      return missing ? '' : arg();
    default: {
      if (!missing) return value!;
      const msg = arg();
      throw new UsageError(`${where}: required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`);
    }
  }
}

/** Every string value of a parsed YAML tree (mappings' keys untouched). */
export function interpolateTree(node: unknown, ctx: Interpolation, where: string): unknown {
  if (typeof node === 'string') return interpolateString(node, ctx, where);
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, ctx, `${where}[${i}]`));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, ctx, where.endsWith(': ') ? `${where}${k}` : `${where}.${k}`);
    return out;
  }
  return node;
}

/** A `.env` file: KEY=VALUE lines, `#` comments, `export ` allowed, values optionally quoted
 * ('…' literal, "…" with \n escapes); a value is not interpolated further. */
export function parseDotEnv(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new UsageError(`${file}:${n + 1}: expected KEY=VALUE`);
    let v = m[2]!;
    if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1);
    else if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    else v = v.replace(/\s+#.*$/, '');
    out[m[1]!] = v;
  }
  return out;
}
