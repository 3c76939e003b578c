/**
 * From a parsed Dockerfile to a build plan: the stages (FROM an image, `scratch` or an earlier
 * stage), each instruction checked and read into what it does, which stages the target needs
 * (only those are built, as BuildKit does), and which images must exist before anything runs.
 * Also the pure parts of the instructions' meaning: the ARG scopes, exec and shell forms,
 * EXPOSE ports, HEALTHCHECK options, durations, signals. Everything here is pure: the executor
 * (build.ts) does the work.
 */
import { constants } from 'node:os';
import { formatPlatform, hostPlatform } from '../image/manifest.js';
import { parseReference } from '../image/reference.js';
import { DockerfileError, type Dockerfile, type Flag, type Instruction } from './parse.js';
import { expandWord, expandWords, splitWords, WordError, type Vars } from './words.js';

export type StageBase = { kind: 'scratch' } | { kind: 'image'; ref: string } | { kind: 'stage'; index: number };

/** Where COPY --from reads: an earlier stage, or an image. */
export type CopySource = { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

export type Step =
  | { kind: 'RUN' | 'CMD' | 'ENTRYPOINT'; instr: Instruction; exec?: string[]; shell?: string }
  | { kind: 'SHELL'; instr: Instruction; shell: string[] }
  | { kind: 'COPY' | 'ADD'; instr: Instruction; from?: CopySource; chown?: string; chmod?: number }
  | { kind: 'ARG'; instr: Instruction; args: { name: string; default?: string }[] }
  | { kind: 'HEALTHCHECK'; instr: Instruction; health: HealthSpec }
  | { kind: 'ENV' | 'LABEL' | 'WORKDIR' | 'USER' | 'EXPOSE' | 'VOLUME' | 'STOPSIGNAL'; instr: Instruction };

export interface HealthSpec {
  /** NONE: turn off the base image's check */
  none: boolean;
  exec?: string[];
  shell?: string;
  /** nanoseconds, as the image config records them */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface Stage {
  index: number;
  /** AS NAME (lower case), if given */
  name?: string;
  base: StageBase;
  /** the FROM instruction, its image name expanded */
  from: Instruction;
  steps: Step[];
}

export interface BuildPlan {
  file: string;
  escape: string;
  /** ARGs before the first FROM, with their values (--build-arg, else the default) */
  globalArgs: Map<string, string | undefined>;
  stages: Stage[];
  /** the stage the image is made of (--target, else the last) */
  target: number;
  /** the stages to build, in order: the target and every stage it needs */
  order: number[];
  /** images the build needs (FROM, COPY --from): each must exist before anything runs */
  images: { ref: string; instr: Instruction }[];
  /** --build-arg names no ARG of the built stages declares (Docker warns about them) */
  unusedArgs: string[];
}

export interface PlanOptions {
  buildArgs?: ReadonlyMap<string, string>;
  target?: string;
}

/** Build args Docker accepts without an ARG instruction (proxies). */
const PREDEFINED_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

const FLAGS: Record<string, readonly string[]> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod'],
  ADD: ['chown', 'chmod'],
  RUN: [],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

function fail(df: Dockerfile, instr: Instruction, problem: string): never {
  throw new DockerfileError(df.file, instr.line, problem);
}

function checkFlags(df: Dockerfile, instr: Instruction): Map<string, string | undefined> {
  const allowed = FLAGS[instr.keyword] ?? [];
  const out = new Map<string, string | undefined>();
  for (const f of instr.flags as Flag[]) {
    if (!allowed.includes(f.name)) {
      const which = allowed.length ? ` (${instr.keyword} takes ${allowed.map((a) => `--${a}`).join(', ')})` : '';
      fail(df, instr, `${instr.keyword} --${f.name} is not supported by minictr${which}`);
    }
    if (out.has(f.name)) fail(df, instr, `${instr.keyword} --${f.name} is given twice`);
    if (f.value === undefined || f.value === '') fail(df, instr, `${instr.keyword} --${f.name} needs a value (--${f.name}=VALUE)`);
    out.set(f.name, f.value);
  }
  return out;
}

/** "30s", "1m30s", "1.5h", "500ms" (Go's time.ParseDuration) in nanoseconds. */
export function parseDuration(s: string): number | undefined {
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * unit[m[2]!]!;
    at = re.lastIndex;
  }
  return at === s.length && s.length > 0 ? Math.round(total) : undefined;
}

/** RUN, CMD, ENTRYPOINT: exec form or shell form. */
function commandForm(df: Dockerfile, instr: Instruction): { exec?: string[]; shell?: string } {
  if (instr.json) {
    if (instr.json.length === 0 && instr.keyword === 'RUN') fail(df, instr, 'RUN [] has no command');
    return { exec: instr.json };
  }
  if (!instr.args) fail(df, instr, `${instr.keyword} needs a command`);
  return { shell: instr.args };
}

function healthSpec(df: Dockerfile, instr: Instruction, flags: Map<string, string | undefined>): HealthSpec {
  const words = instr.args.split(/\s+/);
  const what = (words[0] ?? '').toUpperCase();
  if (what === 'NONE') {
    if (words.length > 1 || flags.size) fail(df, instr, 'HEALTHCHECK NONE takes no other arguments');
    return { none: true };
  }
  if (what !== 'CMD') fail(df, instr, 'HEALTHCHECK needs CMD COMMAND or NONE');
  const rest = instr.args.slice(words[0]!.length).trim();
  if (!rest) fail(df, instr, 'HEALTHCHECK CMD needs a command');
  const spec: HealthSpec = { none: false };
  let json: unknown;
  try {
    json = rest.startsWith('[') ? JSON.parse(rest) : undefined;
  } catch {
    json = undefined;
  }
  if (Array.isArray(json) && json.length && json.every((x) => typeof x === 'string')) spec.exec = json as string[];
  else spec.shell = rest;
  for (const [name, key] of [['interval', 'interval'], ['timeout', 'timeout'], ['start-period', 'startPeriod'], ['start-interval', 'startInterval']] as const) {
    const v = flags.get(name);
    if (v === undefined) continue;
    const ns = parseDuration(v);
    if (ns === undefined) fail(df, instr, `HEALTHCHECK --${name}=${v}: not a duration (e.g. 30s, 1m30s)`);
    if (ns !== 0 && ns < 1e6) fail(df, instr, `HEALTHCHECK --${name}=${v}: at least 1ms`);
    spec[key] = ns;
  }
  const retries = flags.get('retries');
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries)) fail(df, instr, `HEALTHCHECK --retries=${retries}: not a whole number`);
    spec.retries = Number(retries);
  }
  return spec;
}

