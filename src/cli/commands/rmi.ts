import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('rmi')
    .description('remove images (a tag; the image and its unused layers once no tag is left)')
    .argument('<image...>', 'NAME[:TAG], image ID or ID prefix')
    .option('-f, --force', 'remove an image with several tags by ID; untag an image in use', false)
    .action(async (refs: string[], o: { force: boolean }) => {
      const { removeImage } = await import('../../image/store.js');
      const { listContainers } = await import('../../runtime/store.js');
      // a --rm container that has ended is no user (runtime/pending-removal.ts)
      await (await import('../../runtime/pending-removal.js')).awaitPendingRemovals();
      // Containers (running or stopped) made from the image keep it: its layers are their
      // overlay's lower dirs.
      const inUse = async (imageId: string): Promise<string[]> =>
        listContainers()
          .filter((c) => c.config.imageId === imageId)
          .map((c) => `${c.config.name} (${c.config.id.slice(0, 12)})`);
      let failure: unknown;
      for (const ref of refs) {
        try {
          const res = await removeImage(ref, { force: o.force, inUse });
          for (const t of res.untagged) process.stdout.write(`Untagged: ${t}\n`);
          for (const d of res.deleted) process.stdout.write(`Deleted: ${d}\n`);
          for (const n of res.notes) process.stderr.write(`minictr: ${n}\n`);
        } catch (err) {
          // Like docker: go on with the other images, report every failure, fail at the end.
          if (failure !== undefined) process.stderr.write(`minictr: ${(failure as Error).message}\n`);
          failure = err;
        }
      }
      if (failure !== undefined) throw failure;
    });
}
