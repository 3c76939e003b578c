/**
 * Once per suite: hermetic state dirs, and a leak check at the end. Every test file shares
 * them through the environment (MINICTR_ROOT, MINICTR_RUN), which child processes inherit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotKernelObjects, diffSnapshots } from './leaks.js';

export default async function setup(): Promise<() => Promise<void>> {
  const base = mkdtempSync(join(process.env.MINICTR_TEST_TMP ?? tmpdir(), 'minictr-test-'));
  process.env.MINICTR_ROOT = join(base, 'lib');
  process.env.MINICTR_RUN = join(base, 'run');
  process.env.MINICTR_TEST_BASE = base;
  const before = await snapshotKernelObjects();
  return async () => {
    const after = await snapshotKernelObjects();
    const leaks = diffSnapshots(before, after);
    rmSync(base, { recursive: true, force: true });
    if (leaks.length) {
      throw new Error(`the suite leaked kernel objects:\n  ${leaks.join('\n  ')}`);
    }
  };
}