/** The stage a name or number means, if it is an earlier stage; undefined for an image. */
function stageRef(df: Dockerfile, instr: Instruction, value: string, stages: Stage[], later: Set<string>): number | undefined {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n >= stages.length) fail(df, instr, `${instr.keyword} --from=${value}: there is no stage ${n} before this one (stages are numbered from 0)`);
    return n;
  }
  const found = stages.find((s) => s.name === value.toLowerCase());
  if (found) return found.index;
  if (later.has(value.toLowerCase())) fail(df, instr, `${instr.keyword} --from=${value}: stage ${value} is defined after this instruction`);
  return undefined;
}

function checkImageRef(df: Dockerfile, instr: Instruction, ref: string, what: string): void {
  try {
    parseReference(ref);
  } catch (err) {
    fail(df, instr, `${what}: ${(err as Error).message}`);
  }
}

/** ARG NAME[=default] ... */
function argDecls(df: Dockerfile, instr: Instruction): { name: string; default?: string }[] {
  let words: string[];
  try {
    words = splitWords(instr.args, df.escape);
  } catch (err) {
    fail(df, instr, (err as Error).message);
  }
  if (words.length === 0) fail(df, instr, 'ARG needs a name (ARG NAME or ARG NAME=default)');
  return words.map((w) => {
    const eq = w.indexOf('=');
    const name = eq < 0 ? w : w.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(df, instr, `ARG: ${JSON.stringify(name)} is not a valid name`);
    return eq < 0 ? { name } : { name, default: w.slice(eq + 1) };
  });
}

