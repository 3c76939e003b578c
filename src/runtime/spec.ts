/**
 * From a container and its image to the exact description the C child carries out:
 * namespaces, the overlay root, every mount in order, devices, masked paths, capabilities,
 * and the init's argv. This is the equivalent of runc's config.json.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupNamespaceView } from '../cgroup/ns-view.js';
import { CLONE, MS, initBinaryPath, type NativeMount, type NativeSpawnSpec } from '../native/index.js';
import { capNumbers, DOCKER_DEFAULT_CAPS } from './capabilities.js';
import { defaultDevices, defaultSymlinks, kernelMounts, MASKED_PATHS, READONLY_PATHS } from './filesystem.js';
import type { Container } from './store.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SpawnInputs {
  container: Container;
  /** image layer dirs, top first (overlay lowerdir order) */
  layers: string[];
  argv: string[];
  env: string[];
  etcMounts: NativeMount[];
  stdio: [number, number, number];
  cgroupFd: number;
  explainFd: number;
  ttySize?: { rows: number; cols: number };
}

/** PATH, HOSTNAME, HOME (and TERM with a tty), then the image's Env, then -e: later wins. */
export function containerEnv(hostname: string, tty: boolean, imageEnv: string[], userEnv: string[]): string[] {
  const env = new Map<string, string>();
  const put = (kv: string): void => {
    const eq = kv.indexOf('=');
    if (eq > 0) env.set(kv.slice(0, eq), kv);
  };
  [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`, 'HOME=/root'].forEach(put);
  if (tty) put('TERM=xterm');
  imageEnv.forEach(put);
  userEnv.forEach(put);
  return [...env.values()];
}

export function buildSpawnSpec(i: SpawnInputs): NativeSpawnSpec {
  const c = i.container.config;
  const cgroupView = cgroupNamespaceView();
  const mounts: NativeMount[] = [...kernelMounts(), ...cgroupView.mounts, ...i.etcMounts];
  for (const v of c.volumes) {
    mounts.push({ source: v.source, target: v.target, flags: MS.BIND | MS.REC | (v.readonly ? MS.RDONLY : 0), file: isFile(v.source) });
  }
  for (const t of c.tmpfs) {
    mounts.push({ source: 'tmpfs', target: t, fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: 'size=65536k' });
  }
  const dir = i.container.dir;
  return {
    cloneFlags: CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWPID | CLONE.NEWNET,
    unshareCgroupns: true,
    rootfs: join(dir, 'merged'),
    overlay: `lowerdir=${i.layers.join(':')},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`,
    mounts,
    devices: defaultDevices(),
    symlinks: [...defaultSymlinks(), ...cgroupView.symlinks],
    masked: [...MASKED_PATHS],
    readonly: [...READONLY_PATHS, ...cgroupView.readonly],
    hostname: c.hostname,
    cwd: c.cwd,
    argv: ['minictr-init', ...(c.tty ? ['--tty'] : []), '--', ...i.argv],
    env: i.env,
    caps: capNumbers(DOCKER_DEFAULT_CAPS),
    noNewPrivs: true,
    tty: c.tty,
    ttyRows: i.ttySize?.rows,
    ttyCols: i.ttySize?.cols,
    stdio: i.stdio,
    loopbackUp: true,
    dieWithParent: true,
    cgroupFd: i.cgroupFd,
    initPath: initBinaryPath(),
    explainFd: i.explainFd,
  };
}

function isFile(p: string): boolean {
  try {
    return !statSync(p).isDirectory();
  } catch {
    return false;
  }
}
