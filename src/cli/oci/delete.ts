import type { Command } from 'commander';
import { ociGlobals } from './context.js';

export function register(program: Command): void {
  program
    .command('delete')
    .description('remove a stopped container (its cgroup and state); --force kills a running one first')
    .argument('<id>', 'container id')
    .option('-f, --force', 'kill the container first if it runs', false)
    .action(async (id: string, o: { force: boolean }, cmd: Command) => {
      const g = ociGlobals(cmd);
      const { deleteContainer } = await import('../../oci/delete.js');
      await deleteContainer(g.root, id, o.force, g.explain);
    });
}
