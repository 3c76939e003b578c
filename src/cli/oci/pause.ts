import type { Command } from 'commander';
import { ociGlobals } from './context.js';

export function register(program: Command): void {
  for (const [verb, paused, what] of [['pause', true, 'freeze every process of the container'], ['resume', false, 'thaw a paused container']] as const) {
    program
      .command(verb)
      .description(what)
      .argument('<id>', 'container id')
      .action(async (id: string, _o: unknown, cmd: Command) => {
        const g = ociGlobals(cmd);
        const { pauseContainer } = await import('../../oci/pause.js');
        pauseContainer(g.root, id, paused, g.explain);
      });
  }
}
