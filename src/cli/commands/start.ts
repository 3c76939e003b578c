import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('start')
    .description('start a stopped container again (its filesystem is kept)')
    .argument('<container...>', 'container names or ids')
    .option('-a, --attach', 'stay attached and exit with the container\'s status', false)
    .option('--explain', 'print each kernel step with its shell equivalent', false)
    .action(async (refs: string[], o: { attach: boolean; explain: boolean }) => {
      const { startExisting } = await import('../../runtime/lifecycle.js');
      const { writeSync } = await import('node:fs');
      for (const ref of refs) {
        const code = await startExisting(ref, { attach: o.attach, explain: o.explain });
        if (o.attach) process.exitCode = code ?? 0;
        else writeSync(1, `${ref}\n`);
      }
    });
}
