import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('push')
    .description('upload an image to a registry (registry API v2)')
    .argument('<image>', 'NAME[:TAG] of a stored image, e.g. 127.0.0.1:5000/team/app:v1 (tag it first: minictr tag)')
    .option('--insecure', 'allow plain HTTP to the registry (localhost and 127.0.0.0/8 always are)', false)
    .option('--format <format>', 'manifest format: docker (v2 schema 2) or oci (default: as the image was pulled or loaded, else docker)')
    .option('--chunk-size <size>', 'layers bigger than this go up in chunks of this size (e.g. 8m; 0: one request each)', '8m')
    .option('--explain', 'print each registry request as the curl command it stands for', false)
    .addHelpText(
      'after',
      '\nLayers the registry already has (HEAD) are not sent again; the manifest is put last, so a\n' +
        'failed push leaves the tag in the registry as it was. A login made with `minictr login`\n' +
        'is used (basic authentication, or a token from the registry\'s token server).\n\n' +
        'Example:\n  minictr tag debian 127.0.0.1:5000/demo/debian:12 && minictr push 127.0.0.1:5000/demo/debian:12\n',
    )
    .action(async (image: string, o: { insecure: boolean; format?: string; chunkSize: string; explain: boolean }) => {
      const { pushImage, parseSize } = await import('../../image/push.js');
      const { parseFormat } = await import('../../image/manifest-build.js');
      const { createExplainer } = await import('../../util/explain.js');
      await pushImage(image, { insecure: o.insecure, format: o.format === undefined ? undefined : parseFormat(o.format), chunkSize: parseSize(o.chunkSize), explain: createExplainer(o.explain) });
    });
}
