import type { Command } from 'commander';

export function register(program: Command): void {
  const system = program.command('system').description('manage minictr itself');
  system
    .command('prune')
    .alias('gc')
    .description('remove what interrupted commands left behind (containers, dirs, names, addresses, cgroups, temp files, unused layers)')
    .action(async () => {
      const { pruneContainers } = await import('../../runtime/prune.js');
      const { pruneImageStore } = await import('../../image/prune.js');
      const { writeSync } = await import('node:fs');
      const removed = [...(await pruneContainers()), ...(await pruneImageStore())];
      writeSync(1, removed.length ? removed.map((r) => `removed ${r}\n`).join('') : 'nothing to remove\n');
    });
}
