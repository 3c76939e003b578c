/**
 * A monotonic clock in milliseconds, for durations (a build step's time, an OCI call's).
 * Not performance.now(): the `performance` global's first use loads perf_hooks (11 built-in
 * modules, ~1 ms of a command's start, BENCHMARKS.md "The CLI's own start-up").
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const DAY_MS = 86_400_000;
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * A time as Date#toISOString() writes it ("2026-12-03T11:36:22.123Z"), for the timestamps of
 * a container's record. Computed from the number: V8's first toISOString in a process reads
 * /etc/localtime and builds its time-zone cache (~0.2 ms and 14 system calls of every `run`),
 * which a UTC time does not need. Years outside 0000-9999 (written +YYYYYY): toISOString's.
 */
export function isoTime(ms: number = Date.now()): string {
  const days = Math.floor(ms / DAY_MS);
  const inDay = ms - days * DAY_MS;
  // the proleptic Gregorian date of a day number (days since 1970-01-01), in 400-year eras
  // that start on March 1st (H. Hinnant, "chrono-compatible low-level date algorithms")
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (!Number.isFinite(ms) || year < 0 || year > 9999) return new Date(ms).toISOString();
  const h = Math.floor(inDay / 3_600_000);
  const min = Math.floor((inDay % 3_600_000) / 60_000);
  const s = Math.floor((inDay % 60_000) / 1000);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(h)}:${pad(min)}:${pad(s)}.${pad(Math.floor(inDay % 1000), 3)}Z`;
}
