import type { Command } from 'commander';

export function register(net: Command): void {
  net
    .command('save')
    .description("write a lab as it is now (its file, with each host's addresses, routes and sysctls read from the kernel) to DIR/lab.yaml; `net up DIR` rebuilds it")
    .argument('<file-or-lab>', 'topology file, or the lab name')
    .argument('<dir>', 'directory to write lab.yaml in (made if need be)')
    .action(async (target: string, dir: string) => {
      const { labName } = await import('../../../network/lab/topology/target.js');
      const { saveLab } = await import('../../../network/lab/topology/save.js');
      const res = await saveLab(await labName(target), dir);
      for (const s of res.skipped) process.stderr.write(`minictr: not saved: ${s}\n`);
      process.stdout.write(`wrote ${res.file}\n`);
    });
}
