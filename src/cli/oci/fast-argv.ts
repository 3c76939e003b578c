/**
 * The short verbs' command lines, read without commander: `[global flags] state ID`,
 * `kill [-a|--all] ID [SIGNAL]` and `delete [-f|--force] ID`, the forms engines call for
 * every container (bin/minictr-oci tries oci-fast.ts first). Anything else (help, a flag
 * that is not one of these, a missing or extra argument, `--`) is undefined here and goes
 * to commander (oci-main.ts), which gives the usage, the error line and the status: so the
 * two can never disagree on a command line, only this one declines more of them.
 */
import { OCI_GLOBAL_FLAGS, type RawGlobals } from './context.js';
import { DEFAULT_KILL_SIGNAL } from './kill.js';

export type FastCall =
  | { globals: RawGlobals; verb: 'state'; id: string }
  | { globals: RawGlobals; verb: 'kill'; id: string; signal: string; all: boolean }
  | { globals: RawGlobals; verb: 'delete'; id: string; force: boolean };

/** Each short verb's boolean flags (both spellings) and its positional arguments, min and max. */
const VERBS = {
  state: { flags: {} as Record<string, string>, args: [1, 1] },
  kill: { flags: { '-a': 'all', '--all': 'all' } as Record<string, string>, args: [1, 2] },
  delete: { flags: { '-f': 'force', '--force': 'force' } as Record<string, string>, args: [1, 1] },
} as const;

/** args: the command line after node and the script (process.argv.slice(2)). */
export function parseFastArgv(args: readonly string[]): FastCall | undefined {
  const globals: Record<string, string | boolean> = {};
  for (const f of OCI_GLOBAL_FLAGS) if (f.default !== undefined) globals[f.key] = f.default;
  let i = 0;
  for (; i < args.length && args[i]!.startsWith('-'); i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const f = OCI_GLOBAL_FLAGS.find((g) => g.flag === (eq < 0 ? a : a.slice(0, eq)));
    if (!f) return undefined;
    if (!f.value) {
      if (eq >= 0) return undefined;
      globals[f.key] = true;
    } else if (eq >= 0) {
      globals[f.key] = a.slice(eq + 1);
    } else {
      const v = args[++i];
      if (v === undefined || v.startsWith('-')) return undefined;
      globals[f.key] = v;
    }
  }
  const verb = args[i];
  if (verb !== 'state' && verb !== 'kill' && verb !== 'delete') return undefined;
  const spec = VERBS[verb];
  const positional: string[] = [];
  const set: Record<string, boolean> = {};
  for (const a of args.slice(i + 1)) {
    if (!a.startsWith('-')) positional.push(a);
    else if (spec.flags[a]) set[spec.flags[a]] = true;
    else return undefined;
  }
  if (positional.length < spec.args[0] || positional.length > spec.args[1]) return undefined;
  const g = globals as RawGlobals;
  const id = positional[0]!;
  if (verb === 'state') return { globals: g, verb, id };
  if (verb === 'kill') return { globals: g, verb, id, signal: positional[1] ?? DEFAULT_KILL_SIGNAL, all: !!set.all };
  return { globals: g, verb, id, force: !!set.force };
}
