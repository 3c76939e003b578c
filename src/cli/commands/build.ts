import { Option, type Command } from 'commander';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('build')
    .description('build an image from a Dockerfile')
    .argument('<context>', 'the build context: the directory COPY and ADD read (less .dockerignore)')
    .option('-t, --tag <name:tag>', 'name the image (repeatable)', collect, [])
    .option('-f, --file <file>', 'the Dockerfile (default: CONTEXT/Dockerfile)')
    .option('--build-arg <KEY=VALUE>', 'set an ARG (repeatable)', collect, [])
    .option('--target <stage>', 'build this stage (FROM ... AS STAGE) and the stages it needs')
    .option('--no-cache', 'run every step again, reusing nothing from earlier builds')
    .option('--network <mode>', 'network of the RUN containers: bridge (default, NAT to the outside), a network name, none, host')
    .addOption(new Option('--progress <mode>', 'plain: every line of RUN output; tty: one status line per step').choices(['auto', 'plain', 'tty']).default('auto'))
    .option('--explain', 'say for every step which container ran, what changed and which layer was stored', false)
    .addHelpText(
      'after',
      '\nEvery RUN is a container of this runtime (same isolation and networks as minictr run);\n' +
        'its changes become a layer, as with minictr commit. COPY and ADD write a layer from the\n' +
        'context; the other instructions change only the image config. A step is reused from\n' +
        'the cache when its parent, its instruction and the files it reads are unchanged.\n' +
        'Prints the image ID.\n\n' +
        'Example:\n  minictr build -t container3:version2 -f myDocker.dockerfile .\n',
    )
    .action(async (context: string, o: { tag: string[]; file?: string; buildArg: string[]; target?: string; cache: boolean; network?: string; progress: string; explain: boolean }) => {
      const { UsageError } = await import('../../errors.js');
      const buildArgs = new Map<string, string>();
      for (const a of o.buildArg) {
        const eq = a.indexOf('=');
        const key = eq < 0 ? a : a.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`invalid --build-arg "${a}": expected KEY=VALUE`);
        // --build-arg KEY takes the value from the environment, as docker does
        const value = eq < 0 ? process.env[key] : a.slice(eq + 1);
        if (value !== undefined) buildArgs.set(key, value);
      }
      const { buildImage } = await import('../../build/build.js');
      const { writeSync } = await import('node:fs');
      const progress = o.progress === 'auto' ? (process.stderr.isTTY ? 'tty' : 'plain') : (o.progress as 'plain' | 'tty');
      const img = await buildImage({
        context,
        file: o.file,
        tags: o.tag,
        buildArgs,
        target: o.target,
        noCache: !o.cache,
        network: o.network,
        progress,
        explain: o.explain,
        write: (s) => writeSync(2, s),
      });
      process.stdout.write(`sha256:${img.id}\n`);
    });
}
