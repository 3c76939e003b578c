// src/util/proc.ts: the one walk of /proc that host-wide scans share, on this process's own
// entries (no root needed) and on a pid that does not exist.
import { closeSync, mkdtempSync, openSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostPids, namespaceLink, processComm, processFdLinks, processLives, processStartTime } from '../../src/util/proc.js';

/** above the kernel's pid_max limit (4194304): never a process */
const NO_PID = 99_999_999;

describe('util/proc', () => {
  it('lists every process, this one included, as numbers', () => {
    const pids = hostPids();
    expect(pids).toContain(process.pid);
    expect(pids).toContain(1);
    expect(pids.every((p) => Number.isInteger(p) && p > 0)).toBe(true);
  });

  it("reads a process's namespace links, command name and open files", () => {
    expect(namespaceLink(process.pid, 'net')).toBe(readlinkSync('/proc/self/ns/net'));
    expect(namespaceLink(process.pid, 'pid')).toMatch(/^pid:\[\d+\]$/);
    expect(processComm(process.pid)).toMatch(/\S/);
    const dir = mkdtempSync(join(tmpdir(), 'minictr-proc-'));
    const fd = openSync(join(dir, 'held'), 'w');
    try {
      expect(processFdLinks(process.pid)).toContain(join(dir, 'held'));
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true });
    }
    expect(processFdLinks(process.pid)).not.toContain(join(dir, 'held'));
  });

  it('answers undefined (not an exception) for a process that is gone', () => {
    expect(namespaceLink(NO_PID, 'net')).toBeUndefined();
    expect(processComm(NO_PID)).toBeUndefined();
    expect(processFdLinks(NO_PID)).toEqual([]);
    expect(processStartTime(NO_PID)).toBeUndefined();
    expect(processLives(NO_PID, undefined)).toBe(false);
  });

  it('tells a live process from the same pid with another start time', () => {
    const start = processStartTime(process.pid);
    expect(start).toMatch(/^\d+$/);
    expect(processLives(process.pid, start)).toBe(true);
    expect(processLives(process.pid, String(Number(start) + 1))).toBe(false);
  });
});
