/**
 * Each object on the page with how it was made and the commands that inspect it. Pure: the
 * facts come from snapshot.ts (the kernel, the container store, the lab journals).
 *
 * "How it was made" says only what is recorded: a lab's journal names every namespace, link
 * and OVS bridge its `net up` created, a container's config.json what `run` was given. An
 * object no record names was made outside minictr (by hand with ip, ovs-vsctl, another tool).
 */
import type { Graph, GraphEdge, GraphNode } from '../network/lab/graph/model.js';
import { KIND_TEXT } from '../network/lab/graph/model.js';
import { shellLine } from '../util/shell.js';
import { edgeId, type ViewObject } from './model.js';

/** What a lab's journal records (src/network/lab/topology/status.ts LabStatus, trimmed). */
export interface LabFacts {
  lab: string;
  file?: string;
  state: string;
  objects: { kind: string; name: string; present: boolean }[];
}

/** A minictr container as the view shows it. */
export interface ContainerFacts {
  name: string;
  id: string;
  image: string;
  command: string[];
  status: string;
  network?: string;
  ip?: string;
  pid?: number;
  /** namespace kind -> its link text (net:[4026531840]); with whether the host shares it */
  namespaces: { kind: string; link: string; host: boolean }[];
  /** the cgroup dir holding memory.max / memory.limit_in_bytes */
  cgroupDir?: string;
  cgroupV2: boolean;
  limits: string[];
  /** its network namespace's interfaces, when no veth from the host reaches it (--network none) */
  interfaces?: string[];
}

/** A container network's record (src/network/container/store.ts NetworkConfig, trimmed). */
export interface NetworkFacts {
  name: string;
  bridge: string;
  subnet: string;
}

function madeByNetwork(n: NetworkFacts): string {
  const how = n.name === 'bridge' ? 'the first minictr run on the default network' : shellLine(['minictr', 'network', 'create', n.name]);
  return `made by ${how}: network ${n.name}'s record names this bridge (subnet ${n.subnet})`;
}

const OUTSIDE = 'made outside minictr: no lab journal, network or container record names it (by hand with ip or ovs-vsctl, or by another tool)';

function labOf(labs: LabFacts[], kind: string, name: string): LabFacts | undefined {
  return labs.find((l) => l.objects.some((o) => o.kind === kind && o.name === name));
}

function madeByLab(l: LabFacts, what: string): string {
  return `made by ${shellLine(['minictr', 'net', 'up', l.file ?? l.lab])}: lab ${l.lab}'s journal records ${what}`;
}

function ipIn(space: string | undefined, args: string[]): string {
  return shellLine(['ip', ...(space ? ['-n', space] : []), ...args]);
}

/** The namespace (named; '' = the host) and interface at one end of a cable. */
function endOf(nodeId: string, label: string): { space?: string; ifname: string } {
  const ifname = label.split(' ')[0] ?? '';
  if (nodeId.startsWith('ns:')) return { space: nodeId.slice(3), ifname };
  if (nodeId.startsWith('br:')) return { space: nodeId.slice(3, nodeId.indexOf('/')) || undefined, ifname };
  return { ifname };
}

function describeNode(n: GraphNode, labs: LabFacts[], containers: ContainerFacts[], networks: NetworkFacts[]): ViewObject {
  const base = { id: n.id, kind: n.kind, label: n.label, details: [`(${KIND_TEXT[n.kind]})`, ...n.details] };
  if (n.kind === 'netns' && n.id.startsWith('ns:')) {
    const ns = n.id.slice(3);
    const lab = labOf(labs, 'netns', ns);
    const ctr = containers.find((c) => n.details.includes(`container ${c.name}`));
    const how = lab ? madeByLab(lab, `namespace ${ns}`) : OUTSIDE;
    return { ...base, how, owner: lab?.lab ?? ctr?.name, inspect: [ipIn(ns, ['addr']), ipIn(ns, ['route']), shellLine(['ls', '-l', `/run/netns/${ns}`])] };
  }
  if (n.id.startsWith('ctr:')) {
    const c = containers.find((x) => `ctr:${x.name}` === n.id);
    return {
      ...base,
      how: c ? `the network namespace of container ${c.name} (made by minictr run)` : 'a container\'s network namespace',
      owner: c?.name,
      inspect: c?.pid ? [shellLine(['nsenter', '-t', String(c.pid), '-n', 'ip', 'addr']), shellLine(['nsenter', '-t', String(c.pid), '-n', 'ip', 'route'])] : [],
    };
  }
  if (n.kind === 'bridge') {
    const space = n.id.slice(3, n.id.indexOf('/')) || undefined;
    const name = n.id.slice(n.id.indexOf('/') + 1);
    const lab = space ? undefined : labOf(labs, 'link', name);
    const net = space ? undefined : networks.find((x) => x.bridge === name);
    return { ...base, how: lab ? madeByLab(lab, `link ${name}`) : net ? madeByNetwork(net) : OUTSIDE, owner: lab?.lab ?? net?.name, inspect: [ipIn(space, ['link', 'show', 'master', name]), shellLine(['bridge', ...(space ? ['-n', space] : []), 'link'])] };
  }
  if (n.kind === 'ovs') {
    const name = n.id.slice(4);
    const lab = labOf(labs, 'ovs-bridge', name);
    const net = networks.find((x) => x.bridge === name);
    return { ...base, how: lab ? madeByLab(lab, `OVS bridge ${name}`) : net ? madeByNetwork(net) : OUTSIDE, owner: lab?.lab ?? net?.name, inspect: [shellLine(['ovs-vsctl', 'list-ports', name]), 'ovs-vsctl show'] };
  }
  if (n.kind === 'host') return { ...base, how: 'the initial network namespace: the host has it from boot', inspect: ['ip addr', 'ip route'] };
  return { ...base, how: 'a namespace with no name in /run/netns (a process holds it: a container of another tool, or a daemon)', inspect: ['ip netns list-id', 'lsns -t net'] };
}

