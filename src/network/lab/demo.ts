/**
 * `minictr net demo`: the red/green lab a class builds by hand, in one command. It is the
 * red-green topology brought up by the same code as `net up` (so every step shows its real
 * ip/ovs-vsctl command), then proof that it works, then teardown unless --keep.
 */
import { ConflictError, MinictrError, NotFoundError } from '../../errors.js';
import { DEMO_LAB, demoTopology } from './demo-topology.js';
import { runTool } from '../../util/tool.js';
import { ovsInstalled } from '../host/ovs.js';
import type { NetOutput } from '../host/output.js';
import { shellLine } from '../../util/shell.js';
import { ping, pingArgv, summarize, type PingResult } from '../host/ping.js';
import { downLab } from './topology/down.js';
import { readJournal } from './topology/journal.js';
import type { Topology } from './topology/schema.js';
import { upTopology } from './topology/up.js';
import { waitForEnter } from '../../util/prompt.js';

export interface DemoOptions {
  bridge?: 'ovs' | 'linux';
  step?: boolean;
  keep?: boolean;
  /** Skip the pings and the proof (with --keep: just build the lab, e.g. to time it). */
  proof?: boolean;
  graph?: string;
}

async function chooseBridge(wanted: 'ovs' | 'linux' | undefined): Promise<'ovs' | 'linux'> {
  const have = await ovsInstalled();
  if (wanted === 'ovs' && !have) throw new NotFoundError('--bridge ovs: Open vSwitch is not installed (apt-get install openvswitch-switch)');
  if (wanted) return wanted;
  if (!have) process.stderr.write('minictr: Open vSwitch is not installed: using a Linux bridge (apt-get install openvswitch-switch for OVS)\n');
  return have ? 'ovs' : 'linux';
}

async function show(out: NetOutput, title: string, argv: string[]): Promise<string> {
  const text = (await runTool(argv[0]!, argv.slice(1))).stdout.trimEnd();
  out.result(`\n${title}\n  $ ${argv.join(' ')}\n${text.replace(/^/gm, '    ')}`);
  return text;
}

/** The proof: pings both ways with RTTs, each namespace's addresses and routes, host isolation. */
async function prove(topo: Topology, out: NetOutput): Promise<PingResult[]> {
  const [red, green] = topo.hosts;
  const pairs: [string, string, string][] = [
    [red!.name, green!.name, '10.0.0.2'],
    [green!.name, red!.name, '10.0.0.1'],
  ];
  const results: PingResult[] = [];
  for (const [from, to, addr] of pairs) {
    out.explain.step(`${from} pings ${to}`, shellLine(['ip', 'netns', 'exec', from, ...(await pingArgv(addr, 3))]));
    const r = await ping(from, addr, 3);
    results.push({ ...r, to });
    out.result(`${from} -> ${to} (${addr}): ${r.received}/${r.sent} replies, ${r.received ? summarize(r.rtts) : r.error}`);
  }
  for (const h of topo.hosts) {
    await show(out, `${h.name}'s addresses`, ['ip', '-n', h.name, '-br', 'addr']);
    await show(out, `${h.name}'s routes`, ['ip', '-n', h.name, 'route']);
  }
  const hostRoutes = await show(out, "the host's routes", ['ip', 'route']);
  const leak = hostRoutes.split('\n').find((l) => /^10\.0\.0\.\d+(\/\d+)?\s/.test(l));
  out.result(
    leak
      ? `\nnote: the host has its own route "${leak.trim()}": unrelated to the lab, which is still in its own namespaces`
      : '\nno 10.0.0.0/24 on the host: the lab lives only in the namespaces (isolation)',
  );
  return results;
}

export async function runDemo(opts: DemoOptions, out: NetOutput): Promise<void> {
  const prior = readJournal(DEMO_LAB);
  if (prior?.complete) throw new ConflictError('the demo lab is already up (kept with --keep): minictr net demo --down removes it');
  const bridge = await chooseBridge(opts.bridge);
  const topo = demoTopology(bridge);
  out.heading(`minictr net demo: namespaces red and green, each cabled to switch ovs1 (${bridge === 'ovs' ? 'Open vSwitch' : 'Linux bridge'})`);
  const built = await upTopology(topo, {
    out,
    numbered: { extraSteps: opts.proof === false ? 0 : 1 },
    between: opts.step ? (next) => waitForEnter(next.title) : undefined,
  });

  let failure: string | undefined;
  try {
    if (opts.proof !== false) {
      if (opts.step) await waitForEnter('Prove it works');
      out.heading(`Step ${built.steps + 1}/${built.steps + 1}: Prove it works`);
      const pings = await prove(topo, out);
      const bad = pings.find((p) => p.received === 0);
      if (bad) failure = `ping ${bad.from} -> ${bad.to} failed: ${bad.error ?? 'no reply'}`;
    }
    if (opts.graph) {
      const { writeGraph } = await import('./graph/write.js');
      const { fromTopology } = await import('./graph/from-topology.js');
      writeGraph(fromTopology(topo), opts.graph);
      out.result(`\npicture written to ${opts.graph}`);
    }
  } finally {
    if (!opts.keep) {
      out.heading('Tear down (--keep leaves the lab up)');
      await downLab(DEMO_LAB, out);
    }
  }
  if (failure) throw new MinictrError(failure);
  if (opts.keep) {
    out.result(
      [
        '',
        'The lab is still up. Explore it with plain iproute2:',
        '  ip netns exec red ping -c1 10.0.0.2',
        '  ip netns exec green ip addr',
        '  minictr net exec red -- ping -c1 green',
        '  minictr net graph --live -o lab.svg',
        'and remove it with: minictr net demo --down',
      ].join('\n'),
    );
  }
}

export async function demoDown(out: NetOutput): Promise<boolean> {
  return (await downLab(DEMO_LAB, out)).found;
}
