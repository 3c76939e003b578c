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
        const { appendFileSync } = await import('node:fs');
        const { policyFailureRecord } = await import('../../runtime/restart-policy.js');
        const { containerDir, logFile } = await import('../../runtime/store.js');
        try {
          if (!/^[0-9a-f]{64}$/.test(id)) throw err; // no path from a malformed argument
          appendFileSync(logFile(containerDir(id)), policyFailureRecord(err instanceof Error ? err.message : String(err), Date.now()));
        } catch {
          /* the container is gone */
        }
        throw err;
      }
    });
}
