/**
 * Executes steps: explains each action, journals what it will create, then runs runs of
 * same-kind actions together (ip/tc batches per namespace, one ovs-vsctl transaction).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InterruptedError } from '../../errors.js';
import { equivalent, type Action, type Created, type Step } from './actions.js';
import { runBatches } from './batch.js';
import { netnsOps, runInNamespaces, type NetnsAction } from './netns-ops.js';
import { runTool } from '../../util/tool.js';
import { runOvs } from './ovs.js';
import type { NetOutput } from './output.js';
import { profileMark } from '../../util/profile.js';

export interface RunOptions {
  out: NetOutput;
  /** Called with what a group is about to create, before it runs (the journal). */
  record?: (created: Created[]) => void;
  /** Called between steps (class mode waits for Enter). */
  between?: (next: Step, index: number) => Promise<void>;
  /** Number steps as "Step i/n" in headings; n counts this many steps the caller adds after. */
  numbered?: { extraSteps: number };
  /** Checked between groups: a signal's name stops the run with an InterruptedError (Ctrl-C). */
  stopRequested?: () => 'SIGINT' | 'SIGTERM' | undefined;
  /** An exec action's process: started (its pid, before it did anything), then ended. */
  processes?: { started(a: Action, pid: number): void; ended(a: Action): void };
}


/** What runs an action: its kind's tool, or the addon for what it does inside a namespace. */
type Runner = Action['kind'] | 'netns';

function runnerOf(a: Action): Runner {
  return netnsOps(a) ? 'netns' : a.kind;
}

const nsOf = (a: Action): string | undefined => ('ns' in a ? a.ns : undefined);

async function runGroup(group: Action[], processes?: RunOptions['processes']): Promise<void> {
  const first = group[0]!;
  if (runnerOf(first) === 'netns') return runInNamespaces(group as NetnsAction[]);
  switch (first.kind) {
    case 'ip':
    case 'tc':
      return runBatches(first.kind, group as never);
    case 'ovs':
      return runOvs(group as never);
    case 'exec':
      await Promise.all(
        (group as Extract<Action, { kind: 'exec' }>[]).map(async (a) => {
          const onSpawn = processes ? (pid: number): void => processes.started(a, pid) : undefined;
          try {
            await runTool(a.ns ? 'ip' : a.argv[0]!, a.ns ? ['netns', 'exec', a.ns, ...a.argv] : a.argv.slice(1), { onSpawn });
          } finally {
            processes?.ended(a);
          }
        }),
      );
      return;
    case 'nft':
      // in order: a delete may follow the add it undoes
      for (const a of group as Extract<Action, { kind: 'nft' }>[]) await runTool('nft', a.args);
      return;
    case 'file':
      // not sync: a lab's 200 hosts files would hold up the ip batches running beside them
      await Promise.all(
        (group as Extract<Action, { kind: 'file' }>[]).map(async (a) => {
          await mkdir(dirname(a.path), { recursive: true });
          await writeFile(a.path, a.content);
        }),
      );
      return;
  }
}

/**
 * Split into maximal runs of one runner; an ip (or addon) run restarts when a host command
 * follows a namespace one, since a run does the host's first. What the addon does (links up,
 * addresses, routes, sysctls in namespaces; a container's cable and its port's set elements
 * in the host's) is one run whatever tool it stands for, so one child does a whole step.
 */
function groups(actions: readonly Action[]): Action[][] {
  const out: Action[][] = [];
  for (const a of actions) {
    const cur = out[out.length - 1];
    const last = cur?.[cur.length - 1];
    const sameKind = last && runnerOf(last) === runnerOf(a);
    const orderBreak = sameKind && runnerOf(a) !== 'exec' && runnerOf(a) !== 'file' && !nsOf(a) && !!nsOf(last);
    if (cur && sameKind && !orderBreak) cur.push(a);
    else out.push([a]);
  }
  return out;
}

/** Said once per run, under the first group the addon does of each kind: what runs the lines shown. */
const ADDON_NOTES = {
  netns: 'the `ip -n NS` lines above are sent as the same rtnetlink requests (and /proc/sys writes) by one child of minictr that setns\'s into each namespace in turn (native/src/netns-many.c), not an ip process per namespace',
  veth: 'the `ip link add` line above is sent as the same rtnetlink request by a child of minictr (native/src/netns-many.c), not an ip process',
  nft: 'the `nft add/delete element` lines above are sent as the same nf_tables netlink batch by a child of minictr (native/src/netns-many.c), not an nft process',
} as const;

