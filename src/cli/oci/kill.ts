import type { Command } from 'commander';
import { ociGlobals, type OciGlobals } from './context.js';

/** runc's default signal for `kill ID` */
export const DEFAULT_KILL_SIGNAL = 'SIGTERM';

/** `kill [--all] ID [SIGNAL]`: what commander calls, and the short verbs' entry (oci-fast.ts) */
export async function kill(g: OciGlobals, id: string, signal: string, all: boolean): Promise<void> {
  const { killContainer } = await import('../../oci/kill.js');
  killContainer(g.root, id, signal, all, g.explain);
}

export function register(program: Command): void {
  program
    .command('kill')
    .description('send a signal (default SIGTERM) to the container\'s process')
    .argument('<id>', 'container id')
    .argument('[signal]', 'a number, KILL or SIGKILL', DEFAULT_KILL_SIGNAL)
    .option('-a, --all', 'to every process of the container\'s cgroup', false)
    .action(async (id: string, signal: string, o: { all: boolean }, cmd: Command) => kill(ociGlobals(cmd), id, signal, o.all));
}
