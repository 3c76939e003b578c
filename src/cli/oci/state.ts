import type { Command } from 'commander';
import { ociGlobals } from './context.js';

export function register(program: Command): void {
  program
    .command('state')
    .description('the container\'s state as JSON (status read from the kernel)')
    .argument('<id>', 'container id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = ociGlobals(cmd);
      const { loadRecord } = await import('../../oci/store.js');
      const { stateOf } = await import('../../oci/status.js');
      const { writeSync } = await import('node:fs');
      writeSync(1, `${JSON.stringify(stateOf(g.root, loadRecord(g.root, id)), null, 2)}\n`);
    });
}
