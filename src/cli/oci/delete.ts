import type { Command } from 'commander';
import { ociGlobals, type OciGlobals } from './context.js';

/** `delete [--force] ID`: what commander calls, and the short verbs' entry (oci-fast.ts) */
export async function del(g: OciGlobals, id: string, force: boolean): Promise<void> {
  const { deleteContainer } = await import('../../oci/delete.js');
  await deleteContainer(g.root, id, force, g.explain);
}

export function register(program: Command): void {
  program
    .command('delete')
    .description('remove a stopped container (its cgroup and state); --force kills a running one first')
    .argument('<id>', 'container id')
    .option('-f, --force', 'kill the container first if it runs', false)
    .action(async (id: string, o: { force: boolean }, cmd: Command) => del(ociGlobals(cmd), id, o.force));
}
