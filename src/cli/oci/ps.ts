import type { Command } from 'commander';
import { ociGlobals } from './context.js';

export function register(program: Command): void {
  program
    .command('ps')
    .description('the processes of the container')
    .argument('<id>', 'container id')
    .argument('[ps-args...]', 'arguments for ps (table format; default -ef)')
    .option('-f, --format <format>', 'table or json', 'table')
    .passThroughOptions()
    .action(async (id: string, psArgs: string[], o: { format: string }, cmd: Command) => {
      const g = ociGlobals(cmd);
      const { listProcesses } = await import('../../oci/ps.js');
      const { writeSync } = await import('node:fs');
      writeSync(1, await listProcesses(g.root, id, o.format, psArgs));
    });
}
