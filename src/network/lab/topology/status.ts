/**
 * What is up: each lab's journal checked against the kernel, object by object. A journal that
 * cannot be trusted (journal.ts) is reported as broken, with why, and the others still listed.
 */
import { existsSync } from 'node:fs';
import type { Created } from '../../host/actions.js';
import { hostLinks, namedNamespaces, ovsBridges } from '../../host/state.js';
import { containersPresent } from './containers.js';
import { JournalError, listJournals, readJournal } from './journal.js';

export interface ObjectStatus extends Created {
  present: boolean;
}

export interface LabStatus {
  lab: string;
  file?: string;
  /** The machine this is the part of (a lab placed on machines). */
  machine?: string;
  state: 'up' | 'partial' | 'down' | 'broken';
  objects: ObjectStatus[];
  /** why a broken journal was refused */
  reason?: string;
}

export async function labStatus(lab: string): Promise<LabStatus> {
  const j = readJournal(lab);
  if (!j) return { lab, state: 'down', objects: [] };
  const netns = new Set(namedNamespaces());
  const links = new Set(hostLinks());
  const bridges = j.created.some((c) => c.kind === 'ovs-bridge') ? new Set(await ovsBridges()) : new Set<string>();
  const running = await containersPresent(j.created);
  const seen = new Set<string>();
  const objects: ObjectStatus[] = [];
  for (const c of j.created) {
    const key = `${c.kind}:${c.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const present =
      c.kind === 'netns' ? netns.has(c.name) : c.kind === 'link' ? links.has(c.name) : c.kind === 'ovs-bridge' ? bridges.has(c.name) : c.kind === 'container' ? running.has(c.name) : existsSync(`/etc/netns/${c.name}`);
    objects.push({ ...c, present });
  }
  const state = j.complete && objects.every((o) => o.present) ? 'up' : 'partial';
  return { lab, file: j.file, ...(j.machine ? { machine: j.machine } : {}), state, objects };
}

export async function allLabs(): Promise<LabStatus[]> {
  return Promise.all(
    listJournals().map((lab) =>
      labStatus(lab).catch((err: unknown): LabStatus => {
        if (err instanceof JournalError) return { lab, state: 'broken', objects: [], reason: err.message };
        throw err;
      }),
    ),
  );
}

const KIND_LABEL: Record<Created['kind'], string> = {
  netns: 'namespace',
  link: 'link',
  'ovs-bridge': 'OVS bridge',
  'etc-netns': '/etc/netns',
  container: 'container',
};

export function formatStatus(s: LabStatus, detail: boolean): string {
  if (s.state === 'broken') return `${s.lab}\tbroken\t${s.reason ?? ''}`;
  const present = s.objects.filter((o) => o.present).length;
  const head = `${s.lab}\t${s.state}\t${present}/${s.objects.length} objects${s.machine ? `\ton ${s.machine}` : ''}${s.file ? `\t${s.file}` : ''}`;
  if (!detail) return head;
  const lines = s.objects.map((o) => `  ${KIND_LABEL[o.kind].padEnd(11)} ${o.name.padEnd(16)} ${o.present ? 'present' : 'missing'}`);
  return [head, ...lines].join('\n');
}