function addonNotes(group: readonly Action[]): (keyof typeof ADDON_NOTES)[] {
  const kinds = new Set(group.map((a) => (a.kind === 'nft' ? 'nft' : nsOf(a) ? 'netns' : 'veth')));
  return (['netns', 'veth', 'nft'] as const).filter((k) => kinds.has(k));
}

async function runChain(chain: readonly Step[], opts: RunOptions, heading: (s: Step) => void, said: Set<string>): Promise<void> {
  // One chain's steps back to back: consecutive host commands of two steps share one batch.
  const stepOf = new Map<Action, Step>(chain.flatMap((s) => s.actions.map((a) => [a, s] as const)));
  const shown = new Set<Step>();
  for (const group of groups(chain.flatMap((s) => s.actions))) {
    const stop = opts.stopRequested?.();
    if (stop) throw new InterruptedError(stop);
    // explained right before it runs: a failure never leaves printed steps that did not run
    for (const a of group) {
      const step = stepOf.get(a)!;
      if (!shown.has(step)) {
        shown.add(step);
        heading(step);
      }
      opts.out.explain.step(a.what, equivalent(a));
    }
    if (runnerOf(group[0]!) === 'netns') {
      for (const k of addonNotes(group)) {
        if (said.has(k)) continue;
        said.add(k);
        opts.out.explain.note(ADDON_NOTES[k]);
      }
    }
    const created = group.flatMap((a) => a.creates ?? []);
    if (created.length && opts.record) opts.record(created);
    await runGroup(group, opts.processes);
    profileMark(`net: ${group.length} ${runnerOf(group[0]!)} (${stepOf.get(group[0]!)!.title})`);
  }
}

/**
 * Waves of chains: a wave's chains run at once, a chain's steps in order. A `concurrent` step
 * runs beside the one before it; other steps join the previous chain when nothing needs to run
 * beside that chain. In class mode (between) every step is alone, to pause in between.
 */
function schedule(todo: readonly Step[], classMode: boolean): Step[][][] {
  const waves: Step[][][] = [];
  todo.forEach((step, i) => {
    const wave = waves[waves.length - 1];
    if (!wave || classMode) waves.push([[step]]);
    else if (step.concurrent) wave.push([step]);
    else if (wave.length === 1 && !todo[i + 1]?.concurrent) wave[0]!.push(step);
    else waves.push([[step]]);
  });
  return waves;
}

/**
 * A concurrent step runs beside the step before it in the plan, or beside what that one ran
 * beside when it is empty and concurrent too. Beside an empty step that is not, it would move
 * up next to one it needs done (a lab without switches: addresses beside the veths being made).
 */
function besideNonEmpty(steps: readonly Step[], i: number): boolean {
  let j = i - 1;
  while (j >= 0 && steps[j]!.actions.length === 0 && steps[j]!.concurrent) j--;
  return j >= 0 && steps[j]!.actions.length > 0;
}

/** Runs the steps; returns how many were shown (non-empty), for callers that add their own. */
export async function runSteps(steps: readonly Step[], opts: RunOptions): Promise<number> {
  const { out } = opts;
  const todo = steps.flatMap((s, i) => (s.actions.length === 0 ? [] : [s.concurrent && !besideNonEmpty(steps, i) ? { ...s, concurrent: false } : s]));
  const total = todo.length + (opts.numbered?.extraSteps ?? 0);
  let index = 0;
  const said = new Set<string>();
  for (const wave of schedule(todo, !!opts.between)) {
    const first = wave[0]![0]!;
    if (index > 0 && opts.between) await opts.between(first, index);
    const numbers = new Map<Step, number>();
    for (const step of wave.flat()) numbers.set(step, ++index);
    const heading = (step: Step): void => out.heading(opts.numbered ? `Step ${numbers.get(step)}/${total}: ${step.title}` : step.title);
    const results = await Promise.allSettled(wave.map((chain) => runChain(chain, opts, heading, said)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  return index;
}
