/**
 * `minictr-oci ps [--format json|table] ID [PS_ARGS...]`: the processes of the container's
 * cgroup. json: their host pids (what containerd's `ctr task ps` reads); table: the lines of
 * `ps` (default `ps -ef`) for those pids, with its header.
 */
import { cgroupPids } from '../cgroup/cgroup.js';
import { runTool } from '../util/tool.js';
import { OciError } from './errors.js';
import { loadRecord } from './store.js';

export async function listProcesses(root: string, id: string, format: string, psArgs: string[]): Promise<string> {
  const r = loadRecord(root, id);
  const pids = r.cgroupName ? cgroupPids(r.cgroupName) : [];
  if (format === 'json') return `${JSON.stringify(pids)}\n`;
  if (format !== 'table') throw new OciError(`invalid --format "${format}": json or table`, 'usage');
  const out = (await runTool('ps', psArgs.length ? psArgs : ['-ef'])).stdout.split('\n');
  const header = out[0] ?? '';
  const col = header.trim().split(/\s+/).indexOf('PID');
  if (col < 0) throw new OciError('ps printed no PID column');
  const wanted = new Set(pids.map(String));
  return [header, ...out.slice(1).filter((l) => wanted.has(l.trim().split(/\s+/)[col] ?? ''))].join('\n') + '\n';
}
