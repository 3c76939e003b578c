import type { Command } from 'commander';

export function register(net: Command): void {
  net
    .command('down')
    .description('remove exactly what `up` made (works after an interrupted up)')
    .argument('<file-or-lab>', 'topology file, or the lab name')
    .option('-q, --quiet', 'do not show the equivalent commands')
    .action(async (target: string, opts: { quiet?: boolean }) => {
      const { labName } = await import('../../../network/lab/topology/target.js');
      const { downLab } = await import('../../../network/lab/topology/down.js');
      const { createOutput } = await import('../../../network/host/output.js');
      const lab = await labName(target);
      const out = createOutput(!opts.quiet);
      const res = await downLab(lab, out);
      out.result(res.found ? `lab ${lab} is down` : `lab ${lab} is not up: nothing to do`);
    });
}
