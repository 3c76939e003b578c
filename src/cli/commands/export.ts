import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('export')
    .description("write a container's filesystem as a tar archive")
    .argument('<container>', 'container name or id')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--explain', 'print each step with its shell equivalent', false)
    .addHelpText(
      'after',
      '\nThe archive is the merged view (image layers and the container\'s changes, deletions\n' +
        'applied), read from a read-only overlay in a private mount namespace.\n\n' +
        'Example:\n  minictr export ct2 -o ct2.tar && minictr import ct2.tar ct2-flat\n',
    )
    .action(async (ref: string, o: { output?: string; explain: boolean }) => {
      const { findContainer } = await import('../../runtime/store.js');
      const { refuseRemapped } = await import('../../runtime/userns.js');
      const { exportContainer } = await import('../../image/export.js');
      const { createExplainer } = await import('../../util/explain.js');
      const c = findContainer(ref);
      refuseRemapped(c, 'export');
      await exportContainer(c, { output: o.output, explain: createExplainer(o.explain) });
    });
}
