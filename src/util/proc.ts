/** Facts about host processes, read from /proc. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat).
 * With the pid it names one process for good: a pid reused later has another start time. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and ')'; the fields after the last ')' don't.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The state letter of a process (R, S, D, Z, T ...; field 3 of /proc/PID/stat), or undefined. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** "PID STARTTIME" of this process: written into lock files and temp dir names. */
export function ownerTag(): string {
  return `${process.pid} ${processStartTime(process.pid) ?? '0'}`;
}

/** Is the process recorded as pid + start time still the same one, and not a zombie? */
export function processLives(pid: number, start: string | undefined): boolean {
  const state = processState(pid);
  if (state === undefined || state === 'Z' || state === 'X') return false;
  return start === undefined || processStartTime(pid) === start;
}

/** The pids /proc shows now (one readdir; its other entries are skipped). Every host-wide
 * process walk starts here: a process found in it may be gone by the time it is read, so
 * the readers below return undefined for one that exited. */
export function hostPids(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

/** What /proc/PID/ns/NS points at ("net:[4026531840]"), or undefined if the process is gone
 * (or is a kernel thread whose links cannot be read). */
export function namespaceLink(pid: number, ns: 'net' | 'pid' | 'mnt' | 'uts' | 'ipc' | 'user' | 'cgroup'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${ns}`);
  } catch {
    return undefined;
  }
}

/** A process's command name (/proc/PID/comm), or undefined if it is gone. */
export function processComm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The targets of a process's open file descriptors (/proc/PID/fd/N links); empty if it is
 * gone or not ours to read. */
export function processFdLinks(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const links: string[] = [];
  for (const fd of fds) {
    try {
      links.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      /* closed meanwhile */
    }
  }
  return links;
}
