import type { Command } from 'commander';
import { ociGlobals } from './context.js';

export function register(program: Command): void {
  program
    .command('kill')
    .description('send a signal (default SIGTERM) to the container\'s process')
    .argument('<id>', 'container id')
    .argument('[signal]', 'a number, KILL or SIGKILL', 'SIGTERM')
    .option('-a, --all', 'to every process of the container\'s cgroup', false)
    .action(async (id: string, signal: string, o: { all: boolean }, cmd: Command) => {
      const g = ociGlobals(cmd);
      const { killContainer } = await import('../../oci/kill.js');
      killContainer(g.root, id, signal, o.all, g.explain);
    });
}
