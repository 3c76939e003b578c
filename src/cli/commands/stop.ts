import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('stop')
    .description('stop running containers: SIGTERM, then SIGKILL after a timeout')
    .argument('<container...>', 'container names or ids')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL', (v) => Number(v), 10)
    .action(async (refs: string[], o: { time: number }) => {
      const { stopContainer } = await import('../../runtime/lifecycle.js');
      const { UsageError } = await import('../../errors.js');
      const { writeSync } = await import('node:fs');
      if (!Number.isFinite(o.time) || o.time < 0) throw new UsageError(`invalid --time: expected seconds >= 0`);
      for (const ref of refs) {
        await stopContainer(ref, o.time);
        writeSync(1, `${ref}\n`);
      }
    });
}
