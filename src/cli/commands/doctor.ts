import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the host settings containers depend on, and explain each fix')
    .action(async () => {
      const { runChecks, formatChecks } = await import('../../network/container/doctor.js');
      const { writeSync } = await import('node:fs');
      const checks = await runChecks();
      writeSync(1, formatChecks(checks));
      if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
    });
}
