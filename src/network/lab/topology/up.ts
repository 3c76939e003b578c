/**
 * Bring a topology up: check everything first (the plan, tools, kernel features, name
 * clashes), then build it step by step with a journal, and roll back on any failure or
 * interrupt so a failed `up` leaves the machine as it was. An `up` of a lab that is already up
 * and unchanged does nothing.
 */
import { existsSync } from 'node:fs';
import { ConflictError, InterruptedError, MinictrError, NotFoundError } from '../../../errors.js';
import type { Created, Step } from '../../host/actions.js';
import { haveTool } from '../../../util/tool.js';
import { ensureOvsRunning, hasKernelDatapath, listBridges, ovsInstalled } from '../../host/ovs.js';
import { quietOutput, type NetOutput } from '../../host/output.js';
import { runSteps } from '../../host/runner.js';
import { hostLinks, namedNamespaces } from '../../host/state.js';
import { netemAvailable } from '../../host/tc.js';
import { checkContainerNodes, containerClashes, containerRunJournal, containersPresent } from './containers.js';
import { describe, downLabLocked, teardown } from './down.js';
import { withLabLock } from './lock.js';
import { JournalWriter, readJournal, removeJournal } from './journal.js';
import { checkPlan, effectiveKind, needsNetem, planUp, type OvsMode, type PlanEnv } from './plan.js';
import { localTunnels } from './placement.js';
import type { Topology } from './schema.js';
import { checkTunnelsHere } from './tunnel-check.js';
import { profileMark } from '../../../util/profile.js';

export interface UpOptions {
  out: NetOutput;
  file?: string;
  /** Called before each step after the first (class mode). */
  between?: (next: Step, index: number) => Promise<void>;
  numbered?: { extraSteps: number };
}

export interface UpResult {
  changed: boolean;
  env: PlanEnv;
  /** Steps shown (the demo numbers its own after them). */
  steps: number;
}

interface OvsState {
  mode: OvsMode;
  bridges: string[];
}

async function detectOvs(topo: Topology, out: NetOutput): Promise<OvsState> {
  if (!topo.switches.some((s) => s.kind === 'ovs')) return { mode: 'absent', bridges: [] };
  if (!(await ovsInstalled())) {
    out.explain.note('Open vSwitch is not installed: using a Linux bridge instead (apt-get install openvswitch-switch for OVS)');
    return { mode: 'absent', bridges: [] };
  }
  await ensureOvsRunning(out.explain);
  const [kernel, bridges] = await Promise.all([hasKernelDatapath(), listBridges()]);
  if (kernel) return { mode: 'kernel', bridges };
  out.explain.note(
    'this kernel has no Open vSwitch datapath module: using the userspace datapath (datapath_type=netdev), with TX checksum offload off on its veth ports so TCP works',
  );
  return { mode: 'netdev', bridges };
}

/** Everything a name in the topology would collide with, checked before anything is made. */
async function checkClashes(topo: Topology, ovsBridges: readonly string[]): Promise<void> {
  const netns = new Set(namedNamespaces());
  const links = new Set(hostLinks());
  const bridges = new Set(ovsBridges);
  const clashes: string[] = [];
  for (const h of topo.hosts) if (netns.has(h.name)) clashes.push(`namespace ${h.name}`);
  for (const s of topo.switches) {
    if (links.has(s.name)) clashes.push(`link ${s.name}`);
    else if (bridges.has(s.name)) clashes.push(`OVS bridge ${s.name}`);
  }
  for (const l of topo.links) for (const e of [l.a, l.b]) if (e.kind === 'switch' && links.has(e.ifname)) clashes.push(`link ${e.ifname}`);
  clashes.push(...(await containerClashes(topo)));
  for (const t of localTunnels(topo)) if (links.has(t.ifname)) clashes.push(`link ${t.ifname}`);
  if (clashes.length) {
    throw new ConflictError(`name clash: ${clashes.join(', ')} already exist${clashes.length === 1 ? 's' : ''}; nothing was created`);
  }
}

async function checkTools(topo: Topology, env: PlanEnv): Promise<void> {
  if (!(await haveTool('ip'))) throw new NotFoundError('ip (iproute2) is not installed');
  if (env.ovs === 'netdev' && topo.switches.some((s) => effectiveKind(topo, s.name, env) === 'ovs') && !(await haveTool('ethtool'))) {
    throw new NotFoundError('ethtool is not installed; the OVS userspace datapath needs it to turn TX checksum offload off');
  }
  if (needsNetem(topo) && !(await netemAvailable())) {
    throw new MinictrError(
      'this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM), so delay, jitter and loss are unavailable (rate alone works, through tbf); nothing was created',
    );
  }
}

