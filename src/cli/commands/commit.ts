import type { Command } from 'commander';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function register(program: Command): void {
  program
    .command('commit')
    .description("create a new image from a container's changes")
    .argument('<container>', 'container name or id')
    .argument('<name>', 'image NAME[:TAG] (tag defaults to latest)')
    .option('-m, --message <text>', 'commit message (shown by minictr history)')
    .option('-c, --change <instruction>', "set config with a Dockerfile instruction: CMD, ENTRYPOINT, ENV, WORKDIR, USER (repeatable)", collect)
    .option('--pause <bool>', 'freeze a running container while its files are read (true|false)', 'true')
    .option('--explain', 'print each step with its shell equivalent', false)
    .addHelpText(
      'after',
      "\nThe container's overlay upper dir becomes one new layer on top of its image's layers;\n" +
        'files it deleted become OCI whiteouts (.wh.NAME). The new image runs the container\'s\n' +
        'command by default. Prints the image ID.\n\n' +
        'A running container is frozen (cgroup freezer) while its files are read, and thawed\n' +
        'after, as docker commit does; --pause=false lets it run on (the layer may then hold\n' +
        'files half-written, and a commit can fail if the container changes them meanwhile).\n\n' +
        'Example:\n  minictr commit ct2 photo:01\n',
    )
    .action(async (ref: string, name: string, o: { message?: string; change?: string[]; pause: string; explain: boolean }) => {
      const { findContainer, isBeingRemoved, isRunning } = await import('../../runtime/store.js');
      const { refuseRemapped } = await import('../../runtime/userns.js');
      const { commitContainer } = await import('../../image/commit.js');
      const { whilePaused } = await import('../../runtime/update.js');
      const { createExplainer } = await import('../../util/explain.js');
      const { ConflictError, UsageError } = await import('../../errors.js');
      const pause = o.pause === 'true' ? true : o.pause === 'false' ? false : undefined;
      if (pause === undefined) throw new UsageError(`invalid --pause "${o.pause}": expected true or false`);
      const explain = createExplainer(o.explain);
      const c = findContainer(ref);
      // as docker commit: a --rm container on its way out (its monitor's rm under way) is not
      // read while that rm deletes its upper dir
      if (isBeingRemoved(c)) throw new ConflictError(`container ${c.config.name} is being removed (--rm): nothing was committed`);
      refuseRemapped(c, 'commit');
      if (!pause && isRunning(c)) process.stderr.write(`minictr: warning: container ${c.config.name} runs on during the commit (--pause=false): files it changes meanwhile may be archived half-written\n`);
      const img = await commitContainer(c, name, {
        message: o.message,
        changes: o.change,
        explain,
        ...(pause ? { whileReading: <T>(read: () => Promise<T>) => whilePaused(c, explain, read) } : {}),
      });
      process.stdout.write(`sha256:${img.id}\n`);
    });
}
