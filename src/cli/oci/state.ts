import type { Command } from 'commander';
import { ociGlobals, type OciGlobals } from './context.js';

/** `state ID`: what commander calls, and the short verbs' entry (oci-fast.ts) without it */
export async function state(g: OciGlobals, id: string): Promise<void> {
  const { loadRecord } = await import('../../oci/store.js');
  const { stateOf } = await import('../../oci/status.js');
  const { writeSync } = await import('node:fs');
  writeSync(1, `${JSON.stringify(stateOf(g.root, loadRecord(g.root, id)), null, 2)}\n`);
}

export function register(program: Command): void {
  program
    .command('state')
    .description('the container\'s state as JSON (status read from the kernel)')
    .argument('<id>', 'container id')
    .action(async (id: string, _o: unknown, cmd: Command) => state(ociGlobals(cmd), id));
}
