/**
 * Compile a topology into steps of host commands, in the order a person would type them in
 * class: namespaces, veth pairs, switches and ports, links up and addresses, routes and
 * impairments, then host names. Pure: the environment (OVS mode, existing /etc/netns) comes in.
 */
import { UsageError } from '../../../errors.js';
import { isValidName } from '../../../names.js';
import type { Action, Step } from '../../host/actions.js';
import { bridgePort, linkAlias, linkUp, linuxBridge, ovsBridge, txChecksumOff, vethPair, type VethEnd } from '../../host/links.js';
import { containerStep } from './containers.js';
import { ENTRY_RULES } from './journal.js';
import { hostsMarker, linkMark, MARK_KEY } from './marks.js';
import { localTunnels } from './placement.js';
import { primaryAddress, type Endpoint, type Impairment, type Topology } from './schema.js';
import { innerMtus, tunnelActions } from './tunnel-plan.js';

export type OvsMode = 'kernel' | 'netdev' | 'absent';

export interface PlanEnv {
  ovs: OvsMode;
  /** /etc/netns/NAME directories that already exist: never overwritten. */
  etcNetnsExisting: ReadonlySet<string>;
}

/** A switch kind after fallback: OVS becomes a Linux bridge when OVS is not installed. */
export function effectiveKind(topo: Topology, sw: string, env: PlanEnv): 'ovs' | 'linux' {
  const s = topo.switches.find((x) => x.name === sw);
  return s?.kind === 'ovs' && env.ovs !== 'absent' ? 'ovs' : 'linux';
}

/** Every switch's kind at once: a lab of thousands of links asks once per link. */
function kinds(topo: Topology, env: PlanEnv): Map<string, 'ovs' | 'linux'> {
  return new Map(topo.switches.map((s) => [s.name, s.kind === 'ovs' && env.ovs !== 'absent' ? 'ovs' : 'linux']));
}

/** The lab's mark on a link it made in the host's namespace, right after the command that made it. */
function marked(lab: string, made: Action): Action[] {
  const links = (made.creates ?? []).filter((c) => c.kind === 'link');
  return [made, ...links.map((l) => linkAlias(l.name, linkMark(lab), undefined, `mark ${l.name} as lab ${lab}'s (net down removes only what carries the mark)`))];
}

/** A cable: host ends are made in their namespace, switch ends on the host; mtu: into a tunnel's switch. */
function vethAction(a: Endpoint, b: Endpoint, mtu?: number): Action {
  const end = (e: Endpoint): VethEnd => ({
    ifname: e.ifname,
    ...(mtu !== undefined ? { mtu } : {}),
    ...(e.kind === 'host' ? { netns: e.node, label: `${e.node}:${e.ifname}` } : { label: `${e.node}/${e.ifname}` }),
  });
  const [first, second] = a.kind === 'host' || b.kind !== 'host' ? [a, b] : [b, a];
  return vethPair(end(first), end(second));
}

function qdiscArgs(imp: Impairment, dev: string): string[] {
  if (imp.delay || imp.loss) {
    const args = ['qdisc', 'add', 'dev', dev, 'root', 'netem'];
    if (imp.delay) args.push('delay', imp.delay, ...(imp.jitter ? [imp.jitter] : []));
    if (imp.loss) args.push('loss', imp.loss);
    if (imp.rate) args.push('rate', imp.rate);
    return args;
  }
  // Rate alone: a token bucket, which (unlike netem) every kernel with traffic control has.
  return ['qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', imp.rate!, 'burst', '32kbit', 'latency', '400ms'];
}

export function needsNetem(topo: Topology): boolean {
  return topo.links.some((l) => l.impair && (l.impair.delay || l.impair.loss));
}

export function hostsFile(topo: Topology): string {
  const lines = [hostsMarker(topo.name), '127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback'];
  // a part of a placed lab names the hosts of the other machines too
  for (const h of [...topo.hosts, ...(topo.part?.elsewhere ?? [])]) {
    const addr = primaryAddress(h);
    if (addr) lines.push(`${addr} ${h.name}`);
  }
  return lines.join('\n') + '\n';
}

