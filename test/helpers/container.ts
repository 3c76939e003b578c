/**
 * Helpers for runtime tests: run a command in a fresh busybox container and get what it
 * printed, and snapshot what a command leaves on the host (containers on disk, mounts,
 * cgroups, processes, netns) to prove that a failure left nothing behind.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { minictr, type CliResult } from './cli.js';
import { snapshotKernelObjects, diffSnapshots } from './leaks.js';

export async function inBusybox(script: string, extra: string[] = []): Promise<CliResult> {
  return minictr(['run', '--rm', ...extra, 'busybox', 'sh', '-c', script]);
}

function containerDirs(): string[] {
  const dir = join(process.env.MINICTR_ROOT!, 'containers');
  return existsSync(dir) ? readdirSync(dir).filter((e) => e !== '.names').sort() : [];
}

function reservedNames(): string[] {
  const dir = join(process.env.MINICTR_ROOT!, 'containers', '.names');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Everything that a container run could leave behind, host-wide and in minictr's state. */
export async function leftovers(): Promise<{ snapshot: Awaited<ReturnType<typeof snapshotKernelObjects>>; dirs: string[]; names: string[] }> {
  return { snapshot: await snapshotKernelObjects(), dirs: containerDirs(), names: reservedNames() };
}

export function newSince(before: Awaited<ReturnType<typeof leftovers>>, after: Awaited<ReturnType<typeof leftovers>>): string[] {
  const out = diffSnapshots(before.snapshot, after.snapshot);
  for (const d of after.dirs) if (!before.dirs.includes(d)) out.push(`container dir: ${d}`);
  for (const n of after.names) if (!before.names.includes(n)) out.push(`container name: ${n}`);
  return out;
}
