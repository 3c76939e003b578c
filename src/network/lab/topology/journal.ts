/**
 * The journal of a lab: every object `up` is about to create is appended (and synced) before
 * the command that creates it runs. So after a crash or a SIGKILL midway, the journal names a
 * superset of what exists, and `down` can remove exactly that without guessing from names.
 * Format: JSON lines; a torn last line (killed mid-write) is ignored.
 *
 * A journal is a file in $MINICTR_RUN/net, and nothing in it is taken on trust: it is opened by
 * a path made of a checked lab name, inside a net/ that is a real directory (not a symlink),
 * only if it is a regular file (not a symlink) of a bounded size, and every record and every
 * name in it is checked again, by the rule of its kind, before down or status uses it. A
 * journal that fails is refused whole, with its path and line, and left for a person to see.
 *
 * A container node's `minictr run` is a process of its own, which outlives an up killed with
 * SIGKILL: it is journaled too ({"run": {name, pid, start}} as soon as it is spawned, before
 * it makes anything; {"ran": name} once it ended), so `down` knows from state which runs may
 * still be making a container of the lab. A run that was killed itself never writes its
 * "ran": its pid and start time no longer name a live process, and the next command that reads
 * the journal treats it as ended (down and up's rebuild remove the journal with it).
 */
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MinictrError } from '../../../errors.js';
import { checkName, isValidName, type NameKind } from '../../../names.js';
import { paths } from '../../../paths.js';
import type { Created } from '../../host/actions.js';
import { readOpenFile } from '../../../util/bounded-read.js';

/** A container node's `minictr run` on its way: the process (pid + start time) and its container. */
export interface JournalRun {
  name: string;
  pid: number;
  /** field 22 of /proc/PID/stat when it was spawned: pid and start name one process for good */
  start: string;
}

export interface JournalState {
  lab: string;
  hash: string;
  file?: string;
  /** The machine this is the part of, for a lab placed on machines. */
  machine?: string;
  complete: boolean;
  created: Created[];
  /** Runs journaled as started and not as ended (each may have been killed since). */
  runs: JournalRun[];
}

/** The rule each kind of journal entry is held to: what `up` creates, nothing else. */
export const ENTRY_RULES: Readonly<Record<Created['kind'], NameKind>> = {
  netns: 'lab host',
  'etc-netns': 'lab host',
  link: 'interface',
  'ovs-bridge': 'interface',
  container: 'container',
};

/** The biggest journal read: a lab of 100,000 objects is about 6 MB. */
export const MAX_JOURNAL_BYTES = 64 * 1024 * 1024;

const SUFFIX = '.journal';

export function journalPath(lab: string): string {
  return join(paths.net(), `${checkName('lab', lab)}${SUFFIX}`);
}

/** A journal that cannot be trusted: one line naming it and why; nothing was acted on. */
export class JournalError extends MinictrError {
  constructor(message: string) {
    // nothing takes it over on its own: what it names may be someone else's
    super(`${message} (look at it, then remove it by hand)`);
  }
}

/** $MINICTR_RUN/net, opened as a directory that is not a symlink (undefined: none yet). */
function openNetDir(): number | undefined {
  const dir = paths.net();
  try {
    return openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'ENOTDIR') throw new JournalError(`${dir} is not a directory (a symlink or a file): no lab journal is read from it`);
    throw new JournalError(`${dir} cannot be opened (${code})`);
  }
}

