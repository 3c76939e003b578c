/**
 * A Dockerfile read into instructions, as Docker's parser reads it (buildkit
 * frontend/dockerfile/parser), so the same file means the same thing to both:
 *
 *   # escape=`          parser directives, only before anything else (escape, syntax, check)
 *   # a comment         a line whose first non-blank character is #, also inside a continued
 *                       instruction (it is dropped, the instruction goes on)
 *   RUN a \             the escape character at the end of a line continues the instruction
 *       b               on the next one ("RUN a     b": nothing is inserted)
 *   CMD ["a", "b"]      exec (JSON) form, when the arguments are a JSON array of strings
 *   COPY --from=x a b   flags, before the arguments
 *
 * Keywords are case-insensitive. Every error names the file and the line. Pure code: what the
 * arguments mean is plan.ts's.
 */
import { UsageError } from '../errors.js';

/** The instructions minictr builds (ONBUILD and MAINTAINER are refused by name, in plan.ts). */
export const KEYWORDS = [
  'FROM', 'RUN', 'CMD', 'ENTRYPOINT', 'COPY', 'ADD', 'ENV', 'ARG', 'WORKDIR', 'USER', 'EXPOSE',
  'LABEL', 'VOLUME', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL', 'ONBUILD', 'MAINTAINER',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

export interface Flag {
  name: string;
  /** undefined for a flag without "=" (--link) */
  value?: string;
}

export interface Instruction {
  keyword: Keyword;
  flags: Flag[];
  /** the arguments after the flags, continuations joined, trimmed */
  args: string;
  /** the arguments as a JSON array of strings, when they are one */
  json?: string[];
  /** the instruction as written (continuations joined): progress and history show it */
  text: string;
  /** its first line in the file (1-based) */
  line: number;
}

export interface Dockerfile {
  /** the file's name as the user gave it (-f), for error messages */
  file: string;
  escape: string;
  instructions: Instruction[];
}

/** A Dockerfile error: "Dockerfile:3: unknown instruction: RUNN". */
export class DockerfileError extends UsageError {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
  }
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax', 'check']);

/** Leading --flag[=value] words of an instruction's arguments. */
function takeFlags(rest: string): { flags: Flag[]; args: string } {
  const flags: Flag[] = [];
  let s = rest;
  for (;;) {
    const m = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(s);
    if (!m) break;
    flags.push(m[2] === undefined ? { name: m[1]! } : { name: m[1]!, value: m[2] });
    s = s.slice(m[0].length);
  }
  return { flags, args: s.trim() };
}

/** The JSON array form, if the text is one (Docker falls back to the shell form otherwise). */
function jsonForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(args);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* the shell form */
  }
  return undefined;
}

/** Instructions whose arguments may begin with --flags. */
const TAKES_FLAGS = new Set<Keyword>(['FROM', 'RUN', 'COPY', 'ADD', 'HEALTHCHECK']);

export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape = '\\';
  let i = 0;
  // parser directives: only at the very top, one each
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!.trim());
    if (!m || !KNOWN_DIRECTIVES.has(m[1]!.toLowerCase())) break;
    const name = m[1]!.toLowerCase();
    if (seen.has(name)) throw new DockerfileError(file, i + 1, `the ${name} directive is given twice`);
    seen.add(name);
    if (name === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new DockerfileError(file, i + 1, `invalid escape character ${JSON.stringify(m[2])}: use \\ or \``);
      escape = m[2];
    }
  }

  const instructions: Instruction[] = [];
  const continues = (l: string): boolean => l.trimEnd().endsWith(escape);
  const stripEscape = (l: string): string => {
    const t = l.trimEnd();
    return t.slice(0, t.length - escape.length);
  };
  while (i < lines.length) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      i++;
      continue;
    }
    const start = i + 1;
    let joined = '';
    let cur = raw.trimStart();
    for (;;) {
      if (!continues(cur)) {
        joined += cur;
        i++;
        break;
      }
      joined += stripEscape(cur);
      i++;
      // comment and blank lines inside a continued instruction are dropped
      while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#'))) i++;
      if (i >= lines.length) break;
      cur = lines[i]!;
    }
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(joined.trim());
    if (!m) continue;
    const word = m[1]!;
    const keyword = word.toUpperCase() as Keyword;
    if (!/^[A-Za-z]+$/.test(word) || !KEYWORDS.includes(keyword)) {
      throw new DockerfileError(file, start, `unknown instruction: ${word.length > 40 ? `${word.slice(0, 40)}…` : word}`);
    }
    const rest = (m[2] ?? '').trim();
    const { flags, args } = TAKES_FLAGS.has(keyword) ? takeFlags(rest) : { flags: [], args: rest };
    const instr: Instruction = { keyword, flags, args, text: `${keyword} ${rest}`.trim(), line: start };
    const json = jsonForm(args);
    if (json) instr.json = json;
    instructions.push(instr);
  }
  if (instructions.length === 0) throw new DockerfileError(file, 1, 'the file has no instructions');
  return { file, escape, instructions };
}
