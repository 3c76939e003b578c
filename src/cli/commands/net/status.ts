import type { Command } from 'commander';

export function register(net: Command): void {
  net
    .command('status')
    .description('labs that are up, and whether each of their objects still exists')
    .argument('[file-or-lab]', 'one topology file or lab name (default: all labs)')
    .action(async (target: string | undefined) => {
      const { labName } = await import('../../../network/lab/topology/target.js');
      const { labStatus, allLabs, formatStatus } = await import('../../../network/lab/topology/status.js');
      if (target) {
        const s = await labStatus(await labName(target));
        process.stdout.write(formatStatus(s, true) + '\n');
        if (s.state === 'down') process.exitCode = 3;
        return;
      }
      const labs = await allLabs();
      if (labs.length === 0) process.stdout.write('no lab is up\n');
      for (const s of labs) process.stdout.write(formatStatus(s, false) + '\n');
    });
}
