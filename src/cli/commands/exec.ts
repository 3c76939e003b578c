import type { Command } from 'commander';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('exec')
    .description('run a command in a running container')
    .argument('<container>', 'container name or id')
    .argument('<command...>', 'command and arguments')
    .option('-i, --interactive', 'keep stdin attached', false)
    .option('-t, --tty', 'allocate a pseudo-terminal', false)
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user to run as')
    .option('--explain', 'print each kernel step with its shell equivalent', false)
    .passThroughOptions()
    .action(async (ref: string, command: string[], o: { interactive: boolean; tty: boolean; env: string[]; workdir?: string; user?: string; explain: boolean }) => {
      const { execInContainer } = await import('../../runtime/exec.js');
      process.exitCode = await execInContainer(ref, command, o);
    });
}