/** The file's text, read through the directory's fd so nothing on the way can be a symlink. */
function readJournalText(lab: string): string | undefined {
  const file = journalPath(lab);
  const dirFd = openNetDir();
  if (dirFd === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(`/proc/self/fd/${dirFd}/${lab}${SUFFIX}`, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new JournalError(`journal ${file} is a symlink: refused`);
    throw new JournalError(`journal ${file} cannot be opened (${code})`);
  } finally {
    closeSync(dirFd);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new JournalError(`journal ${file} is not a regular file: refused`);
    if (st.size > MAX_JOURNAL_BYTES) throw new JournalError(`journal ${file} is ${st.size} bytes, more than the ${MAX_JOURNAL_BYTES} a journal may be: refused`);
    return readOpenFile(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

const KEYS = new Set(['lab', 'hash', 'file', 'machine', 'started', 'created', 'complete', 'run', 'ran']);

/** The journal's records, each checked; a JournalError names the line of the first bad one. */
export function parseJournal(lab: string, text: string, where = journalPath(lab)): JournalState {
  const state: JournalState = { lab, hash: '', complete: false, created: [], runs: [] };
  const lines = text.split('\n');
  // the last line is complete only when the text ends with a newline
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const bad: (why: string) => never = (why) => {
      throw new JournalError(`journal ${where}: line ${i + 1}: ${why}: refused, nothing was removed`);
    };
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      // up appends whole synced lines: only the last one can be torn, by a kill midway
      if (i === lines.length - 1 && !text.endsWith('\n')) return;
      bad('not a JSON record');
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) bad('not a JSON record');
    const r = rec as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!KEYS.has(k)) bad(`unknown key ${JSON.stringify(k.slice(0, 40))}`);
    if (r.lab !== undefined && r.lab !== lab) bad(`it is the journal of lab ${JSON.stringify(String(r.lab).slice(0, 64))}, not of ${lab}`);
    if (r.hash !== undefined) {
      if (typeof r.hash !== 'string' || !/^[0-9a-f]{1,64}$/.test(r.hash)) bad('hash is not a hex digest');
      state.hash = r.hash;
    }
    if (r.file !== undefined) {
      if (typeof r.file !== 'string' || !r.file.startsWith('/') || r.file.length > 4096 || /[\0\n]/.test(r.file)) bad('file is not an absolute path');
      state.file = r.file;
    }
    if (r.machine !== undefined) {
      if (typeof r.machine !== 'string' || !isValidName('lab host', r.machine)) bad('machine is not a machine name');
      state.machine = r.machine;
    }
    if (r.started !== undefined && (typeof r.started !== 'string' || r.started.length > 64)) bad('started is not a time');
    if (r.created !== undefined) {
      if (!Array.isArray(r.created)) bad('created is not a list');
      for (const c of r.created as unknown[]) {
        const e = c as Record<string, unknown> | null;
        if (e === null || typeof e !== 'object' || Object.keys(e).some((k) => k !== 'kind' && k !== 'name')) bad('an entry is not {kind, name}');
        const kind = e.kind as Created['kind'];
        if (typeof kind !== 'string' || !Object.hasOwn(ENTRY_RULES, kind)) bad(`an entry of unknown kind ${JSON.stringify(String(e.kind).slice(0, 40))}`);
        const rule = ENTRY_RULES[kind];
        if (typeof e.name !== 'string' || !isValidName(rule, e.name)) bad(`${JSON.stringify(String(e.name).slice(0, 64))} is not a valid ${rule} name for a ${kind} entry`);
        state.created.push({ kind, name: e.name });
      }
    }
    if (r.run !== undefined) {
      const run = r.run as Record<string, unknown> | null;
      if (run === null || typeof run !== 'object' || Object.keys(run).some((k) => k !== 'name' && k !== 'pid' && k !== 'start')) bad('run is not {name, pid, start}');
      if (typeof run.name !== 'string' || !isValidName('container', run.name)) bad('run.name is not a container name');
      if (!Number.isSafeInteger(run.pid) || (run.pid as number) < 2) bad('run.pid is not a process id');
      if (typeof run.start !== 'string' || !/^\d{1,20}$/.test(run.start)) bad('run.start is not a process start time');
      state.runs.push({ name: run.name, pid: run.pid as number, start: run.start });
    }
    if (r.ran !== undefined) {
      if (typeof r.ran !== 'string' || !isValidName('container', r.ran)) bad('ran is not a container name');
      state.runs = state.runs.filter((x) => x.name !== r.ran);
    }
    if (r.complete !== undefined) {
      if (r.complete !== true) bad('complete is not true');
      state.complete = true;
    }
  });
  return state;
}

/** The lab's journal, checked whole; undefined when the lab has none. */
export function readJournal(lab: string): JournalState | undefined {
  const text = readJournalText(lab);
  return text === undefined ? undefined : parseJournal(lab, text);
}

/** Labs with a journal: only files named LAB.journal with a valid LAB (anything else is not ours). */
export function listJournals(): string[] {
  const dirFd = openNetDir();
  if (dirFd === undefined) return [];
  closeSync(dirFd);
  return readdirSync(paths.net())
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .filter((lab) => isValidName('lab', lab))
    .sort();
}

/** $MINICTR_RUN/net made if need be (owner only), and refused if it is not a real directory. */
export function ensureNetDir(): void {
  mkdirSync(paths.net(), { recursive: true, mode: 0o700 });
  const dirFd = openNetDir();
  if (dirFd !== undefined) closeSync(dirFd);
}

export function removeJournal(lab: string): void {
  // rm of a symlink removes the link, never what it points to
  rmSync(journalPath(lab), { force: true });
}

/** An open journal being written by `up`. */
export class JournalWriter {
  private readonly fd: number;
  private closed = false;

  constructor(lab: string, hash: string, file?: string, machine?: string) {
    const path = journalPath(lab);
    ensureNetDir();
    if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) throw new JournalError(`journal ${path} is a symlink: refused`);
    // never through a symlink planted since: O_NOFOLLOW
    this.fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
    this.append({ lab, hash, file, machine, started: new Date().toISOString() });
  }

  private append(rec: object): void {
    writeSync(this.fd, JSON.stringify(rec) + '\n');
    fsyncSync(this.fd);
  }

  record(created: Created[]): void {
    this.append({ created });
  }

  /** A container's `minictr run` was spawned (pid, start time) and has not made anything yet. */
  runStarted(run: JournalRun): void {
    this.append({ run });
  }

  /** It ended (made the container or failed). After close (a rollback): its process is gone
   * anyway, which is what readers go by. */
  runEnded(name: string): void {
    if (!this.closed) this.append({ ran: name });
  }

  complete(): void {
    this.append({ complete: true });
    this.close();
  }

  close(): void {
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
