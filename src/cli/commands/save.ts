import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('save')
    .description('write images to a tar archive (an OCI image layout and a docker-archive in one)')
    .argument('<image...>', 'NAME[:TAG] or ID of each image')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--explain', 'print each step with its shell equivalent', false)
    .addHelpText(
      'after',
      '\nThe archive has oci-layout, index.json and blobs/sha256/ (skopeo oci-archive:, umoci) and\n' +
        'manifest.json and repositories (docker load, podman load), over the same blobs; layers\n' +
        'are the uncompressed tars they were stored from.\n\n' +
        'Example:\n  minictr save -o debian.tar debian && podman load -i debian.tar\n',
    )
    .action(async (images: string[], o: { output?: string; explain: boolean }) => {
      const { saveImages } = await import('../../image/save.js');
      const { createExplainer } = await import('../../util/explain.js');
      await saveImages(images, { output: o.output, explain: createExplainer(o.explain) });
    });
}
