import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('unpause')
    .description('thaw the processes of paused containers')
    .argument('<container...>', 'container names or ids')
    .option('--explain', 'print each cgroup file written, as a shell command', false)
    .action(async (refs: string[], o: { explain: boolean }) => {
      const { pauseContainer } = await import('../../runtime/update.js');
      const { createExplainer } = await import('../../util/explain.js');
      const { writeSync } = await import('node:fs');
      const explain = createExplainer(o.explain, (s) => writeSync(2, s));
      for (const ref of refs) {
        await pauseContainer(ref, false, explain);
        writeSync(1, `${ref}\n`);
      }
    });
}
