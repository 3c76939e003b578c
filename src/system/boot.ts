/**
 * After the host boots: `minictr system boot` starts the containers whose restart policy
 * says they come back (Docker's daemon does this when it starts): `always` ones, and
 * `unless-stopped` ones that were not stopped by hand; an `on-failure` or `no` container
 * stays as it was. A reboot leaves their records saying "running" with a pid that is gone
 * (or another process's: the pid's start time tells), which is what isRunning checks.
 * `minictr system service` writes the systemd unit that runs it at boot (serviceUnit).
 */
import { MinictrError } from '../errors.js';
import type { Explainer } from '../util/explain.js';
import { startExisting } from '../runtime/lifecycle.js';
import { isRestarting, isRunning, listContainers, type Container } from '../runtime/store.js';

/** Docker's rule at daemon start: always, or unless-stopped not stopped by the user. */
export function startsAtBoot(c: Pick<Container, 'config' | 'state'>): boolean {
  const p = c.config.restartPolicy?.Name;
  return p === 'always' || (p === 'unless-stopped' && !c.state.stoppedByUser);
}

export interface BootResult {
  started: string[];
  failed: { name: string; error: string }[];
}

/** Start, in the order they were created, every container the policy brings back that does
 * not run; one that fails to start is reported and the others are still started. */
export async function bootContainers(explain: Explainer, say: (line: string) => void): Promise<BootResult> {
  const out: BootResult = { started: [], failed: [] };
  const due = listContainers()
    .filter((c) => startsAtBoot(c) && !isRunning(c) && !isRestarting(c))
    .sort((a, b) => a.config.created.localeCompare(b.config.created));
  for (const c of due) {
    explain.step(`start ${c.config.name} (--restart ${c.config.restartPolicy!.Name})`, `minictr start ${c.config.name}`);
    try {
      await startExisting(c.config.id, { attach: false, explain: false });
      out.started.push(c.config.name);
      say(`started ${c.config.name}`);
    } catch (err) {
      out.failed.push({ name: c.config.name, error: (err as Error).message });
    }
  }
  return out;
}

export const UNIT_NAME = 'minictr.service';

/** The systemd unit that runs `minictr system boot` once at boot, with this minictr (node
 * and bin/minictr by absolute path) and this state root. Pure: the text is what is written
 * and what is tested. */
export function serviceUnit(o: { node: string; bin: string; env: Record<string, string | undefined> }): string {
  const env = (['MINICTR_ROOT', 'MINICTR_RUN'] as const).filter((k) => o.env[k]).map((k) => `Environment=${quoteUnitValue(`${k}=${o.env[k]}`)}`);
  // ExecStart expands $VAR: a literal $ is $$ there
  const word = (v: string): string => quoteUnitValue(v).replace(/\$/g, '$$$$');
  return [
    '[Unit]',
    'Description=minictr: start the containers whose restart policy is always or unless-stopped',
    // the bridges and firewall rules a container's network needs are made by minictr itself
    'After=network-online.target local-fs.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    // the containers' monitors outlive this process; stopping the unit must not kill them
    'RemainAfterExit=yes',
    'KillMode=process',
    ...env,
    `ExecStart=${word(o.node)} ${word(o.bin)} system boot`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** A value systemd reads as one word: quoted, with \ and " escaped, when it has to be. */
function quoteUnitValue(v: string): string {
  if (/[\n\0]/.test(v)) throw new MinictrError(`a systemd unit value cannot contain a newline or NUL: ${JSON.stringify(v)}`);
  return /^[A-Za-z0-9_./:=@+-]+$/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}