export function planUp(topo: Topology, env: PlanEnv): Step[] {
  const lab = topo.name;
  const kindOf = kinds(topo, env);
  const namespaces: Action[] = topo.hosts.map((h) => ({
    kind: 'ip',
    what: `namespace ${h.name}`,
    args: ['netns', 'add', h.name],
    creates: [{ kind: 'netns', name: h.name }],
  }));
  for (const h of topo.hosts) namespaces.push(linkAlias('lo', linkMark(lab), h.name, `${h.name}: mark the namespace as lab ${lab}'s (on its lo)`));

  const tunnels = localTunnels(topo);
  const mtus = innerMtus(topo, tunnels);
  const mtuOf = (e: Endpoint): number | undefined => (e.kind === 'switch' ? mtus.get(e.node) : undefined);
  const veths: Action[] = topo.links.flatMap((l) => marked(lab, vethAction(l.a, l.b, mtuOf(l.a) ?? mtuOf(l.b))));

  const switches: Action[] = [];
  const netdev = env.ovs === 'netdev';
  for (const s of topo.switches) {
    if (kindOf.get(s.name) === 'ovs') switches.push(ovsBridge(s.name, netdev ? 'netdev' : 'system', { externalIds: { [MARK_KEY]: lab } }));
    else switches.push(...marked(lab, linuxBridge(s.name)));
  }
  const offload: Action[] = [];
  const offloaded = new Set<string>();
  for (const l of topo.links) {
    for (const e of [l.a, l.b]) {
      if (e.kind !== 'switch') continue;
      const kind = kindOf.get(e.node)!;
      switches.push(bridgePort(e.node, kind, e.ifname));
      if (netdev && kind === 'ovs') {
        for (const end of [l.a, l.b]) {
          const key = `${end.kind === 'host' ? end.node : ''}/${end.ifname}`;
          if (offloaded.has(key)) continue;
          offloaded.add(key);
          offload.push(txChecksumOff(end.ifname, end.kind === 'host' ? end.node : undefined));
        }
      }
    }
  }
  switches.push(...tunnelActions(tunnels, kindOf, env.ovs === 'kernel').flatMap((a) => marked(lab, a)));
  for (const s of topo.switches) {
    if (kindOf.get(s.name) === 'linux') switches.push(linkUp(s.name, undefined, `bridge ${s.name} up`));
  }

  const upAndAddr: Action[] = [];
  for (const l of topo.links) {
    for (const e of [l.a, l.b]) {
      if (e.kind === 'switch') upAndAddr.push(linkUp(e.ifname));
    }
  }
  for (const h of topo.hosts) {
    upAndAddr.push(linkUp('lo', h.name, `${h.name}: lo up`));
    for (const i of h.interfaces) {
      upAndAddr.push(linkUp(i.name, h.name, `${h.name}: ${i.name} up`));
      for (const a of i.addresses) {
        upAndAddr.push({ kind: 'ip', ns: h.name, what: `${h.name}: ${a} on ${i.name}`, args: ['addr', 'add', a, 'dev', i.name] });
      }
    }
  }

  const routing: Action[] = [];
  for (const h of topo.hosts) {
    const kv = Object.entries(h.sysctls);
    if (kv.length) {
      routing.push({ kind: 'exec', ns: h.name, what: `${h.name}: ${kv.map(([k, v]) => `${k}=${v}`).join(' ')}`, argv: ['sysctl', '-q', '-w', ...kv.map(([k, v]) => `${k}=${v}`)] });
    }
  }
  for (const h of topo.hosts) {
    for (const r of h.routes) {
      const args = ['route', 'add', r.to, ...(r.via ? ['via', r.via] : []), ...(r.dev ? ['dev', r.dev] : [])];
      routing.push({ kind: 'ip', ns: h.name, what: `${h.name}: route to ${r.to}${r.via ? ` via ${r.via}` : ''}`, args });
    }
  }
  for (const l of topo.links) {
    if (!l.impair) continue;
    for (const e of [l.a, l.b]) {
      routing.push({
        kind: 'tc',
        ns: e.kind === 'host' ? e.node : undefined,
        what: `impair ${e.ifname} (${Object.entries(l.impair).map(([k, v]) => `${k} ${v}`).join(', ')})`,
        args: qdiscArgs(l.impair, e.ifname),
      });
    }
  }

  const names: Action[] = [];
  const hosts = hostsFile(topo);
  for (const h of topo.hosts) {
    if (env.etcNetnsExisting.has(h.name)) continue;
    names.push({
      kind: 'file',
      what: `${h.name}: host names of the lab (ip netns exec mounts it on /etc/hosts)`,
      path: `/etc/netns/${h.name}/hosts`,
      content: hosts,
      creates: [{ kind: 'etc-netns', name: h.name }],
    });
  }

  return [
    { title: 'Create the network namespaces', actions: namespaces },
    { title: 'Create the veth pairs (virtual cables)', actions: veths },
    { title: 'Create the switches and plug in the cables', actions: switches },
    { title: 'Turn TX checksum offload off (the OVS userspace datapath needs it for TCP)', actions: offload, concurrent: true },
    { title: 'Bring the links up and add the addresses', actions: upAndAddr, concurrent: true },
    { title: 'Add forwarding, routes and impairments', actions: routing },
    { title: 'Name the hosts', actions: names, concurrent: true },
    containerStep(topo, env.etcNetnsExisting),
  ];
}

/**
 * The plan checked as a whole before its first step: each object it creates is created once,
 * and by a name its journal entry will pass (so `down` never refuses what `up` wrote).
 */
export function checkPlan(steps: readonly Step[], file: string): void {
  const seen = new Set<string>();
  for (const c of steps.flatMap((s) => s.actions.flatMap((a) => a.creates ?? []))) {
    const key = `${c.kind}:${c.name}`;
    if (seen.has(key)) throw new UsageError(`${file}: the plan makes ${c.kind} ${c.name} twice (two names collide in one namespace)`);
    seen.add(key);
    if (!isValidName(ENTRY_RULES[c.kind], c.name)) throw new UsageError(`${file}: the plan makes ${c.kind} ${JSON.stringify(c.name)}, not a valid ${ENTRY_RULES[c.kind]} name`);
  }
}
