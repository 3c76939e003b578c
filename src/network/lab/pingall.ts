/**
 * Mininet's pingall: every host pings every other host once; the result is a matrix.
 */
import { existsSync } from 'node:fs';
import { NETNS_DIR } from '../host/state.js';
import type { Topology } from './topology/schema.js';
import { primaryAddress } from './topology/schema.js';
import { ping, type PingResult } from '../host/ping.js';
import { mapLimited } from '../../util/limited.js';

export interface PingMatrix {
  hosts: string[];
  /** results[from][to]; undefined on the diagonal or when `to` has no address. */
  results: Map<string, Map<string, PingResult>>;
}

export async function pingAll(topos: readonly Topology[]): Promise<PingMatrix> {
  const hosts = topos.flatMap((t) => t.hosts);
  // a lab across machines: only the hosts of this machine's part can ping (they ping every host)
  const placed = new Set(topos.filter((t) => t.machines.length).flatMap((t) => t.hosts));
  const sources = hosts.filter((h) => !placed.has(h) || existsSync(`${NETNS_DIR}/${h.name}`));
  const jobs: (() => Promise<PingResult>)[] = [];
  for (const a of sources) {
    for (const b of hosts) {
      const addr = primaryAddress(b);
      if (a !== b && addr) jobs.push(async () => ({ ...(await ping(a.name, addr)), to: b.name }));
    }
  }
  const results = new Map<string, Map<string, PingResult>>(hosts.map((h) => [h.name, new Map()]));
  for (const r of await mapLimited(jobs, 16, (job) => job())) results.get(r.from)!.set(r.to, r);
  return { hosts: hosts.map((h) => h.name), results };
}

export function formatMatrix(m: PingMatrix): { text: string; failed: number; total: number } {
  const cell = (r: PingResult | undefined): string => (!r ? '-' : r.received ? `${r.rtts[0]!.toFixed(2)}ms` : 'X');
  const w = Math.max(8, ...m.hosts.map((h) => h.length + 2));
  const lines = [' '.repeat(w) + m.hosts.map((h) => h.padEnd(w)).join('').trimEnd()];
  let failed = 0;
  let total = 0;
  for (const a of m.hosts) {
    const row = m.hosts.map((b) => {
      const r = m.results.get(a)?.get(b);
      if (r) {
        total++;
        if (!r.received) failed++;
      }
      return cell(r).padEnd(w);
    });
    lines.push(a.padEnd(w) + row.join('').trimEnd());
  }
  lines.push(`${total - failed}/${total} reachable (X = no reply)`);
  return { text: lines.join('\n'), failed, total };
}