function toStep(df: Dockerfile, instr: Instruction, stages: Stage[], later: Set<string>): Step {
  const flags = checkFlags(df, instr);
  switch (instr.keyword) {
    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT':
      return { kind: instr.keyword, instr, ...commandForm(df, instr) };
    case 'SHELL':
      if (!instr.json || instr.json.length === 0) fail(df, instr, 'SHELL needs a JSON array, e.g. SHELL ["/bin/bash", "-c"]');
      return { kind: 'SHELL', instr, shell: instr.json };
    case 'COPY':
    case 'ADD': {
      const step: Step = { kind: instr.keyword, instr };
      const from = flags.get('from');
      if (from !== undefined) {
        const index = stageRef(df, instr, from, stages, later);
        if (index !== undefined) step.from = { kind: 'stage', index };
        else {
          checkImageRef(df, instr, from, `COPY --from=${from}`);
          step.from = { kind: 'image', ref: from };
        }
      }
      const chown = flags.get('chown');
      if (chown !== undefined) step.chown = chown;
      const chmod = flags.get('chmod');
      if (chmod !== undefined) {
        if (!/^[0-7]{3,4}$/.test(chmod)) fail(df, instr, `${instr.keyword} --chmod=${chmod}: expected an octal mode, e.g. 755`);
        step.chmod = parseInt(chmod, 8);
      }
      const n = instr.json ? instr.json.length : instr.args.split(/\s+/).filter(Boolean).length;
      if (n < 2) fail(df, instr, `${instr.keyword} needs a source and a destination (${instr.keyword} SRC... DEST)`);
      return step;
    }
    case 'ARG':
      return { kind: 'ARG', instr, args: argDecls(df, instr) };
    case 'HEALTHCHECK':
      return { kind: 'HEALTHCHECK', instr, health: healthSpec(df, instr, flags) };
    case 'ENV':
    case 'LABEL':
    case 'WORKDIR':
    case 'USER':
    case 'EXPOSE':
    case 'VOLUME':
    case 'STOPSIGNAL':
      if (!instr.args) fail(df, instr, `${instr.keyword} needs an argument`);
      return { kind: instr.keyword, instr };
    case 'ONBUILD':
      return fail(df, instr, 'ONBUILD is not supported by minictr');
    case 'MAINTAINER':
      return fail(df, instr, 'MAINTAINER is deprecated and not supported: use LABEL maintainer="..."');
    case 'FROM':
      return fail(df, instr, 'FROM here is not a stage (internal)');
  }
}

/** FROM [--platform=P] IMAGE [AS NAME], the image name expanded with the global ARGs. */
function parseFrom(df: Dockerfile, instr: Instruction, globals: Vars): { image: string; name?: string } {
  const flags = checkFlags(df, instr);
  const platform = flags.get('platform');
  if (platform !== undefined) {
    // one platform is built, this machine's ($BUILDPLATFORM and $TARGETPLATFORM are it)
    const host = formatPlatform(hostPlatform());
    const vars = new Map([...globals, ['BUILDPLATFORM', host], ['TARGETPLATFORM', host]]);
    let p: string;
    try {
      p = expandWord(platform, vars, df.escape);
    } catch (err) {
      fail(df, instr, (err as Error).message);
    }
    if (p !== host) fail(df, instr, `FROM --platform=${p}: minictr builds for this machine's platform only (${host})`);
  }
  const words = instr.args.split(/\s+/).filter(Boolean);
  if (words.length !== 1 && !(words.length === 3 && words[1]!.toUpperCase() === 'AS')) {
    fail(df, instr, 'FROM needs IMAGE or IMAGE AS NAME');
  }
  let image: string;
  try {
    image = expandWord(words[0]!, globals, df.escape);
  } catch (err) {
    fail(df, instr, (err as Error).message);
  }
  if (!image) fail(df, instr, `FROM ${words[0]}: the image name is empty (is the ARG set?)`);
  const name = words[2]?.toLowerCase();
  if (name !== undefined && !/^[a-z][a-z0-9._-]*$/.test(name)) fail(df, instr, `FROM ... AS ${words[2]}: a stage name is a letter, then letters, digits, '.', '_' or '-'`);
  return name ? { image, name } : { image };
}

