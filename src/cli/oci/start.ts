import type { Command } from 'commander';
import { ociGlobals } from './context.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('let a created container\'s process run its command')
    .argument('<id>', 'container id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = ociGlobals(cmd);
      const { startContainer } = await import('../../oci/start.js');
      await startContainer(g.root, id, g.explain);
    });
}
