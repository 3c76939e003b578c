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
      const out = await formatImages({ repository, quiet: o.quiet, noTrunc: !o.trunc });
      process.stdout.write(out.text);
      // a broken record is reported and the rest listed; status 1 only when nothing could be read
      for (const w of out.warnings) process.stderr.write(`minictr: ${w}\n`);
      if (out.failed) process.exitCode = 1;
    });
}
