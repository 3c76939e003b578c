import type { Command } from 'commander';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function register(program: Command): void {
  program
    .command('commit')
    .description("create a new image from a container's changes")
    .argument('<container>', 'container name or id')
    .argument('<name>', 'image NAME[:TAG] (tag defaults to latest)')
    .option('-m, --message <text>', 'commit message (shown by minictr history)')
    .option('-c, --change <instruction>', "set config with a Dockerfile instruction: CMD, ENTRYPOINT, ENV, WORKDIR, USER (repeatable)", collect)
    .option('--explain', 'print each step with its shell equivalent', false)
    .addHelpText(
      'after',
      "\nThe container's overlay upper dir becomes one new layer on top of its image's layers;\n" +
        'files it deleted become OCI whiteouts (.wh.NAME). The new image runs the container\'s\n' +
        'command by default. Prints the image ID.\n\n' +
        'Example:\n  minictr commit ct2 photo:01\n',
    )
    .action(async (ref: string, name: string, o: { message?: string; change?: string[]; explain: boolean }) => {
      const { findContainer } = await import('../../runtime/store.js');
      const { refuseRemapped } = await import('../../runtime/userns.js');
      const { commitContainer } = await import('../../image/commit.js');
      const { createExplainer } = await import('../../util/explain.js');
      const c = findContainer(ref);
      refuseRemapped(c, 'commit');
      const img = await commitContainer(c, name, { message: o.message, changes: o.change, explain: createExplainer(o.explain) });
      process.stdout.write(`sha256:${img.id}\n`);
    });
}
