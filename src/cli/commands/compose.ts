import { Command, Option } from 'commander';
import type { ComposeContext } from '../../compose/project.js';
import { parseRunArgv } from './run.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The project of `minictr compose [-f FILE]... [-p NAME] SUB`: loaded, interpolated,
 * merged and checked before the subcommand does anything. */
async function context(sub: Command, explain = false): Promise<ComposeContext> {
  const { writeSync } = await import('node:fs');
  const { basename } = await import('node:path');
  const { loadProject } = await import('../../compose/load.js');
  const { validateProject } = await import('../../compose/validate.js');
  const { createExplainer } = await import('../../util/explain.js');
  const compose = sub.parent!;
  const g = compose.opts<{ file: string[]; projectName?: string }>();
  const loaded = loadProject({ files: g.file, project: g.projectName, cwd: process.cwd(), env: process.env });
  for (const w of loaded.warnings) writeSync(2, `minictr: warning: ${w}\n`);
  const source = loaded.files.map((f) => basename(f)).join('+');
  const model = validateProject(loaded.tree, { project: loaded.project, source, dir: loaded.dir, vars: loaded.vars });
  return {
    model,
    tree: loaded.tree,
    parseRun: parseRunArgv,
    explain: createExplainer(explain, (s) => writeSync(2, s)),
    say: (line) => writeSync(2, `${line}\n`),
  };
}

