import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('stop')
    .description('stop running containers: their stop signal (SIGTERM unless --stop-signal or the image\'s STOPSIGNAL), then SIGKILL after a timeout')
    .argument('<container...>', 'container names or ids')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL (default: the container\'s --stop-timeout, else 10)', (v) => Number(v))
    .action(async (refs: string[], o: { time?: number }) => {
      const { stopContainer } = await import('../../runtime/lifecycle.js');
      const { UsageError } = await import('../../errors.js');
      const { writeSync } = await import('node:fs');
      if (o.time !== undefined && (!Number.isFinite(o.time) || o.time < 0)) throw new UsageError(`invalid --time: expected seconds >= 0`);
      for (const ref of refs) {
        await stopContainer(ref, o.time);
        writeSync(1, `${ref}\n`);
      }
    });
}
