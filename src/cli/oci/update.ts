import type { Command } from 'commander';
import { ociGlobals } from './context.js';

export function register(program: Command): void {
  program
    .command('update')
    .description('change the resource limits of a running container')
    .argument('<id>', 'container id')
    .option('-r, --resources <file>', 'linux.resources as JSON, - for stdin')
    .action(async (id: string, o: { resources?: string }, cmd: Command) => {
      const g = ociGlobals(cmd);
      const { updateContainer } = await import('../../oci/update.js');
      updateContainer(g.root, id, o.resources, g.explain);
    });
}
