import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('stats')
    .description('live CPU, memory and process counts of containers, from their cgroups (default: all running)')
    .argument('[container...]', 'container names or ids')
    .option('--no-stream', 'print one sample and exit')
    .option('--format <format>', '"json": one JSON object per container and sample')
    .action(async (refs: string[], o: { stream: boolean; format?: string }) => {
      const { showStats } = await import('../../runtime/stats.js');
      await showStats(refs, { stream: o.stream, format: o.format });
    });
}
