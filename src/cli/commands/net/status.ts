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
        // a lab placed on machines: the whole of it, as its file says (the other parts are not visible from here)
        const { existsSync } = await import('node:fs');
        const file = s.file && existsSync(s.file) ? s.file : existsSync(target) ? target : undefined;
        if (file) {
          const { loadTopology } = await import('../../../network/lab/topology/schema.js');
          const { labLimits } = await import('../../../network/lab/topology/limits.js');
          const { describePlacement } = await import('../../../network/lab/topology/placement.js');
          const topo = await loadTopology(file, labLimits()).catch(() => undefined);
          const whole = topo ? describePlacement(topo, s.machine) : [];
          if (whole.length) process.stdout.write(whole.join('\n') + '\n');
        }
        if (s.state === 'down') process.exitCode = 3;
        return;
      }
      const labs = await allLabs();
      if (labs.length === 0) process.stdout.write('no lab is up\n');
      for (const s of labs) process.stdout.write(formatStatus(s, false) + '\n');
    });
}
