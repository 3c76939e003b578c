/**
 * `minictr system check`: every record of the store that cannot be read, with its path, what
 * is wrong and what the user can do. Nothing is changed: broken state is the user's to look
 * at (a crash, a full disk, a bad edit), and `system prune` keeps all of it. Containers and
 * their names, networks, then the image store (image/check.ts).
 */
import { scanContainers, listNameEntries, readNameEntry } from '../runtime/store.js';
import { scanNetworks } from '../network/container/store.js';
import { checkImageStore } from '../image/check.js';
import type { BrokenRecord } from '../util/broken.js';
import { scanVolumes } from '../volume/store.js';

export async function checkStore(): Promise<BrokenRecord[]> {
  const found: BrokenRecord[] = scanContainers().broken.map((b) => b.record);
  for (const n of listNameEntries()) {
    const e = readNameEntry(n);
    if (e && 'broken' in e) found.push(e.broken);
  }
  found.push(...scanNetworks().broken);
  found.push(...(await checkImageStore()));
  found.push(...scanVolumes().broken);
  return found;
}

export function formatCheck(broken: BrokenRecord[]): string {
  if (!broken.length) return 'no broken records\n';
  return broken.map((b) => `broken ${b.kind} record ${b.path}: ${b.problem}\n  what to do: ${b.fix}\n`).join('');
}
