import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('history')
    .description('show how an image was made: its layers, newest first')
    .argument('<image>', 'NAME[:TAG], image ID or ID prefix')
    .option('--no-trunc', "don't truncate the output")
    .option('-q, --quiet', 'only show image IDs', false)
    .action(async (image: string, o: { trunc: boolean; quiet: boolean }) => {
      const { formatHistory } = await import('../../image/history.js');
      process.stdout.write(await formatHistory(image, { noTrunc: !o.trunc, quiet: o.quiet }));
    });
}