/** Turn a parsed Dockerfile into the build's plan (checks everything that needs no file). */
export function planBuild(df: Dockerfile, opts: PlanOptions = {}): BuildPlan {
  const buildArgs = opts.buildArgs ?? new Map<string, string>();
  const globalArgs = new Map<string, string | undefined>();
  const declared = new Set<string>();
  const stages: Stage[] = [];
  const stageNames = new Set<string>();
  // names of all stages, to tell "defined later" from "an image"
  const allNames = new Set<string>();
  for (const instr of df.instructions) {
    if (instr.keyword !== 'FROM') continue;
    const w = instr.args.split(/\s+/).filter((x) => !x.startsWith('--'));
    if (w.length === 3 && w[1]!.toUpperCase() === 'AS') allNames.add(w[2]!.toLowerCase());
  }
  const globalsVars = (): Map<string, string> => new Map([...globalArgs].filter((e): e is [string, string] => e[1] !== undefined));

  let current: Stage | undefined;
  for (const instr of df.instructions) {
    if (instr.keyword === 'FROM') {
      const { image, name } = parseFrom(df, instr, globalsVars());
      if (name) {
        if (stageNames.has(name)) fail(df, instr, `stage name ${name} is used twice`);
        stageNames.add(name);
      }
      let base: StageBase;
      const earlier = stages.find((s) => s.name !== undefined && s.name === image.toLowerCase());
      if (earlier) base = { kind: 'stage', index: earlier.index };
      else if (image.toLowerCase() === 'scratch') base = { kind: 'scratch' };
      else {
        if (name && image.toLowerCase() === name) fail(df, instr, `FROM ${image} AS ${name}: a stage cannot be built on itself`);
        checkImageRef(df, instr, image, `FROM ${image}`);
        base = { kind: 'image', ref: image };
      }
      current = { index: stages.length, base, from: { ...instr, text: `FROM ${image}${name ? ` AS ${name}` : ''}` }, steps: [] };
      if (name) current.name = name;
      stages.push(current);
      continue;
    }
    if (!current) {
      if (instr.keyword !== 'ARG') fail(df, instr, `${instr.keyword} before the first FROM: only ARG may come before FROM`);
      for (const a of argDecls(df, instr)) {
        declared.add(a.name);
        let value = buildArgs.get(a.name);
        if (value === undefined && a.default !== undefined) {
          try {
            value = expandWord(a.default, globalsVars(), df.escape);
          } catch (err) {
            fail(df, instr, (err as Error).message);
          }
        }
        globalArgs.set(a.name, value);
      }
      continue;
    }
    const later = new Set([...allNames].filter((n) => !stageNames.has(n)));
    const step = toStep(df, instr, stages.slice(0, current.index), later);
    if (step.kind === 'COPY' && step.from?.kind === 'stage' && step.from.index === current.index) {
      fail(df, instr, 'COPY --from cannot name its own stage');
    }
    current.steps.push(step);
  }
  if (!stages.length) throw new DockerfileError(df.file, df.instructions[0]!.line, 'the Dockerfile has no FROM');

  let target = stages.length - 1;
  if (opts.target !== undefined) {
    const t = stages.find((s) => s.name === opts.target!.toLowerCase());
    if (!t) {
      const names = stages.filter((s) => s.name).map((s) => s.name);
      throw new DockerfileError(df.file, stages[stages.length - 1]!.from.line, `--target ${opts.target}: no stage of that name${names.length ? ` (the stages are ${names.join(', ')})` : ' (no stage has a name: FROM IMAGE AS NAME)'}`);
    }
    target = t.index;
  }

  // the stages the target needs, through FROM <stage> and COPY --from=<stage>
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    const s = stages[i]!;
    if (s.base.kind === 'stage') visit(s.base.index);
    for (const step of s.steps) if (step.kind === 'COPY' && step.from?.kind === 'stage') visit(step.from.index);
  };
  visit(target);
  const order = [...needed].sort((a, b) => a - b);

  const images: BuildPlan['images'] = [];
  for (const i of order) {
    const s = stages[i]!;
    if (s.base.kind === 'image') images.push({ ref: s.base.ref, instr: s.from });
    for (const step of s.steps) {
      if (step.kind === 'COPY' && step.from?.kind === 'image') images.push({ ref: step.from.ref, instr: step.instr });
      if (step.kind === 'ARG') for (const a of step.args) declared.add(a.name);
    }
  }
  const unusedArgs = [...buildArgs.keys()].filter((k) => !declared.has(k) && !PREDEFINED_ARGS.has(k)).sort();
  return { file: df.file, escape: df.escape, globalArgs, stages, target, order, images, unusedArgs };
}

