/**
 * Reading and writing cgroup files. Every write goes through writeCgroupFile (or writeCgroupFileEach), which prints it
 * under --explain as the shell command it is (`echo 67108864 > .../memory.max`) and turns the
 * kernel's refusal into a message naming the file and the value.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { MinictrError } from '../errors.js';
import type { Explainer } from '../util/explain.js';

/** The kernel refused a cgroup operation, or the host cannot do what was asked. */
export class CgroupError extends MinictrError {}

export function writeCgroupFile(file: string, value: string, explain: Explainer, what: string): void {
  writeCgroupFileEach(file, [{ value, what }], explain);
}

/**
 * Values written to one cgroup file in turn, each by its own write(2) on ONE open fd: the
 * kernel takes each write as one request, as it would each `echo` (v1 devices.allow: one
 * rule per write), without an open and a close per value (a container's 12 device rules).
 */
export function writeCgroupFileEach(file: string, values: readonly { value: string; what: string }[], explain: Explainer): void {
  let fd = -1;
  let value = '';
  try {
    for (const v of values) {
      value = v.value;
      explain.step(v.what, `echo ${value.includes(' ') ? `"${value}"` : value} > ${file}`);
      if (fd < 0) fd = openSync(file, 'w');
      writeSync(fd, value);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // the errno goes along (as .code): a caller may retry an ENOENT (a parent removed meanwhile)
    throw Object.assign(new CgroupError(`cannot write "${value}" to ${file}: ${e.code === 'EBUSY' ? 'the kernel refused (EBUSY: current usage is above the new limit?)' : (e.code ?? e.message)}`), { code: e.code });
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

export function readCgroupFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, pids.events) -> map. */
export function readKeyed(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (readCgroupFile(file) ?? '').split('\n')) {
    const [k, v] = line.split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** A number, or undefined for "max" / -1 / v1's "no limit" (a huge page-rounded value). */
export function readLimit(file: string): number | undefined {
  const v = readCgroupFile(file);
  if (v === undefined || v === 'max' || v === '-1') return undefined;
  const n = Number(v.split(/\s+/)[0]);
  if (!Number.isFinite(n) || n >= 2 ** 62) return undefined;
  return n;
}

export function readNumber(file: string): number | undefined {
  const v = readCgroupFile(file);
  if (v === undefined || !/^\d+/.test(v)) return undefined;
  return Number(v.split(/\s+/)[0]);
}

/** Sleep without returning to the event loop (for short kernel waits in sync code paths). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
