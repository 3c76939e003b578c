/**
 * `minictr top`: the container's processes as the host sees them: every process whose PID
 * namespace is the container's (the kernel's /proc/PID/ns/pid link), shown by the host's ps.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { runTool } from '../util/tool.js';
import { ConflictError } from '../errors.js';
import { findContainer, isRunning } from './store.js';

export function containerPids(initPid: number): number[] {
  const ns = readlinkSync(`/proc/${initPid}/ns/pid`);
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/pid`) === ns) pids.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids.sort((a, b) => a - b);
}

export async function topContainer(ref: string, psArgs: string[] = []): Promise<string> {
  const c = findContainer(ref);
  if (!isRunning(c)) throw new ConflictError(`container ${c.config.name} is not running`);
  const pids = containerPids(c.state.pid!);
  const format = psArgs.length ? psArgs : ['-o', 'uid,pid,ppid,stime,time,args'];
  const r = await runTool('ps', [...format, '-p', pids.join(',')], { allowFailure: true });
  return r.stdout + '\n';
}
