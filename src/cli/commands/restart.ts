import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('restart')
    .description('stop, then start containers')
    .argument('<container...>', 'container names or ids')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL (default: the container\'s --stop-timeout, else 10)', (v) => Number(v))
    .action(async (refs: string[], o: { time?: number }) => {
      const { restartContainer } = await import('../../runtime/lifecycle.js');
      const { writeSync } = await import('node:fs');
      for (const ref of refs) {
        await restartContainer(ref, o.time);
        writeSync(1, `${ref}\n`);
      }
    });
}
