import type { Command } from 'commander';

export function register(net: Command): void {
  net
    .command('pingall')
    .description('every lab host pings every other one; prints a reachability matrix (exit 1 if any pair fails)')
    .argument('[file]', 'topology file (default: every lab that is up)')
    .action(async (file: string | undefined) => {
      const { labTopologies } = await import('../../../network/lab/topology/target.js');
      const { pingAll, formatMatrix } = await import('../../../network/lab/pingall.js');
      const topos = await labTopologies(file);
      const { text, failed } = formatMatrix(await pingAll(topos));
      process.stdout.write(text + '\n');
      if (failed) process.exitCode = 1;
    });
}
