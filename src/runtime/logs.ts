/**
 * `minictr logs`: read the records minictr-monitor wrote (1 byte stream, 8 bytes time in ns,
 * 4 bytes length, little-endian, then the bytes) and replay them to stdout and stderr.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { MinictrError, NotFoundError } from '../errors.js';
import { EXIT_RECORD_GRACE_MS, exitFile, findContainer, isRunning, logFile, type Container } from './store.js';

export interface LogRecord {
  stream: 1 | 2;
  timeNs: bigint;
  data: Buffer;
}

export interface LogOptions {
  follow: boolean;
  tail?: number;
  timestamps?: boolean;
  /** put before every line (compose: `SERVICE-N | `) */
  prefix?: string;
  /** with follow: end at the exit of the run that is current now, even when a restart
   * policy starts the container again (run --restart without -d, as Docker's next-exit) */
  firstRun?: boolean;
}

/** Parse whole records from buf; returns them and how many bytes were used. */
export function parseRecords(buf: Buffer): { records: LogRecord[]; used: number } {
  const records: LogRecord[] = [];
  let off = 0;
  while (off + 13 <= buf.length) {
    const len = buf.readUInt32LE(off + 9);
    if (off + 13 + len > buf.length) break;
    records.push({ stream: buf[off] === 2 ? 2 : 1, timeNs: buf.readBigUInt64LE(off + 1), data: buf.subarray(off + 13, off + 13 + len) });
    off += 13 + len;
  }
  return { records, used: off };
}

/** The last n lines seen so far, each with its stream: all a --tail keeps in memory. */
export class LineTail {
  private lines: LogRecord[] = [];
  /** an unfinished line (no newline yet), continued by the next record of its stream */
  private partial: LogRecord | undefined;
  constructor(private readonly n: number) {}

  add(r: LogRecord): void {
    let start = 0;
    for (let i = 0; i <= r.data.length; i++) {
      if (i < r.data.length && r.data[i] !== 10) continue;
      const end = i < r.data.length ? i + 1 : i;
      if (end > start) this.segment(r, r.data.subarray(start, end));
      start = end;
    }
  }

  private segment(r: LogRecord, seg: Buffer): void {
    let data = Buffer.from(seg);
    if (this.partial && this.partial.stream === r.stream) data = Buffer.concat([this.partial.data, data]);
    else if (this.partial) this.push(this.partial);
    this.partial = undefined;
    // a line without end is cut at 1 MiB, so --tail stays bounded
    if (data[data.length - 1] === 10 || data.length > 1 << 20) this.push({ ...r, data });
    else this.partial = { ...r, data };
  }

  private push(line: LogRecord): void {
    this.lines.push(line);
    if (this.lines.length > 2 * this.n + 16) this.lines = this.lines.slice(this.lines.length - this.n);
  }

  take(): LogRecord[] {
    const out = this.partial ? [...this.lines, this.partial] : this.lines;
    return out.slice(Math.max(0, out.length - this.n));
  }
}

/** Prints records; with a prefix, before each line (lineStart: per stream, whether the last
 * record ended its line). */
function emit(records: LogRecord[], timestamps: boolean, prefix?: string, lineStart: Record<1 | 2, boolean> = { 1: true, 2: true }): void {
  for (const r of records) {
    if (timestamps) writeSync(r.stream, `${new Date(Number(r.timeNs / 1000000n)).toISOString()} `);
    if (prefix === undefined) {
      writeSync(r.stream, r.data);
      continue;
    }
    const text = r.data.toString('utf8');
    const lines = text.split('\n');
    const out = lines.map((l, i) => (i === lines.length - 1 && l === '' ? '' : `${i === 0 && !lineStart[r.stream] ? '' : prefix}${l}`)).join('\n');
    lineStart[r.stream] = text.endsWith('\n');
    writeSync(r.stream, out);
  }
}

// the monitor writes records of at most a pipe read (64 KiB); a longer one is a damaged log
const MAX_RECORD = 16 << 20;

/**
 * Streamed: a chunk is read, its whole records are printed and only an unfinished record is
 * kept, so a log of any size is shown in constant memory (with --tail, the last N lines).
 */
/** Resolves (with follow) to the container as its followed run ended. */
export async function showLogs(ref: string, opts: LogOptions): Promise<Container | undefined> {
  const c: Container = findContainer(ref);
  let fd: number;
  try {
    fd = openSync(logFile(c.dir), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new MinictrError(`cannot read the log of ${c.config.name}: ${(err as Error).message}`);
    if (c.state.detached) return undefined; // started, nothing written yet
    throw new NotFoundError(`container ${c.config.name} has no logs: only detached containers (run -d) are logged`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new MinictrError(`the log of ${c.config.name} is not a regular file`);
    let tail = opts.tail !== undefined ? new LineTail(opts.tail) : undefined;
    const timestamps = Boolean(opts.timestamps);
    const lineStart: Record<1 | 2, boolean> = { 1: true, 2: true };
    let pending = Buffer.alloc(0);
    const chunk = Buffer.alloc(1 << 16);
    const drain = (): void => {
      let n: number;
      while ((n = readSync(fd, chunk, 0, chunk.length, null)) > 0) {
        pending = pending.length ? Buffer.concat([pending, chunk.subarray(0, n)]) : Buffer.from(chunk.subarray(0, n));
        const { records, used } = parseRecords(pending);
        pending = pending.subarray(used);
        if (pending.length >= 13 && pending.readUInt32LE(9) > MAX_RECORD) throw new MinictrError(`the log of ${c.config.name} is damaged (a record of ${pending.readUInt32LE(9)} bytes)`);
        if (tail) for (const r of records) tail.add(r);
        else emit(records, timestamps, opts.prefix, lineStart);
      }
    };
    drain();
    if (tail) emit(tail.take(), timestamps, opts.prefix, lineStart);
    tail = undefined; // from here on (-f), every new record is printed as it comes
    if (!opts.follow) return undefined;
    let goneAt: number | undefined;
    for (;;) {
      const now = findContainer(c.config.id);
      // firstRun: ended once the monitor recorded the exit (exit.json: its code, which a gone
      // process alone does not tell), or a restart began
      if (opts.firstRun && !isRunning(now)) goneAt ??= Date.now();
      const running = !opts.firstRun
        ? isRunning(now)
        : !existsSync(exitFile(c.dir)) && now.state.startedAt === c.state.startedAt && (goneAt === undefined || Date.now() - goneAt < EXIT_RECORD_GRACE_MS);
      drain(); // after the check: the monitor may still be flushing the last bytes
      if (!running) return opts.firstRun ? findContainer(c.config.id) : now;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    closeSync(fd);
  }
}
