import { Option, type Command } from 'commander';

export function register(program: Command): void {
  program
    .command('start')
    .description('start a stopped container again (its filesystem is kept)')
    .argument('<container...>', 'container names or ids')
    .option('-a, --attach', 'stay attached and exit with the container\'s status', false)
    .option('--explain', 'print each kernel step with its shell equivalent (long paths named once: $ID, $C, $L1)', false)
    .addOption(new Option('--explain=full', 'the same, every path written out in full'))
    .action(async (refs: string[], o: { attach: boolean; explain: boolean; 'explain=full'?: boolean }) => {
      const { startExisting } = await import('../../runtime/lifecycle.js');
      const { writeSync } = await import('node:fs');
      for (const ref of refs) {
        const full = Boolean(o['explain=full']);
        const code = await startExisting(ref, { attach: o.attach, explain: o.explain || full, explainFull: full });
        if (o.attach) process.exitCode = code ?? 0;
        else writeSync(1, `${ref}\n`);
      }
    });
}
