import type { Command } from 'commander';

/** Hidden: minictr-monitor runs it on a container's health-check interval. */
export function register(program: Command): void {
  program
    .command('health-probe', { hidden: true })
    .description('run a container\'s health check once and record the result (run by minictr-monitor)')
    .argument('<id>', 'container id')
    .action(async (id: string) => {
      const { probeHealth } = await import('../../runtime/health-probe.js');
      await probeHealth(id);
    });
}
