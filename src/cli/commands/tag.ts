import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('tag')
    .description('give an image another name: SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]')
    .argument('<source>', 'the image: NAME[:TAG], ID or ID prefix')
    .argument('<target>', 'the new name, e.g. 127.0.0.1:5000/team/app:v1 (a tag that named another image moves)')
    .addHelpText('after', '\nExample:\n  minictr tag busybox 127.0.0.1:5000/demo/busybox:v1 && minictr push 127.0.0.1:5000/demo/busybox:v1\n')
    .action(async (source: string, target: string) => {
      const { parseReference, tagKey } = await import('../../image/reference.js');
      const { resolveImage } = await import('../../image/resolve.js');
      const { tagImage } = await import('../../image/store.js');
      const { UsageError } = await import('../../errors.js');
      const ref = parseReference(target);
      if (ref.digest) throw new UsageError(`tag ${target}: a tag cannot hold a digest`);
      const img = await resolveImage(source);
      await tagImage(img.id, tagKey(ref));
    });
}
