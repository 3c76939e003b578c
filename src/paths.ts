/**
 * Where minictr keeps its state. Persistent state (images, layers, containers, volumes) lives under
 * MINICTR_ROOT (default /var/lib/minictr); runtime state that must vanish on reboot (locks,
 * pids, net journals) under MINICTR_RUN (default /run/minictr). Tests move both to temp dirs.
 */
import { statSync } from 'node:fs';
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

/** A state root that exists must be a directory: one line at start, not a crash mid-command. */
export function checkStateRoots(): void {
  for (const [variable, dir] of [['MINICTR_ROOT', stateRoot()], ['MINICTR_RUN', runRoot()]] as const) {
    let isDir = true;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      /* made on first use */
    }
    if (!isDir) throw new UsageError(`${variable} ${dir} is not a directory`);
  }
}
