/**
 * Whether this process took its command's usual path, so that the V8 code cache
 * bin/run-bundle.js writes after it is the one every later start of the command should
 * load: the cache holds what this run compiled. A run that took an unusual one (commander for
 * --help or a bad flag, an image built or pulled on first use) would put that code in the
 * cache of every later start: a main-run cache written by the run that built the busybox
 * image is 0.50 MB instead of 0.37 MB, ~1 ms more to load on each later run (BENCHMARKS.md,
 * "the run's one scavenge, and checkStateRoots"). The bundles whose commands can take such a
 * path (main-run.ts, main.ts) export tookUsualPath as writesCodeCache, which run-bundle.js
 * asks; each bundle holds its own copy of this flag.
 */
let usual = true;

/** This run took a path its later starts will not: its code cache is not written. */
export function leftUsualPath(): void {
  usual = false;
}

export function tookUsualPath(): boolean {
  return usual;
}
