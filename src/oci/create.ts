/**
 * `minictr-oci create`: set the container up and leave its process waiting before execve.
 * The process is cloned by this command, which then exits: the process is adopted by the
 * caller's subreaper (conmon, containerd-shim, buildah), which collects its exit status, as
 * with runc. No minictr process stays its parent.
 */
import { chmodSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CgroupError } from '../cgroup/files.js';
import { native } from '../native/index.js';
import { launch } from '../runtime/launch.js';
import { readBoundedFile } from '../util/bounded-read.js';
import type { Explainer } from '../util/explain.js';
import { writeFileAtomic } from '../util/json-file.js';
import { processStartTime } from '../util/proc.js';
import { OciError } from './errors.js';
import { parseSpec } from '../spec/parse.js';
import { OCI_VERSION, type OciSpec } from '../spec/config.js';
import { fifoPath, removeContainerDir, reserveId, saveRecord, type OciRecord } from './store.js';

export interface CreateOptions {
  root: string;
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  explain: Explainer;
  /** `run`: this command stays the parent and keeps the terminal (no console socket) */
  attached?: boolean;
}

const MAX_CONFIG = 16 * 1024 * 1024;

export function loadBundle(bundleFlag: string | undefined): { bundle: string; spec: OciSpec } {
  const bundle = resolve(bundleFlag ?? '.');
  let st;
  try {
    st = statSync(bundle);
  } catch {
    throw new OciError(`bundle ${bundle} does not exist`);
  }
  if (!st.isDirectory()) throw new OciError(`bundle ${bundle} is not a directory`);
  const text = readBoundedFile(join(bundle, 'config.json'), MAX_CONFIG, 'config');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OciError(`${join(bundle, 'config.json')}: invalid JSON (${(err as Error).message})`);
  }
  return { bundle, spec: parseSpec(json, join(bundle, 'config.json')) };
}

/** The engine's cgroupsPath, below minictr-oci/ (minictr writes only below cgroups it owns). */
export function ociCgroupName(spec: OciSpec, id: string): string {
  const path = spec.linux?.cgroupsPath;
  if (!path) return `minictr-oci/${id}`;
  if (path.includes(':')) throw new CgroupError(`linux.cgroupsPath "${path}" is a systemd slice path: minictr-oci has no --systemd-cgroup; use the cgroupfs manager`);
  const rel = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!rel || rel.split('/').some((s) => s === '.' || s === '..' || s === '')) throw new CgroupError(`linux.cgroupsPath "${path}" is not a cgroup path`);
  return `minictr-oci/${rel}`;
}

function checkConsoleSocket(spec: OciSpec, socket: string | undefined, attached: boolean): void {
  const terminal = spec.process?.terminal ?? false;
  if (attached && !socket) return;
  if (terminal && !socket) throw new OciError('process.terminal is true: --console-socket is required to hand the terminal over');
  if (!terminal && socket) throw new OciError('--console-socket given, but process.terminal is false: there is no terminal to hand over');
  if (!socket) return;
  let st;
  try {
    st = statSync(socket);
  } catch {
    throw new OciError(`--console-socket ${socket} does not exist`);
  }
  if (!st.isSocket()) throw new OciError(`--console-socket ${socket} is not a socket`);
}

/** Returns the container's pid, and its pty master when `attached` keeps the terminal. */
export async function createContainer(o: CreateOptions): Promise<{ pid: number; ptyMaster: number }> {
  const { bundle, spec } = loadBundle(o.bundle);
  if (!spec.process) throw new OciError(`${join(bundle, 'config.json')}: process is required`);
  if (!spec.root) throw new OciError(`${join(bundle, 'config.json')}: root is required`);
  const rootfs = isAbsolute(spec.root.path) ? spec.root.path : resolve(bundle, spec.root.path);
  try {
    if (!statSync(rootfs).isDirectory()) throw new Error();
  } catch {
    throw new OciError(`root.path ${rootfs} is not a directory`);
  }
  checkConsoleSocket(spec, o.consoleSocket, o.attached ?? false);
  const cgroupName = ociCgroupName(spec, o.id);
  if (o.pidFile && !isAbsolute(o.pidFile)) o.pidFile = resolve(o.pidFile);

  reserveId(o.root, o.id);
  const record: OciRecord = { id: o.id, bundle, created: new Date().toISOString(), cgroupName, rootfs, spec, complete: false };
  try {
    // written before anything else exists, so a create killed midway is found and cleaned
    saveRecord(o.root, record);
    const fifo = fifoPath(o.root, o.id);
    native().mkfifo(fifo, 0o622);
    // mkfifo honours our umask (022 makes it 0600): the process opens it for writing after it
    // became the container's user (uid 1000, or a user namespace's root), as runc's 0622 allows
    chmodSync(fifo, 0o622);
    const launched = await launch({
      id: o.id,
      bundle,
      spec,
      cgroupName,
      overlay: undefined,
      initMode: 'exec',
      // the engine's own stdio, untouched: it reads the container's output until EOF
      stdio: [0, 1, 2],
      explain: o.explain,
      explainFd: o.explain.enabled ? 2 : -1,
      dieWithParent: o.attached ?? false,
      noPivot: o.noPivot,
      preserveFds: o.preserveFds,
      newKeyring: !o.noNewKeyring,
      execFifo: fifo,
      state: (pid) => ({ ociVersion: OCI_VERSION, id: o.id, status: 'creating', pid, bundle, annotations: spec.annotations }),
      beforeStart: async (pid) => {
        record.pid = pid;
        record.pidStart = processStartTime(pid);
        saveRecord(o.root, record);
      },
    });
    launched.cgroup.release();
    let ptyMaster = -1;
    if (launched.ptyMaster >= 0 && !o.consoleSocket) ptyMaster = launched.ptyMaster;
    else if (launched.ptyMaster >= 0) {
      try {
        native().sendFdToSocket(o.consoleSocket!, launched.ptyMaster);
      } finally {
        native().close(launched.ptyMaster);
      }
    }
    if (o.pidFile) writeFileAtomic(o.pidFile, String(launched.pid));
    record.complete = true;
    saveRecord(o.root, record);
    return { pid: launched.pid, ptyMaster };
  } catch (err) {
    if (record.pid) {
      try {
        process.kill(record.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const { removeCgroup } = await import('../cgroup/cgroup.js');
    await removeCgroup(cgroupName).catch(() => undefined);
    removeContainerDir(o.root, o.id);
    throw err;
  }
}
