import type { Command } from 'commander';

export function register(program: Command): void {
  const system = program.command('system').description('manage minictr itself');
  system
    .command('prune')
    .alias('gc')
    .description('remove what interrupted commands left behind (containers, dirs, names, addresses, cgroups, temp files, unused layers); broken records are kept')
    .action(async () => {
      const { pruneContainers } = await import('../../runtime/prune.js');
      const { pruneImageStore } = await import('../../image/prune.js');
      const { writeSync } = await import('node:fs');
      const containers = await pruneContainers();
      const images = await pruneImageStore();
      const removed = [...containers.removed, ...images.removed];
      writeSync(1, removed.length ? removed.map((r) => `removed ${r}\n`).join('') : 'nothing to remove\n');
      // broken records, and what was kept because of them (status 0: prune did what was safe)
      for (const k of [...containers.kept, ...images.kept]) writeSync(2, `minictr: kept ${k}\n`);
    });
  system
    .command('check')
    .description('list the records of the store that cannot be read, and what to do about each (changes nothing)')
    .action(async () => {
      const { checkStore, formatCheck } = await import('../../system/check.js');
      const { writeSync } = await import('node:fs');
      const broken = await checkStore();
      writeSync(1, formatCheck(broken));
      if (broken.length) process.exitCode = 1;
    });
}
