import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('load')
    .description('load images from a tar archive (docker-archive, OCI image layout / oci-archive)')
    .option('-i, --input <file>', 'read from a file instead of stdin')
    .option('--explain', 'print each step with its shell equivalent', false)
    .addHelpText(
      'after',
      '\nThe archive is checked as import checks a tarball (no absolute or ".." paths, no links\n' +
        'out of it) and every blob against its digest before anything is stored.\n\n' +
        'Example:\n  podman save --format oci-archive -o app.tar app && minictr load -i app.tar\n',
    )
    .action(async (o: { input?: string; explain: boolean }) => {
      const { loadArchive } = await import('../../image/load.js');
      const { createExplainer } = await import('../../util/explain.js');
      await loadArchive({ input: o.input, explain: createExplainer(o.explain) });
    });
}
