import type { Command } from 'commander';
import { ociGlobals } from './context.js';
import { intArg } from './create.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('exec')
    .description('run another process in a running container')
    .argument('<id>', 'container id')
    .argument('[command...]', 'the command (or --process FILE)')
    .option('-p, --process <file>', 'the process as OCI JSON (args, env, cwd, user, capabilities ...)')
    .option('-d, --detach', 'return once it runs; the caller\'s subreaper waits for it', false)
    .option('--pid-file <file>', 'write its pid here')
    .option('-t, --tty', 'give it a terminal (sent to --console-socket)', false)
    .option('--console-socket <path>', 'unix socket that gets the pty master')
    .option('--cwd <dir>', 'working directory')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-u, --user <uid[:gid]>', 'user and group ids')
    .option('-c, --cap <CAP_X>', 'add a capability (repeatable)', collect, [])
    .option('--no-new-privs', 'set no_new_privs')
    .option('--preserve-fds <n>', 'pass fds 3 .. 3+N-1 on to the process', intArg, 0)
    .passThroughOptions()
    .action(async (id: string, command: string[], o: { process?: string; detach: boolean; pidFile?: string; tty: boolean; consoleSocket?: string; cwd?: string; env: string[]; user?: string; cap: string[]; newPrivs?: boolean; preserveFds: number }, cmd: Command) => {
      const g = ociGlobals(cmd);
      const { execInContainer } = await import('../../oci/exec.js');
      process.exitCode = await execInContainer({
        root: g.root, id, processFile: o.process, args: command, cwd: o.cwd, env: o.env, user: o.user, caps: o.cap, tty: o.tty,
        noNewPrivs: o.newPrivs === false ? true : undefined, detach: o.detach, pidFile: o.pidFile, consoleSocket: o.consoleSocket, preserveFds: o.preserveFds, explain: g.explain,
      });
    });
}
