import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('images')
    .description('list images')
    .argument('[repository]', 'only images of this REPOSITORY[:TAG]')
    .option('-q, --quiet', 'only show image IDs', false)
    .option('--no-trunc', "don't truncate image IDs")
    .action(async (repository: string | undefined, o: { quiet: boolean; trunc: boolean }) => {
      const { formatImages } = await import('../../image/list.js');
      process.stdout.write(await formatImages({ repository, quiet: o.quiet, noTrunc: !o.trunc }));
    });
}
