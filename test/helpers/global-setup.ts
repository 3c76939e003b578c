/**
 * Once per suite: hermetic state dirs, and a leak check at the end. Every test file shares
 * them through the environment (MINICTR_ROOT, MINICTR_RUN), which child processes inherit.
 */
import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { BIN } from './cli.js';
import { diffSnapshots, sharedCgroupTops, snapshotKernelObjects } from './leaks.js';

export default async function setup(): Promise<() => Promise<void>> {
  const base = mkdtempSync(join(process.env.MINICTR_TEST_TMP ?? tmpdir(), 'minictr-test-'));
  process.env.MINICTR_ROOT = join(base, 'lib');
  process.env.MINICTR_RUN = join(base, 'run');
  process.env.MINICTR_TEST_BASE = base;
  // the default network's bridge gets a name of this run's own, and is removed at the end
  process.env.MINICTR_BRIDGE_NAME = `mtb${randomBytes(3).toString('hex')}`;
  // images not in the store are "pulled" from Docker Hub: keep that on this machine
  process.env.MINICTR_HUB_MIRROR = '127.0.0.1:9';
  process.env.MINICTR_BRIDGE_SUBNET = `10.${200 + (randomBytes(1)[0]! % 50)}.0.0/16`;
  const before = await snapshotKernelObjects();
  // minictr starts Open vSwitch when a lab or network needs it; the suite stops it again
  const ovsWasRunning = await ovsRunning();
  // minictr keeps its parent cgroups (minictr/, minictr-oci/) between runs, as Docker keeps
  // docker/; the suite removes the ones it made, so the machine is left as it was found
  const topsBefore = new Set(sharedCgroupTops());
  return async () => {
    await execa(BIN, ['network', 'rm', '-f', 'bridge'], { reject: false, timeout: 60_000 });
    const after = await snapshotKernelObjects();
    const leaks = diffSnapshots(before, after);
    if (!ovsWasRunning && (await ovsRunning())) {
      await execa('/usr/share/openvswitch/scripts/ovs-ctl', ['stop'], { reject: false, timeout: 60_000 });
    }
    rmSync(base, { recursive: true, force: true });
    for (const top of sharedCgroupTops().filter((t) => !topsBefore.has(t))) {
      try {
        rmdirSync(top);
      } catch (err) {
        // a cgroup left below it is a leak the snapshot already names
        if (!leaks.length) leaks.push(`cgroup ${top} (shared parent, not removable: ${(err as NodeJS.ErrnoException).code})`);
      }
    }
    if (leaks.length) {
      throw new Error(`the suite leaked kernel objects:\n  ${leaks.join('\n  ')}`);
    }
  };
}

async function ovsRunning(): Promise<boolean> {
  const r = await execa('ovs-vsctl', ['--timeout=2', 'show'], { reject: false, timeout: 10_000 }).catch(() => undefined);
  return r?.exitCode === 0;
}
