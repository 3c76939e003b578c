/**
 * Which sysctls a container may set: only those that belong to one of its own namespaces,
 * as runc allows them (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* for IPC; net.* for
 * the network namespace; kernel.hostname and kernel.domainname for UTS). The key is
 * normalised first (slashes are dots too, as sysctl(8) reads them), so that a key like
 * "net.//.kernel.core_pattern" cannot pass a prefix check and land outside.
 */
import { UsageError } from '../errors.js';

const IPC = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const UTS = new Set(['kernel.hostname', 'kernel.domainname']);

export interface Namespaces {
  net: boolean;
  ipc: boolean;
  uts: boolean;
}

/** The key in dotted form, or a UsageError saying why it is refused. whose: what owns the
 * namespaces, in the messages (a lab host has only a network namespace of its own). */
export function checkNamespacedSysctl(raw: string, ns: Namespaces, where = 'linux.sysctl', whose = 'the container'): string {
  const key = raw.replace(/\//g, '.');
  const parts = key.split('.');
  if (!/^[a-zA-Z0-9_.-]+$/.test(key) || parts.some((p) => p === '' || p === '-' ) || key.length > 256) {
    throw new UsageError(`${where}: "${raw}" is not a sysctl name`);
  }
  if (IPC.has(key) || key.startsWith('fs.mqueue.')) {
    if (!ns.ipc) throw new UsageError(`${where}: ${key} needs an IPC namespace of ${whose}'s own`);
    return key;
  }
  if (UTS.has(key)) {
    if (!ns.uts) throw new UsageError(`${where}: ${key} needs a UTS namespace of ${whose}'s own`);
    return key;
  }
  if (parts[0] === 'net' && parts.length >= 3) {
    if (!ns.net) throw new UsageError(`${where}: ${key} needs a network namespace of ${whose}'s own`);
    return key;
  }
  throw new UsageError(`${where}: ${key} is not a namespaced sysctl: it would change the host`);
}