export function register(program: Command): void {
  const compose = program
    .command('compose')
    .description('run a multi-container application from compose.yaml (the Compose specification)')
    .addOption(new Option('-f, --file <file>', 'compose file (repeatable: later files merge over earlier ones; default: compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml)').argParser(collect).default([], ''))
    .option('-p, --project-name <name>', 'project name (default: name: in the file, $COMPOSE_PROJECT_NAME, or the directory name)')
    .enablePositionalOptions()
    .addHelpText('after', `
Containers are named PROJECT-SERVICE-N, networks PROJECT_NETWORK (the project's own
"default" network unless a service names others; a service on several has eth0, eth1...
in the file's order); every container answers on each of its networks to its service name. Top-level volumes are PROJECT_VOLUME, made by up and kept by down
(down -v removes them); restart: and healthcheck: are run's --restart and --health-* flags,
and up starts a service with depends_on condition service_healthy only once the dependency
is healthy (an unhealthy one stops up, leaving what it started, as Docker Compose does).
build: is minictr build (tagged image:, else PROJECT-SERVICE; up builds a missing image,
up --build and build always; pull skips a built service without image:); entrypoint:,
stop_signal: and stop_grace_period: are run's --entrypoint, --stop-signal, --stop-timeout;
init: true is accepted (minictr-init is always PID 1).
--explain on up, down, start, stop and run prints each step as the plain minictr command
it is.`);

  compose
    .command('up')
    .description('create and start the services (in depends_on order); unchanged ones are left running, changed ones recreated')
    .argument('[service...]', 'only these services (and what they depend on)')
    .option('-d, --detach', 'start them in the background and return', false)
    .option('--build', 'build the images of services with build: first (without it, only a missing one is built)', false)
    .option('--scale <service=n>', 'run N containers of a service (repeatable)', collect, [])
    .option('--remove-orphans', 'remove containers of services that are no longer in the file', false)
    .option('--explain', 'print each step as the minictr command it amounts to', false)
    .action(async function (this: Command, services: string[], o: { detach: boolean; build: boolean; scale: string[]; removeOrphans: boolean; explain: boolean }) {
      const { composeUp } = await import('../../compose/project.js');
      process.exitCode = await composeUp(await context(this, o.explain), { detach: o.detach, build: o.build, services, scale: o.scale, removeOrphans: o.removeOrphans });
    });

  compose
    .command('build')
    .description('build the images of the services with build: (minictr build, tagged with image: or PROJECT-SERVICE)')
    .argument('[service...]', 'only these services')
    .option('--explain', 'print each build as the minictr build command it amounts to', false)
    .action(async function (this: Command, services: string[], o: { explain: boolean }) {
      const { composeBuild } = await import('../../compose/project.js');
      await composeBuild(await context(this, o.explain), services);
    });

  compose
    .command('pull')
    .description('pull the services\' images (a service with build: and no image: is skipped)')
    .argument('[service...]', 'only these services')
    .option('--explain', 'print each pull as the minictr pull command it amounts to', false)
    .action(async function (this: Command, services: string[], o: { explain: boolean }) {
      const { composePull } = await import('../../compose/project.js');
      await composePull(await context(this, o.explain), services);
    });

  compose
    .command('down')
    .description('remove the services\' containers, then the project\'s networks (nothing there: nothing to do); named volumes are kept unless -v')
    .option('--remove-orphans', 'also remove containers of services no longer in the file', false)
    .option('-v, --volumes', 'also remove the project\'s named volumes (those of its top-level volumes: made by its up) and the containers\' anonymous volumes', false)
    .option('--explain', 'print each step as the minictr command it amounts to', false)
    .action(async function (this: Command, o: { removeOrphans: boolean; volumes: boolean; explain: boolean }) {
      const { composeDown } = await import('../../compose/project.js');
      await composeDown(await context(this, o.explain), { removeOrphans: o.removeOrphans, volumes: o.volumes });
    });

  compose
    .command('ps')
    .description('list the project\'s containers')
    .option('-a, --all', 'stopped ones too', false)
    .action(async function (this: Command, o: { all: boolean }) {
      const { composePs } = await import('../../compose/project.js');
      const { writeSync } = await import('node:fs');
      writeSync(1, composePs(await context(this), o));
    });

  compose
    .command('logs')
    .description('the services\' output, each line after SERVICE-N |')
    .argument('[service...]', 'only these services')
    .option('-f, --follow', 'keep printing new lines as they are written, until Ctrl-C or SIGTERM (or every container has exited)', false)
    .action(async function (this: Command, services: string[], o: { follow: boolean }) {
      const { composeLogs } = await import('../../compose/project.js');
      await composeLogs(await context(this), services, o);
    });

  compose
    .command('exec')
    .description('run a command in a running container of a service')
    .argument('<service>', 'service name')
    .argument('<command...>', 'command and arguments')
    .option('--index <n>', 'which container of the service (default 1)', (v) => Number(v), 1)
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory')
    .option('-u, --user <user>', 'user to run as')
    .option('--explain', 'print the minictr command it amounts to', false)
    .passThroughOptions()
    .action(async function (this: Command, service: string, command: string[], o: { index: number; env: string[]; workdir?: string; user?: string; explain: boolean }) {
      const { composeExec } = await import('../../compose/project.js');
      process.exitCode = await composeExec(await context(this, o.explain), service, command, o);
    });

  compose
    .command('run')
    .description('run a one-off command in a new container of a service (on the project network, no published ports)')
    .argument('<service>', 'service name')
    .argument('[command...]', 'command and arguments (default: the service\'s)')
    .option('--rm', 'remove the container when it exits', false)
    .option('--explain', 'print the minictr command it amounts to', false)
    .passThroughOptions()
    .action(async function (this: Command, service: string, command: string[], o: { rm: boolean; explain: boolean }) {
      const { composeRun } = await import('../../compose/project.js');
      process.exitCode = await composeRun(await context(this, o.explain), service, command, o);
    });

  for (const [verb, what] of [['start', 'start the services\' stopped containers'], ['stop', 'stop the services\' containers (their stop_signal, SIGTERM by default, then SIGKILL after stop_grace_period, 10 s by default)'], ['restart', 'stop, then start the services\' containers']] as const) {
    compose
      .command(verb)
      .description(what)
      .argument('[service...]', 'only these services')
      .option('--explain', 'print each step as the minictr command it amounts to', false)
      .action(async function (this: Command, services: string[], o: { explain: boolean }) {
        const p = await import('../../compose/project.js');
        const ctx = await context(this, o.explain);
        await (verb === 'start' ? p.composeStart : verb === 'stop' ? p.composeStop : p.composeRestart)(ctx, services);
      });
  }

  compose
    .command('config')
    .description('print the resolved file: merged, interpolated, checked')
    .action(async function (this: Command) {
      const { composeConfig } = await import('../../compose/project.js');
      const { writeSync } = await import('node:fs');
      writeSync(1, composeConfig(await context(this)));
    });
}
