import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('ps')
    .description('list containers (running ones, or all with -a)')
    .option('-a, --all', 'show stopped containers too', false)
    .option('-q, --quiet', 'only print ids', false)
    .option('--format <format>', '"json" prints one JSON object per line')
    .action(async (o: { all: boolean; quiet: boolean; format?: string }) => {
      const { listContainers, isRunning } = await import('../../runtime/store.js');
      const { formatPs, psRow } = await import('../../runtime/inspect.js');
      const { UsageError } = await import('../../errors.js');
      const { writeSync } = await import('node:fs');
      if (o.format !== undefined && o.format !== 'json') throw new UsageError(`unknown --format "${o.format}": only json is supported`);
      const list = listContainers()
        .filter((c) => o.all || isRunning(c))
        .sort((a, b) => b.config.created.localeCompare(a.config.created));
      if (o.quiet) writeSync(1, list.map((c) => `${c.config.id.slice(0, 12)}\n`).join(''));
      else if (o.format === 'json') writeSync(1, list.map((c) => `${JSON.stringify(psRow(c))}\n`).join(''));
      else writeSync(1, formatPs(list));
    });
}
