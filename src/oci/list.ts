/** `minictr-oci list [--format table|json] [-q]`: every container under the root. */
import { table } from '../util/format.js';
import { OciError } from './errors.js';
import { stateOf } from './status.js';
import { listIds, loadRecord } from './store.js';

export function listContainers(root: string, format: string, quiet: boolean): string {
  const states = listIds(root).flatMap((id) => {
    try {
      return [stateOf(root, loadRecord(root, id))];
    } catch {
      return []; /* a record that cannot be read: `state ID` says why */
    }
  });
  if (quiet) return states.map((s) => `${s.id}\n`).join('');
  if (format === 'json') return `${JSON.stringify(states)}\n`;
  if (format !== 'table') throw new OciError(`invalid --format "${format}": table or json`, 'usage');
  return table(['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, 'root']));
}
