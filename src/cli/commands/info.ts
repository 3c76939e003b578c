import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('info')
    .description('what this host offers containers: cgroup mode and the controllers minictr can use')
    .option('--format <format>', '"json" prints the same as JSON')
    .action(async (o: { format?: string }) => {
      const { hostCgroupInfo, formatHostCgroupInfo } = await import('../../cgroup/info.js');
      const { UsageError } = await import('../../errors.js');
      const { writeSync } = await import('node:fs');
      const { release } = await import('node:os');
      if (o.format !== undefined && o.format !== 'json') throw new UsageError(`unknown --format "${o.format}": only json is supported`);
      const cg = hostCgroupInfo();
      if (o.format === 'json') writeSync(1, `${JSON.stringify({ kernel: release(), cgroup: cg }, null, 2)}\n`);
      else writeSync(1, `Kernel:           ${release()}\n${formatHostCgroupInfo(cg)}`);
    });
}