function cable(e: GraphEdge): Pick<ViewObject, 'id' | 'kind' | 'label' | 'details'> {
  return { id: edgeId(e), kind: 'cable', label: `${e.fromLabel} — ${e.toLabel}`, details: ['(veth pair)', e.fromLabel, e.toLabel, ...(e.note ? [e.note] : [])] };
}

function describeEdge(e: GraphEdge, labs: LabFacts[], containers: ContainerFacts[]): ViewObject {
  const a = endOf(e.from, e.fromLabel);
  const b = endOf(e.to, e.toLabel);
  // a lab's journal names the host-side end it created (or the one it moved into a namespace)
  const lab = labOf(labs, 'link', a.ifname) ?? labOf(labs, 'link', b.ifname);
  const ctr = e.to.startsWith('ctr:') ? containers.find((c) => `ctr:${c.name}` === e.to) : undefined;
  const how = lab ? madeByLab(lab, `link ${a.ifname}`) : ctr ? `container ${ctr.name}'s veth pair (made by minictr run --network ${ctr.network ?? 'bridge'})` : OUTSIDE;
  const inspect = [ipIn(a.space, ['-d', 'link', 'show', a.ifname])];
  if (ctr?.pid) inspect.push(shellLine(['nsenter', '-t', String(ctr.pid), '-n', 'ip', '-d', 'link', 'show', b.ifname]));
  else if (!e.to.startsWith('other:')) inspect.push(ipIn(b.space, ['-d', 'link', 'show', b.ifname]));
  return { ...cable(e), how, owner: lab?.lab ?? ctr?.name, inspect };
}

function describeContainer(c: ContainerFacts): ViewObject {
  const ns = c.namespaces.map((n) => `${n.link}${n.host ? ' (the host\'s: shared)' : ' (its own)'}`);
  const limitFile = c.cgroupDir ? `${c.cgroupDir}/${c.cgroupV2 ? 'memory.max' : 'memory.limit_in_bytes'}` : undefined;
  return {
    id: `container:${c.id}`,
    kind: 'container',
    label: c.name,
    details: [
      `(container, ${c.status})`,
      `image ${c.image}`,
      `command ${shellLine(c.command)}`,
      ...(c.pid ? [`pid ${c.pid} on the host`] : []),
      ...(c.network ? [`network ${c.network}${c.ip ? ` ${c.ip}` : ''}`] : []),
      ...ns,
      ...(c.interfaces ?? []).map((l) => `interface ${l}`),
      ...c.limits.map((l) => `limit ${l}`),
    ],
    how: `made by minictr run (its config.json records image ${c.image}, command ${shellLine(c.command)})`,
    inspect: [
      ...(c.pid ? [shellLine(['ls', '-l', `/proc/${c.pid}/ns`]), shellLine(['cat', `/proc/${c.pid}/cgroup`])] : []),
      ...(c.pid && c.interfaces ? [shellLine(['nsenter', '-t', String(c.pid), '-n', 'ip', 'addr'])] : []),
      ...(limitFile ? [shellLine(['cat', limitFile])] : []),
      shellLine(['minictr', 'inspect', c.name]),
      ...(c.pid ? [shellLine(['minictr', 'top', c.name])] : []),
    ],
  };
}

function describeLab(l: LabFacts): ViewObject {
  const present = l.objects.filter((o) => o.present).length;
  return {
    id: `lab:${l.lab}`,
    kind: 'lab',
    label: l.lab,
    details: [`(lab, ${l.state})`, ...(l.file ? [`file ${l.file}`] : []), `${present} of ${l.objects.length} objects present`],
    how: `made by ${shellLine(['minictr', 'net', 'up', l.file ?? l.lab])} (its journal lists what it created)`,
    inspect: [shellLine(['minictr', 'net', 'status', l.lab])],
  };
}

export function describeAll(g: Graph, labs: LabFacts[], containers: ContainerFacts[], networks: NetworkFacts[] = []): ViewObject[] {
  return [
    ...g.nodes.map((n) => describeNode(n, labs, containers, networks)),
    ...g.edges.map((e) => describeEdge(e, labs, containers)),
    ...containers.map(describeContainer),
    ...labs.map(describeLab),
  ];
}

/** A running container's usage and processes as the page lists them (read when it is shown). */
export function usageDetails(u: { usage: string[]; pids: number[] }): string[] {
  const pids = u.pids.length ? [`processes ${u.pids.slice(0, 20).join(' ')}${u.pids.length > 20 ? ` (+${u.pids.length - 20})` : ''}`] : [];
  return [...u.usage.map((x) => `uses ${x}`), ...pids];
}

/** A topology file's objects: nothing is up, so each says what `net up` would make. */
export function describePlanned(g: Graph, file: string): ViewObject[] {
  const how = `planned in ${file}: ${shellLine(['minictr', 'net', 'up', file])} makes it (--explain shows each command)`;
  return [
    ...g.nodes.map((n): ViewObject => ({ id: n.id, kind: n.kind, label: n.label, details: [`(${KIND_TEXT[n.kind]})`, ...n.details], how, inspect: [shellLine(['minictr', 'net', 'graph', file])] })),
    ...g.edges.map((e): ViewObject => ({ ...cable(e), how, inspect: [] })),
  ];
}
