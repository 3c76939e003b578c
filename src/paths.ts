/**
 * Where minictr keeps its state. Persistent state (images, layers, containers, volumes) lives under
 * MINICTR_ROOT (default /var/lib/minictr); runtime state that must vanish on reboot (locks,
 * pids, net journals) under MINICTR_RUN (default /run/minictr). Tests move both to temp dirs.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';

export function stateRoot(): string {
  return process.env.MINICTR_ROOT || '/var/lib/minictr';
}

export function runRoot(): string {
  return process.env.MINICTR_RUN || '/run/minictr';
}

export const paths = {
  images: (): string => join(stateRoot(), 'images'),
  layers: (): string => join(stateRoot(), 'layers'),
  containers: (): string => join(stateRoot(), 'containers'),
  tmp: (): string => join(stateRoot(), 'tmp'),
  networks: (): string => join(stateRoot(), 'networks'),
  volumes: (): string => join(stateRoot(), 'volumes'),
  runContainers: (): string => join(runRoot(), 'containers'),
  net: (): string => join(runRoot(), 'net'),
  locks: (): string => join(runRoot(), 'locks'),
};

/**
 * A state root that exists must be a directory: one line at start, not a crash mid-command.
 * The usual answer, a directory, comes from access("DIR/"): the kernel resolves a path with a
 * trailing slash only to a directory (a file is ENOTDIR), following symlinks as stat does.
 * It builds no Stats object, and it spares a command that stats nothing else (`--version`,
 * `ps`) the first call of statSync, which compiles node's stat path: ~0.9 M instructions
 * (BENCHMARKS.md, "the run's one scavenge, and checkStateRoots"). Anything else (missing, a
 * file, not searchable) is judged by statSync as before.
 */
export function checkStateRoots(): void {
  for (const [variable, dir] of [['MINICTR_ROOT', stateRoot()], ['MINICTR_RUN', runRoot()]] as const) {
    if (existsSync(`${dir}/`)) continue;
    let isDir = true;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      /* made on first use */
    }
    if (!isDir) throw new UsageError(`${variable} ${dir} is not a directory`);
  }
}
