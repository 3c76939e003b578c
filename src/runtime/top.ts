/**
 * `minictr top`: the container's processes as the host sees them: every process whose PID
 * namespace is the container's (the kernel's /proc/PID/ns/pid link), shown by the host's ps.
 */
import { readlinkSync } from 'node:fs';
import { hostPids, namespaceLink } from '../util/proc.js';
import { runTool } from '../util/tool.js';
import { ConflictError } from '../errors.js';
import { findContainer, isRunning } from './store.js';

export function containerPids(initPid: number): number[] {
  const ns = readlinkSync(`/proc/${initPid}/ns/pid`);
  return hostPids()
    .filter((pid) => namespaceLink(pid, 'pid') === ns)
    .sort((a, b) => a - b);
}

export async function topContainer(ref: string, psArgs: string[] = []): Promise<string> {
  const c = findContainer(ref);
  if (!isRunning(c)) throw new ConflictError(`container ${c.config.name} is not running`);
  const pids = containerPids(c.state.pid!);
  const format = psArgs.length ? psArgs : ['-o', 'uid,pid,ppid,stime,time,args'];
  const r = await runTool('ps', [...format, '-p', pids.join(',')], { allowFailure: true });
  return r.stdout + '\n';
}
