import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('pull')
    .description('download an image from a registry (Docker Hub by default)')
    .argument('<image>', 'NAME[:TAG] or NAME@sha256:DIGEST, e.g. ubuntu, ubuntu:24.04, localhost:5000/team/app:v1')
    .option('--insecure', 'allow plain HTTP to the registry (localhost and 127.0.0.0/8 always are)', false)
    .option('--platform <os/arch[/variant]>', "pick this platform from a multi-arch image (default: this machine's)")
    .option('-q, --quiet', 'print only the image reference', false)
    .option('--max-size <size>', 'the most its new layers may unpack to, e.g. 500M or 2G (default: the free space less a margin; or $MINICTR_IMPORT_MAX_BYTES)')
    .option('--explain', 'print each registry request as the curl command it stands for', false)
    .addHelpText(
      'after',
      '\nEach layer is checked against its sha256 digest before it is stored; layers already\n' +
        'stored (shared with other images) are not downloaded again.\n\n' +
        'Examples:\n  minictr pull ubuntu                       # docker.io/library/ubuntu:latest\n' +
        '  minictr pull 127.0.0.1:5000/demo:v1       # a local registry (plain HTTP)\n',
    )
    .action(async (image: string, o: { insecure: boolean; platform?: string; quiet: boolean; explain: boolean; maxSize?: string }) => {
      const { pullImage } = await import('../../image/pull.js');
      const { createExplainer } = await import('../../util/explain.js');
      await pullImage(image, { insecure: o.insecure, platform: o.platform, quiet: o.quiet, maxSize: o.maxSize, explain: createExplainer(o.explain) });
    });
}
