import type { Command } from 'commander';

/** Hidden: minictr-monitor runs it when a container with a --restart policy has exited. */
export function register(program: Command): void {
  program
    .command('restart-policy', { hidden: true })
    .description('carry out a container\'s restart policy after its exit (run by minictr-monitor)')
    .argument('<id>', 'container id')
    .action(async (id: string) => {
      const { restartByPolicy } = await import('../../runtime/lifecycle.js');
      await restartByPolicy(id);
    });
}
