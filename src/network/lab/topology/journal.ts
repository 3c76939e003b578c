/**
 * The journal of a lab: every object `up` is about to create is appended (and synced) before
 * the command that creates it runs. So after a crash or a SIGKILL midway, the journal names a
 * superset of what exists, and `down` can remove exactly that without guessing from names.
 * Format: JSON lines; a torn last line (killed mid-write) is ignored.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../../../paths.js';
import type { Created } from '../../host/actions.js';

export interface JournalState {
  lab: string;
  hash: string;
  file?: string;
  complete: boolean;
  created: Created[];
}

export function journalPath(lab: string): string {
  return join(paths.net(), `${lab}.journal`);
}

export function readJournal(lab: string): JournalState | undefined {
  const file = journalPath(lab);
  if (!existsSync(file)) return undefined;
  const state: JournalState = { lab, hash: '', complete: false, created: [] };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (typeof rec.hash === 'string') state.hash = rec.hash;
    if (typeof rec.file === 'string') state.file = rec.file;
    if (Array.isArray(rec.created)) state.created.push(...(rec.created as Created[]));
    if (rec.complete === true) state.complete = true;
  }
  return state;
}

export function listJournals(): string[] {
  if (!existsSync(paths.net())) return [];
  return readdirSync(paths.net())
    .filter((f) => f.endsWith('.journal'))
    .map((f) => f.slice(0, -'.journal'.length))
    .sort();
}

export function removeJournal(lab: string): void {
  rmSync(journalPath(lab), { force: true });
}

/** An open journal being written by `up`. */
export class JournalWriter {
  private readonly fd: number;

  constructor(lab: string, hash: string, file?: string) {
    mkdirSync(paths.net(), { recursive: true });
    this.fd = openSync(journalPath(lab), 'w');
    this.append({ lab, hash, file, started: new Date().toISOString() });
  }

  private append(rec: object): void {
    writeSync(this.fd, JSON.stringify(rec) + '\n');
    fsyncSync(this.fd);
  }

  record(created: Created[]): void {
    this.append({ created });
  }

  complete(): void {
    this.append({ complete: true });
    this.close();
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
