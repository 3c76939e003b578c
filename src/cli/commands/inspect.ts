import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('print containers\' configuration and state as JSON')
    .argument('<container...>', 'container names or ids')
    .action(async (refs: string[]) => {
      const { findContainer } = await import('../../runtime/store.js');
      const { inspectContainer } = await import('../../runtime/inspect.js');
      const { writeSync } = await import('node:fs');
      const out = refs.map((r) => inspectContainer(findContainer(r)));
      writeSync(1, `${JSON.stringify(out, null, 2)}\n`);
    });
}
