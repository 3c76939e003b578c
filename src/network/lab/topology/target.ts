/**
 * Commands that act on a lab accept either its topology file or its name (a kept demo is
 * lab "red-green"; the file may have moved since `up`).
 */
import { existsSync } from 'node:fs';
import { NotFoundError } from '../../../errors.js';
import { checkName } from '../../../names.js';
import { DEMO_LAB, demoTopology } from '../demo-topology.js';
import { listJournals, readJournal } from './journal.js';
import { labLimits } from './limits.js';
import { labFileOf } from './save.js';
import { loadLabName, loadTopology, type Topology } from './schema.js';

/**
 * The lab a target names: a file's lab (only its name is read: down and status act on the
 * journal, and a file edited since must not stop its lab from coming down), or a lab name,
 * checked before it reaches a path.
 */
export async function labName(target: string): Promise<string> {
  if (existsSync(target) || /\.ya?ml$/.test(target)) return loadLabName(labFileOf(target), labLimits());
  return checkName('lab', target);
}

/** The topologies a command is about: FILE, or those of every lab that is up. */
export async function labTopologies(file: string | undefined): Promise<Topology[]> {
  if (file) return [await loadTopology(file, labLimits())];
  const topos: Topology[] = [];
  for (const lab of listJournals()) {
    const j = readJournal(lab);
    if (j?.file && existsSync(j.file)) topos.push(await loadTopology(j.file, labLimits()));
    else if (lab === DEMO_LAB) topos.push(demoTopology('linux'));
  }
  if (topos.length === 0) throw new NotFoundError('no lab is up; give a topology FILE');
  return topos;
}
