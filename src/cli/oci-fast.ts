/**
 * minictr-oci's short verbs (state, kill, delete) without commander: engines call them
 * several times per container, and for these the CLI's start-up is the whole cost
 * (BENCHMARKS.md, "minictr-oci"). Bundled on its own (dist/bundle/oci-fast.cjs, tens of KiB
 * against oci-main's 260) from the same verb functions and the same error and trace
 * handling as oci-main.ts; bin/minictr-oci runs it first. A command line it does not read
 * (fast-argv.ts) returns false, and oci-main.cjs runs it with commander.
 */
import { checkGlobals, globalsFrom } from './oci/context.js';
import { del } from './oci/delete.js';
import { parseFastArgv } from './oci/fast-argv.js';
import { kill } from './oci/kill.js';
import { runOciCall } from './oci/report.js';
import { state } from './oci/state.js';

export async function main(argv: string[]): Promise<boolean> {
  const call = parseFastArgv(argv.slice(2));
  if (!call) return false;
  return runOciCall(argv, async () => {
    checkGlobals(call.globals);
    const g = globalsFrom(call.globals);
    if (call.verb === 'state') await state(g, call.id);
    else if (call.verb === 'kill') await kill(g, call.id, call.signal, call.all);
    else await del(g, call.id, call.force);
  });
}