async function allPresent(created: readonly Created[]): Promise<boolean> {
  const netns = new Set(namedNamespaces());
  const links = new Set(hostLinks());
  const running = await containersPresent(created);
  return created.every((c) => (c.kind === 'netns' ? netns.has(c.name) : c.kind === 'link' ? links.has(c.name) : c.kind === 'container' ? running.has(c.name) : true));
}

/**
 * Ctrl-C (SIGINT) or a plain kill (SIGTERM) while `fn` runs: nothing stops halfway; the run
 * stops at its next check (between two groups of commands) and rolls back what it made.
 * SIGKILL cannot be caught: its leftovers are in the journal, for the next down or up.
 */
async function withStopSignals<T>(fn: (stop: () => 'SIGINT' | 'SIGTERM' | undefined) => Promise<T>): Promise<T> {
  let stop: 'SIGINT' | 'SIGTERM' | undefined;
  const onInt = (): void => void (stop ??= 'SIGINT');
  const onTerm = (): void => void (stop ??= 'SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await fn(() => stop);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

export async function upTopology(topo: Topology, opts: UpOptions): Promise<UpResult> {
  // signals first: a Ctrl-C while the lock is taken must not kill the process holding it
  return withStopSignals((stop) => withLabLock(topo.name, () => up(topo, opts, stop)));
}

async function up(topo: Topology, opts: UpOptions, stop: () => 'SIGINT' | 'SIGTERM' | undefined): Promise<UpResult> {
  const { out } = opts;
  const checkpoint = (): void => {
    const sig = stop();
    if (sig) throw new InterruptedError(sig);
  };
  // Everything that can be known without changing the machine, before anything is changed.
  profileMark('net up: topology read');
  await checkContainerNodes(topo, opts.file ?? topo.name);
  const ovs = await detectOvs(topo, out);
  const env: PlanEnv = { ovs: ovs.mode, etcNetnsExisting: new Set() };
  checkPlan(planUp(topo, env), opts.file ?? topo.name);
  await checkTools(topo, env);
  const ovsPorts = new Set(topo.switches.filter((s) => env.ovs === 'kernel' && effectiveKind(topo, s.name, env) === 'ovs').map((s) => s.name));
  await checkTunnelsHere(localTunnels(topo), opts.file ?? topo.name, ovsPorts);
  const previous = readJournal(topo.name);
  if (previous?.complete && previous.hash === topo.hash && (await allPresent(previous.created))) {
    out.result(`lab ${topo.name} is already up`);
    return { changed: false, env, steps: 0 };
  }
  checkpoint();
  if (previous) {
    out.explain.note(`lab ${topo.name} is ${previous.complete ? 'changed or damaged' : 'half built (an earlier up was interrupted)'}: removing it first`);
    await downLabLocked(topo.name, out);
  }
  await checkClashes(topo, ovs.bridges);
  env.etcNetnsExisting = new Set(topo.hosts.filter((h) => existsSync(`/etc/netns/${h.name}`)).map((h) => h.name));
  checkpoint();
  profileMark('net up: checked');

  const journal = new JournalWriter(topo.name, topo.hash, opts.file, topo.part?.machine);
  const created: Created[] = [];
  let steps: number;
  try {
    steps = await runSteps(planUp(topo, env), {
      out,
      numbered: opts.numbered,
      between: opts.between,
      stopRequested: stop,
      record: (c) => {
        journal.record(c);
        created.push(...c);
      },
      processes: containerRunJournal(journal),
    });
  } catch (caught) {
    // a terminal's Ctrl-C reaches the running ip too: its failure is the interrupt
    const sig = stop();
    const err = sig && !(caught instanceof InterruptedError) ? new InterruptedError(sig) : caught;
    journal.close();
    out.heading('Rolling back');
    let left: Created[];
    try {
      left = await teardown(topo.name, created, out.explain.enabled ? out : quietOutput());
      removeJournal(topo.name);
    } catch (rollbackErr) {
      throw new MinictrError(`${(err as Error).message}; rollback failed too (${(rollbackErr as Error).message}): run minictr net down ${topo.name}`, (err as MinictrError).exitCode ?? 1);
    }
    if (left.length) throw new MinictrError(`${(err as Error).message}; rolled back, but left alone what is not the lab's: ${left.map(describe).join(', ')}`, (err as MinictrError).exitCode ?? 1);
    if (err instanceof MinictrError) throw new MinictrError(`${err.message} (rolled back: nothing was left)`, err.exitCode);
    throw err;
  }
  journal.complete();
  profileMark('net up: built');
  return { changed: true, env, steps };
}
