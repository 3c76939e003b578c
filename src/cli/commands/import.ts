import type { Command } from 'commander';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function register(program: Command): void {
  program
    .command('import')
    .description('create an image from a root filesystem tarball (.tar, .tar.gz, .tar.xz, .tar.zst)')
    .argument('<file>', 'the tarball, e.g. ubuntu-base-24.04-base-amd64.tar.gz or `docker export` output')
    .argument('<name>', 'image NAME[:TAG] (tag defaults to latest)')
    .option('-c, --change <instruction>', "set config with a Dockerfile instruction: CMD, ENTRYPOINT, ENV, WORKDIR, USER (repeatable), e.g. -c 'CMD [\"bash\"]'", collect)
    .option('--max-size <size>', 'the most the tarball may unpack to, e.g. 500M or 2G (default: the free space less a margin; or $MINICTR_IMPORT_MAX_BYTES)')
    .option('--explain', 'print each step with its shell equivalent', false)
    .addHelpText(
      'after',
      '\nEvery entry is checked before anything is extracted: an archive with "..", absolute\n' +
        'paths, or links that lead outside the image is refused, and so is one that unpacks to\n' +
        'more than --max-size or to more than $MINICTR_IMPORT_MAX_ENTRIES entries (1000000).\n' +
        'Prints the image ID.\n\n' +
        'Example:\n  minictr import ubuntu-base-24.04-base-amd64.tar.gz ubuntu:24.04\n',
    )
    .action(async (file: string, name: string, o: { change?: string[]; explain: boolean; maxSize?: string }) => {
      const { importTarball, DEFAULT_IMPORT_CONFIG } = await import('../../image/import.js');
      const { applyChanges } = await import('../../image/change.js');
      const { createExplainer } = await import('../../util/explain.js');
      const config = applyChanges(DEFAULT_IMPORT_CONFIG, o.change ?? []);
      const img = await importTarball(file, name, { config, maxSize: o.maxSize, explain: createExplainer(o.explain) });
      process.stdout.write(`sha256:${img.id}\n`);
    });
}
