import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('ps')
    .description('list containers (running ones, or all with -a)')
    .option('-a, --all', 'show stopped containers too', false)
    .option('-q, --quiet', 'only print ids', false)
    .option('--format <format>', '"json" prints one JSON object per line')
    .action(async (o: { all: boolean; quiet: boolean; format?: string }) => {
      const { scanContainers, isRestarting, isRunning } = await import('../../runtime/store.js');
      const { brokenPsRow, formatPs, psRow } = await import('../../runtime/ps.js');
      const { UsageError } = await import('../../errors.js');
      const { writeSync } = await import('node:fs');
      if (o.format !== undefined && o.format !== 'json') throw new UsageError(`unknown --format "${o.format}": only json is supported`);
      const scan = scanContainers();
      const list = scan.containers
        .filter((c) => o.all || isRunning(c) || isRestarting(c))
        .sort((a, b) => b.config.created.localeCompare(a.config.created));
      // a broken record is always listed: whether its container runs cannot be told
      const rows = [...list.map(psRow), ...scan.broken.map(brokenPsRow)];
      if (o.quiet) writeSync(1, rows.map((r) => `${r.ID}\n`).join(''));
      else if (o.format === 'json') writeSync(1, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
      else writeSync(1, formatPs(list, scan.broken));
      for (const b of scan.broken) writeSync(2, `minictr: broken container record ${b.record.path}: ${b.record.problem} (kept; see 'minictr system check')\n`);
    });
}
