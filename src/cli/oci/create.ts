import type { Command } from 'commander';
import { ociGlobals } from './context.js';

export const intArg = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new Error(`"${v}" is not a whole number`);
  return Number(v);
};

export function register(program: Command): void {
  program
    .command('create')
    .description('set a container up from its bundle; its process waits for `start`')
    .argument('<id>', 'container id')
    .option('-b, --bundle <dir>', 'the bundle: config.json and the root filesystem (default: the current directory)')
    .option('--pid-file <file>', 'write the container process\'s pid here')
    .option('--console-socket <path>', 'with process.terminal: send the pty master to this unix socket')
    .option('--no-pivot', 'move the root with MS_MOVE + chroot instead of pivot_root (a ramfs root)')
    .option('--no-new-keyring', 'keep the caller\'s session keyring instead of a new one')
    .option('--preserve-fds <n>', 'pass fds 3 .. 3+N-1 on to the container', intArg, 0)
    .option('-d, --detach', 'accepted: create always leaves the container behind')
    .action(async (id: string, o: { bundle?: string; pidFile?: string; consoleSocket?: string; pivot: boolean; newKeyring: boolean; preserveFds: number }, cmd: Command) => {
      const g = ociGlobals(cmd);
      const { checkId } = await import('../../oci/store.js');
      const { createContainer } = await import('../../oci/create.js');
      await createContainer({ root: g.root, id: checkId(id), bundle: o.bundle, pidFile: o.pidFile, consoleSocket: o.consoleSocket, noPivot: !o.pivot, noNewKeyring: !o.newKeyring, preserveFds: o.preserveFds, explain: g.explain });
    });
}
