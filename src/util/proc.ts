/** Facts about host processes, read from /proc. */
import { readFileSync } from 'node:fs';

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

/** Is the process recorded as pid + start time still the same one, and not a zombie? */
export function processLives(pid: number, start: string | undefined): boolean {
  const state = processState(pid);
  if (state === undefined || state === 'Z' || state === 'X') return false;
  return start === undefined || processStartTime(pid) === start;
}
