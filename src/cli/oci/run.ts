import type { Command } from 'commander';
import { ociGlobals } from './context.js';
import { intArg } from './create.js';

export function register(program: Command): void {
  program
    .command('run')
    .description('create, start, wait and delete: a container at your terminal')
    .argument('<id>', 'container id')
    .option('-b, --bundle <dir>', 'the bundle (default: the current directory)')
    .option('--pid-file <file>', 'write the container process\'s pid here')
    .option('--no-pivot', 'MS_MOVE + chroot instead of pivot_root')
    .option('--no-new-keyring', 'keep the caller\'s session keyring')
    .option('--preserve-fds <n>', 'pass fds 3 .. 3+N-1 on to the container', intArg, 0)
    .action(async (id: string, o: { bundle?: string; pidFile?: string; pivot: boolean; newKeyring: boolean; preserveFds: number }, cmd: Command) => {
      const g = ociGlobals(cmd);
      const { checkId } = await import('../../oci/store.js');
      const { runContainer } = await import('../../oci/run.js');
      process.exitCode = await runContainer({ root: g.root, id: checkId(id), bundle: o.bundle, pidFile: o.pidFile, noPivot: !o.pivot, noNewKeyring: !o.newKeyring, preserveFds: o.preserveFds, explain: g.explain });
    });
}
