import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('top')
    .description('show the processes running in a container, as the host sees them')
    .argument('<container>', 'container name or id')
    .argument('[ps-options...]', 'ps options (default: -o uid,pid,ppid,stime,time,args)')
    .action(async (ref: string, psArgs: string[]) => {
      const { topContainer } = await import('../../runtime/top.js');
      const { writeSync } = await import('node:fs');
      writeSync(1, await topContainer(ref, psArgs));
    });
}
