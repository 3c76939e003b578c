/**
 * Container nodes carried out (the format is container-node.ts): started last in `up`, once
 * their namespace is cabled, addressed and named, each as the `minictr run -d` it is, printed
 * and run from one argv; removed first in `down`, each as `minictr rm -f`. Like every object
 * of a lab, a container is journaled before it is made and carries the lab's mark (the label
 * minictr-lab=LAB), so `down` removes only the lab's own, after a clean up or a killed one.
 */
import { statSync } from 'node:fs';
import { NotFoundError, UsageError } from '../../../errors.js';
import { MINICTR_BIN } from '../../../util/self.js';
import { processLives, processStartTime } from '../../../util/proc.js';
import type { Action, Created, Step } from '../../host/actions.js';
import type { RunOptions } from '../../host/runner.js';
import { readJournal, type JournalRun, type JournalWriter } from './journal.js';
import { MARK_KEY } from './marks.js';
import type { Host, Topology } from './schema.js';

/** The lab's hosts file, where `up` writes it (plan.ts's "Name the hosts"). */
const labHosts = (host: string): string => `/etc/netns/${host}/hosts`;

/** `minictr run` for one container node: the argv that is printed is the argv that runs. */
export function runArgv(lab: string, h: Host, etcNetnsExisting: ReadonlySet<string>): string[] {
  const c = h.container!;
  // its own /etc/hosts is the lab's, so the other hosts resolve inside as they do in
  // `ip netns exec` (unless the file binds one of its own, or /etc/netns/HOST was not ours)
  const ownHosts = c.binds.some((b) => b.split(':')[1] === '/etc/hosts');
  const hosts = ownHosts || etcNetnsExisting.has(h.name) ? [] : ['-v', `${labHosts(h.name)}:/etc/hosts:ro`];
  return [
    MINICTR_BIN, 'run', '-d',
    // stdin kept open, as containerlab's nodes are: an image whose command is a shell stays up
    '-i',
    '--name', c.name,
    '--hostname', h.name,
    '--label', `${MARK_KEY}=${lab}`,
    '--network', `netns:${h.name}`,
    ...hosts,
    ...c.env.flatMap((e) => ['-e', e]),
    ...c.binds.flatMap((b) => ['-v', b]),
    c.image,
    ...(c.cmd ?? []),
  ];
}

/** The last step of `up`: each container node joins its namespace. */
export function containerStep(topo: Topology, etcNetnsExisting: ReadonlySet<string>): Step {
  const actions: Action[] = topo.hosts
    .filter((h) => h.container)
    .map((h) => ({
      kind: 'exec',
      what: `${h.name}: start container ${h.container!.name} (${h.container!.image}) in namespace ${h.name}`,
      argv: runArgv(topo.name, h, etcNetnsExisting),
      creates: [{ kind: 'container', name: h.container!.name }],
    }));
  return { title: 'Start the container nodes (each joins its host\'s namespace)', actions };
}

interface StoredContainer {
  lab?: string;
  running: boolean;
}

/** The runtime's containers by name, with the lab mark each carries. */
export async function storedContainers(): Promise<Map<string, StoredContainer>> {
  const { listContainers, isRunning } = await import('../../../runtime/store.js');
  return new Map(listContainers().map((c) => [c.config.name, { lab: c.config.labels?.[MARK_KEY], running: isRunning(c) }]));
}

/**
 * Before any step of `up`: every container node's image is in the store (the built-in busybox
 * is made from the host's; nothing is pulled), and every bind's host path exists.
 */
export async function checkContainerNodes(topo: Topology, file: string): Promise<void> {
  const nodes = topo.hosts.filter((h) => h.container);
  if (!nodes.length) return;
  const { resolveImage } = await import('../../../image/resolve.js');
  for (const h of nodes) {
    const c = h.container!;
    try {
      await resolveImage(c.image);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      throw new UsageError(`${file}: hosts.${h.name}.image: image ${JSON.stringify(c.image)} is not in the local store (minictr pull, load or build it first); nothing was created`);
    }
    c.binds.forEach((b, i) => {
      const source = b.split(':')[0]!;
      if (!statSync(source, { throwIfNoEntry: false })) throw new UsageError(`${file}: hosts.${h.name}.binds[${i}]: the host path ${source} does not exist; nothing was created`);
    });
  }
}

/** Container names the lab would take that a container has already (checked after an old build of the lab is down). */
export async function containerClashes(topo: Topology): Promise<string[]> {
  if (!topo.hosts.some((h) => h.container)) return [];
  const stored = await storedContainers();
  return topo.hosts.filter((h) => h.container && stored.has(h.container.name)).map((h) => `container ${h.container!.name}`);
}

/** The container a `minictr run` action makes (containerStep's actions), if it is one. */
const runOf = (a: Action): string | undefined => (a.kind === 'exec' ? a.creates?.find((c) => c.kind === 'container')?.name : undefined);

/** up's journaling of its container runs: each is recorded when spawned, cleared when it ended. */
export function containerRunJournal(journal: JournalWriter): NonNullable<RunOptions['processes']> {
  return {
    started(a, pid) {
      const name = runOf(a);
      const start = processStartTime(pid);
      // no start time: it is gone already (a run that failed at once), nothing to wait for
      if (name && start) journal.runStarted({ name, pid, start });
    },
    ended(a) {
      const name = runOf(a);
      if (name) journal.runEnded(name);
    },
  };
}

/** The lab's runs its journal has on their way whose process still lives (a killed one does not). */
function labRunsInFlight(runs: readonly JournalRun[]): JournalRun[] {
  return runs.filter((r) => processLives(r.pid, r.start));
}

/** How long down waits for a `minictr run` of the lab still on its way. */
const RUN_WAIT_MS = 60_000;

/**
 * A container's `minictr run` can outlive what started it: the other runs of a failed step
 * go on while it rolls back, and an up killed with SIGKILL leaves its run to finish alone. It
 * would make its container after down looked, in a namespace down then removes: so down first
 * waits for every run the journal has on its way to end (each ends in a few seconds, made or
 * failed). Runs are only started by an up holding the lab's lock, so none starts meanwhile.
 */
async function afterLabRuns(lab: string): Promise<void> {
  const runs = readJournal(lab)?.runs ?? [];
  for (const end = Date.now() + RUN_WAIT_MS; labRunsInFlight(runs).length && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
}

/** `down`'s first step: the journal's containers that carry the lab's mark; the others are left alone. */
export async function planContainersDown(lab: string, created: readonly Created[]): Promise<{ actions: Action[]; foreign: Created[] }> {
  const wanted = [...new Set(created.filter((c) => c.kind === 'container').map((c) => c.name))];
  if (!wanted.length) return { actions: [], foreign: [] };
  await afterLabRuns(lab);
  const stored = await storedContainers();
  const actions: Action[] = [];
  const foreign: Created[] = [];
  for (const name of wanted) {
    const s = stored.get(name);
    if (!s) continue;
    if (s.lab !== lab) foreign.push({ kind: 'container', name });
    else actions.push({ kind: 'exec', what: `stop and remove container ${name}`, argv: [MINICTR_BIN, 'rm', '-f', name] });
  }
  return { actions, foreign };
}

/** Whether each journaled container is there and running (status, and up's "already up"). */
export async function containersPresent(created: readonly Created[]): Promise<Set<string>> {
  if (!created.some((c) => c.kind === 'container')) return new Set();
  const stored = await storedContainers();
  return new Set([...stored].filter(([, s]) => s.running).map(([n]) => n));
}
