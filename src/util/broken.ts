/**
 * A record on disk that could not be read (truncated by a crash, edited by hand). It is
 * reported with its path and kept, never taken as "unused": `minictr system check` lists
 * them with what the user can do.
 */
export interface BrokenRecord { kind: string; path: string; problem: string; fix: string }
