import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('wait')
    .description('wait until containers stop, then print their exit codes')
    .argument('<container...>', 'container names or ids')
    .action(async (refs: string[]) => {
      const { waitForExit } = await import('../../runtime/lifecycle.js');
      const { findContainer } = await import('../../runtime/store.js');
      const { writeSync } = await import('node:fs');
      for (const ref of refs) {
        const c = await waitForExit(findContainer(ref));
        writeSync(1, `${c?.state.exitCode ?? 0}\n`);
      }
    });
}
