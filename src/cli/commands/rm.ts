import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('rm')
    .description('remove one or more containers')
    .argument('<container...>', 'container names or ids')
    .option('-f, --force', 'kill a running container first', false)
    .option('-v, --volumes', 'remove the container\'s anonymous volumes too (named volumes are kept)', false)
    .action(async (refs: string[], o: { force: boolean; volumes: boolean }) => {
      const { removeContainers } = await import('../../runtime/remove.js');
      const { MinictrError } = await import('../../errors.js');
      const { writeSync } = await import('node:fs');
      let failed = 0;
      // removed side by side (runtime/remove.ts), reported in the order given
      const outcomes = await removeContainers(refs, o.force, { volumes: o.volumes });
      for (const [i, r] of outcomes.entries()) {
        if (!('error' in r)) {
          writeSync(1, `${refs[i]}\n`);
          continue;
        }
        if (!(r.error instanceof MinictrError)) throw r.error;
        writeSync(2, `minictr: ${r.error.message}\n`);
        failed = r.error.exitCode;
      }
      if (failed) process.exitCode = failed;
    });
}
