import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('rm')
    .description('remove one or more containers')
    .argument('<container...>', 'container names or ids')
    .option('-f, --force', 'kill a running container first', false)
    .option('-v, --volumes', 'remove the container\'s anonymous volumes too (named volumes are kept)', false)
    .action(async (refs: string[], o: { force: boolean; volumes: boolean }) => {
      const { removeContainer } = await import('../../runtime/remove.js');
      const { MinictrError } = await import('../../errors.js');
      const { writeSync } = await import('node:fs');
      let failed = 0;
      for (const ref of refs) {
        try {
          await removeContainer(ref, o.force, { volumes: o.volumes });
          writeSync(1, `${ref}\n`);
        } catch (err) {
          if (!(err instanceof MinictrError)) throw err;
          writeSync(2, `minictr: ${err.message}\n`);
          failed = err.exitCode;
        }
      }
      if (failed) process.exitCode = failed;
    });
}
