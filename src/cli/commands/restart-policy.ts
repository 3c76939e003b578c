import type { Command } from 'commander';

/** Hidden: minictr-monitor runs it when a container with a --restart policy has exited. */
export function register(program: Command): void {
  program
    .command('restart-policy', { hidden: true })
    .description('carry out a container\'s restart policy after its exit (run by minictr-monitor)')
    .argument('<id>', 'container id')
    .action(async (id: string) => {
      const { restartByPolicy } = await import('../../runtime/lifecycle.js');
      try {
        await restartByPolicy(id);
      } catch (err) {
        // nobody reads this process's stderr (the monitor's is /dev/null): the failure goes
        // where the user looks, the container's log, then the usual exit status
        const { closeSync, constants, openSync, writeSync } = await import('node:fs');
        const { policyFailureRecord } = await import('../../runtime/restart-policy.js');
        const { containerDir, logFile } = await import('../../runtime/store.js');
        try {
          if (!/^[0-9a-f]{64}$/.test(id)) throw err; // no path from a malformed argument
          // never O_CREAT: the monitor made the log at start; a log made here again is a file
          // in the dir of a container that `rm` is deleting (and read half-deleted)
          const fd = openSync(logFile(containerDir(id)), constants.O_WRONLY | constants.O_APPEND);
          try {
            writeSync(fd, policyFailureRecord(err instanceof Error ? err.message : String(err), Date.now()));
          } finally {
            closeSync(fd);
          }
        } catch {
          /* the container is gone */
        }
        throw err;
      }
    });
}
