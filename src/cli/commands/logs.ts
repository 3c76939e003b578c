import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('logs')
    .description('print what a detached container wrote to stdout and stderr')
    .argument('<container>', 'container name or id')
    .option('-f, --follow', 'keep printing new output until the container exits', false)
    .option('-n, --tail <lines>', 'only the last N lines')
    .option('-t, --timestamps', 'prefix each chunk with its time', false)
    .action(async (ref: string, o: { follow: boolean; tail?: string; timestamps: boolean }) => {
      const { showLogs } = await import('../../runtime/logs.js');
      const { UsageError } = await import('../../errors.js');
      let tail: number | undefined;
      if (o.tail !== undefined && o.tail !== 'all') {
        tail = Number(o.tail);
        if (!Number.isInteger(tail) || tail < 0) throw new UsageError(`invalid --tail "${o.tail}": expected a number of lines`);
      }
      await showLogs(ref, { follow: o.follow, tail, timestamps: o.timestamps });
    });
}
