/**
 * `minictr logs`: read the records minictr-monitor wrote (1 byte stream, 8 bytes time in ns,
 * 4 bytes length, little-endian, then the bytes) and replay them to stdout and stderr.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { NotFoundError } from '../errors.js';
import { findContainer, isRunning, logFile, type Container } from './store.js';

export interface LogRecord {
  stream: 1 | 2;
  timeNs: bigint;
  data: Buffer;
}

export interface LogOptions {
  follow: boolean;
  tail?: number;
  timestamps?: boolean;
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

/** The last n lines of each record sequence, keeping each line's stream. */
function tailLines(records: LogRecord[], n: number): LogRecord[] {
  const lines: LogRecord[] = [];
  for (const r of records) {
    let start = 0;
    for (let i = 0; i < r.data.length; i++) {
      if (r.data[i] === 10) {
        lines.push({ ...r, data: r.data.subarray(start, i + 1) });
        start = i + 1;
      }
    }
    if (start < r.data.length) lines.push({ ...r, data: r.data.subarray(start) });
  }
  return n >= lines.length ? lines : lines.slice(lines.length - n);
}

function emit(records: LogRecord[], timestamps: boolean): void {
  for (const r of records) {
    if (timestamps) writeSync(r.stream, `${new Date(Number(r.timeNs / 1000000n)).toISOString()} `);
    writeSync(r.stream, r.data);
  }
}

export async function showLogs(ref: string, opts: LogOptions): Promise<void> {
  const c: Container = findContainer(ref);
  let fd: number;
  try {
    fd = openSync(logFile(c.dir), 'r');
  } catch {
    if (c.state.detached) return; // started, nothing written yet
    throw new NotFoundError(`container ${c.config.name} has no logs: only detached containers (run -d) are logged`);
  }
  try {
    let pending = Buffer.alloc(0);
    let first = true;
    const chunk = Buffer.alloc(1 << 16);
    for (;;) {
      let n: number;
      while ((n = readSync(fd, chunk, 0, chunk.length, null)) > 0) pending = Buffer.concat([pending, chunk.subarray(0, n)]);
      const { records, used } = parseRecords(pending);
      pending = pending.subarray(used);
      emit(first && opts.tail !== undefined ? tailLines(records, opts.tail) : records, Boolean(opts.timestamps));
      first = false;
      if (!opts.follow || !isRunning(findContainer(c.config.id))) {
        if (opts.follow) {
          // the monitor may still be flushing the last bytes
          while ((n = readSync(fd, chunk, 0, chunk.length, null)) > 0) pending = Buffer.concat([pending, chunk.subarray(0, n)]);
          emit(parseRecords(pending).records, Boolean(opts.timestamps));
        }
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    closeSync(fd);
  }
}
