import type { Command } from 'commander';
import { ociGlobals } from './context.js';

/** features, list, spec: what the runtime can do, what it runs, a config to start from. */
export function register(program: Command): void {
  program
    .command('features')
    .description('what this runtime supports, as the runtime-spec\'s features JSON')
    .action(async () => {
      const { features } = await import('../../oci/features.js');
      const { writeSync } = await import('node:fs');
      writeSync(1, `${JSON.stringify(features(), null, 2)}\n`);
    });
  program
    .command('list')
    .alias('ls')
    .description('the containers under --root')
    .option('-f, --format <format>', 'table or json', 'table')
    .option('-q, --quiet', 'ids only', false)
    .action(async (o: { format: string; quiet: boolean }, cmd: Command) => {
      const g = ociGlobals(cmd);
      const { listContainers } = await import('../../oci/list.js');
      const { writeSync } = await import('node:fs');
      writeSync(1, listContainers(g.root, o.format, o.quiet));
    });
  program
    .command('spec')
    .description('write a default config.json into the bundle (as runc spec)')
    .option('-b, --bundle <dir>', 'where to write it (default: the current directory)', '.')
    .option('--rootless', 'refused: minictr-oci runs as root')
    .action(async (o: { bundle: string; rootless?: boolean }) => {
      const { OciError } = await import('../../oci/errors.js');
      if (o.rootless) throw new OciError('--rootless: minictr-oci runs as root only');
      const { defaultSpec } = await import('../../oci/default-spec.js');
      const { existsSync, writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const file = join(o.bundle, 'config.json');
      if (existsSync(file)) throw new OciError(`${file} already exists: remove it first`);
      writeFileSync(file, `${JSON.stringify(defaultSpec(), null, 2)}\n`, { flag: 'wx' });
    });
}
