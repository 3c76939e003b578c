import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('update')
    .description('change the resource limits of containers (live if running; kept for their next start)')
    .argument('<container...>', 'container names or ids')
    .option('-m, --memory <bytes>', 'memory limit, e.g. 64m or 1g')
    .option('--memory-swap <bytes>', 'memory + swap limit (-1: unlimited swap)')
    .option('--cpus <n>', 'CPU time limit in CPUs, e.g. 0.5')
    .option('--cpu-shares <n>', 'relative CPU weight, cgroup v1 style (2-262144)')
    .option('--cpu-weight <n>', 'relative CPU weight, cgroup v2 style (1-10000)')
    .option('--cpuset-cpus <list>', 'CPUs the container may run on, e.g. 0 or 0-1')
    .option('--pids-limit <n>', 'maximum number of processes (-1: unlimited)')
    .option('--explain', 'print each cgroup file written, as a shell command', false)
    .action(async (refs: string[], o: Record<string, string | boolean | undefined>) => {
      const { updateContainer } = await import('../../runtime/update.js');
      const { createExplainer } = await import('../../util/explain.js');
      const { writeSync } = await import('node:fs');
      const explain = createExplainer(Boolean(o.explain), (s) => writeSync(2, s));
      const str = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
      for (const ref of refs) {
        await updateContainer(ref, {
          memory: str('memory'),
          memorySwap: str('memorySwap'),
          cpus: str('cpus'),
          cpuShares: str('cpuShares'),
          cpuWeight: str('cpuWeight'),
          cpusetCpus: str('cpusetCpus'),
          pidsLimit: str('pidsLimit'),
        }, explain);
        writeSync(1, `${ref}\n`);
      }
    });
}