/**
 * ARG in a stage: its value is the --build-arg, else its default (expanded with what is in
 * scope), else the global ARG of that name (ARG NAME re-declares it in the stage), else unset.
 */
export function argValue(decl: { name: string; default?: string }, buildArgs: ReadonlyMap<string, string>, globals: ReadonlyMap<string, string | undefined>, vars: Vars, escape: string): string | undefined {
  const given = buildArgs.get(decl.name);
  if (given !== undefined) return given;
  if (decl.default !== undefined) return expandWord(decl.default, vars, escape);
  return globals.get(decl.name);
}

/** EXPOSE words: 80, 80/tcp, 53/udp, 8000-8002/tcp (a range is every port in it). */
export function exposedPorts(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
    if (!m) throw new WordError(`EXPOSE ${w}: expected PORT[/tcp|udp|sctp] or FIRST-LAST[/PROTO]`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first < 1 || last > 65535 || last < first) throw new WordError(`EXPOSE ${w}: ports are 1-65535`);
    if (last - first > 1000) throw new WordError(`EXPOSE ${w}: a range of more than 1000 ports`);
    for (let p = first; p <= last; p++) out.push(`${p}/${(m[3] ?? 'tcp').toLowerCase()}`);
  }
  return out;
}

/** STOPSIGNAL: a signal name (SIGTERM, TERM) or number, as the config records it. */
export function stopSignal(word: string): string {
  if (/^\d+$/.test(word)) {
    const n = Number(word);
    if (n < 1 || n > 64) throw new WordError(`STOPSIGNAL ${word}: not a signal number`);
    return word;
  }
  const name = word.toUpperCase().startsWith('SIG') ? word.toUpperCase() : `SIG${word.toUpperCase()}`;
  if (!(name in constants.signals) && !/^SIGRTM(IN|AX)([+-]\d+)?$/.test(name)) throw new WordError(`STOPSIGNAL ${word}: not a signal`);
  return name;
}

/** WORKDIR: an absolute path, a relative one joined to the current working dir. */
export function workdirPath(current: string | undefined, dir: string): string {
  const joined = dir.startsWith('/') ? dir : `${current || '/'}/${dir}`;
  const parts: string[] = [];
  for (const p of joined.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return `/${parts.join('/')}`;
}

/** The words of a VOLUME (JSON or shell form), each an absolute path. */
export function volumePaths(instr: Instruction, vars: Vars, escape: string): string[] {
  const words = instr.json ? instr.json.map((w) => expandWord(w, vars, escape)) : expandWords(instr.args, vars, escape);
  if (!words.length) throw new WordError('VOLUME needs a path');
  for (const w of words) if (!w.startsWith('/')) throw new WordError(`VOLUME ${w}: the path must be absolute`);
  return words;
}

/** COPY/ADD SRC... DEST: the words, expanded (JSON form: each element, not split). */
export function copyWords(instr: Instruction, vars: Vars, escape: string): { sources: string[]; dest: string } {
  const words = instr.json ? instr.json.map((w) => expandWord(w, vars, escape)) : instr.args.split(/\s+/).filter(Boolean).map((w) => expandWord(w, vars, escape));
  if (words.length < 2) throw new WordError(`${instr.keyword} needs a source and a destination`);
  return { sources: words.slice(0, -1), dest: words[words.length - 1]! };
}
