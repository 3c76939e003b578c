/**
 * A monotonic clock in milliseconds, for durations (a build step's time, an OCI call's).
 * Not performance.now(): the `performance` global's first use loads perf_hooks (11 built-in
 * modules, ~1 ms of a command's start, BENCHMARKS.md "The CLI's own start-up").
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
