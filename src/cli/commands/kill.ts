import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('kill')
    .description('send a signal to a container\'s main process (default SIGKILL)')
    .argument('<container...>', 'container names or ids')
    .option('-s, --signal <signal>', 'signal name or number', 'KILL')
    .action(async (refs: string[], o: { signal: string }) => {
      const { killContainer, parseSignal } = await import('../../runtime/lifecycle.js');
      const { writeSync } = await import('node:fs');
      const sig = parseSignal(o.signal);
      for (const ref of refs) {
        await killContainer(ref, sig);
        writeSync(1, `${ref}\n`);
      }
    });
}
