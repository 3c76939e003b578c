/**
 * Where minictr keeps its state. Persistent state (images, layers, containers) lives under
 * MINICTR_ROOT (default /var/lib/minictr); runtime state that must vanish on reboot (locks,
 * pids, net journals) under MINICTR_RUN (default /run/minictr). Tests move both to temp dirs.
 */
import { join } from 'node:path';

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
  runContainers: (): string => join(runRoot(), 'containers'),
  net: (): string => join(runRoot(), 'net'),
  locks: (): string => join(runRoot(), 'locks'),
};
