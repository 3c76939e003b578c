/**
 * Tear a lab down from its journal: remove exactly the objects `up` recorded, skipping those
 * already gone, so it works after a clean up, a failed up, or an up killed with SIGKILL.
 * Host-side veth ends are deleted explicitly: deleting a namespace destroys its veths only
 * later (the kernel cleans up namespaces asynchronously), and a leftover name would clash.
 *
 * The journal says what to look at, the kernel says what is the lab's: an object is removed
 * only if it carries the lab's mark (marks.ts), so an edited or planted journal naming eth0,
 * another lab's switch or someone's namespace removes none of them. The one unmarked object
 * down takes is a namespace exactly as `ip netns add` leaves it (only lo, down, no address, no
 * process in it): what an up killed before its mark leaves, and nothing anyone could lose.
 * /etc/netns/HOST is never removed recursively: its marked hosts file, then the directory if
 * that left it empty.
 */
import { closeSync, constants, lstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { ConflictError } from '../../../errors.js';
import { runTool } from '../../../util/tool.js';
import type { Action, Created, Step } from '../../host/actions.js';
import { planContainersDown, storedContainers } from './containers.js';
import { bridgeExternalIds, ensureOvsRunning, ovsInstalled, ovsRunning } from '../../host/ovs.js';
import type { NetOutput } from '../../host/output.js';
import { runSteps } from '../../host/runner.js';
import { inspectNamespaces, type LoopbackFacts } from '../../host/netns-ops.js';
import { hostLinks, namedNamespaces, netnsInode, netnsInodesInUse } from '../../host/state.js';
import { readJournal, removeJournal } from './journal.js';
import { withLabLock } from './lock.js';
import { profileMark } from '../../../util/profile.js';
import { hostsMarker, linkMark, MARK_KEY } from './marks.js';

function unique(created: readonly Created[], kind: Created['kind']): string[] {
  return [...new Set(created.filter((c) => c.kind === kind).map((c) => c.name))];
}

interface LinkJson {
  ifname: string;
  ifindex: number;
  group?: string | number;
  /** The peer's name, when the peer is in the same namespace. */
  link?: string;
  /** Set when the peer is in another namespace (a host's eth0). */
  link_netnsid?: number;
}

/**
 * Deleting one end of a veth deletes its peer, so a second `ip link del` for the peer would
 * fail: keep one end of each pair whose two ends are both in the host namespace.
 */
function withoutPeers(links: string[], byName: ReadonlyMap<string, LinkJson>): string[] {
  const kept = new Set<string>();
  for (const name of links) {
    const peer = byName.get(name)?.link;
    if (peer && kept.has(peer)) continue;
    kept.add(name);
  }
  return [...kept];
}

/** Above this many links, delete them as one group (see cableSteps). */
const GROUP_DELETE_MIN = 8;

interface CableSteps {
  /** Steps that remove the links, in order. */
  steps: Step[];
  /**
   * Whether the namespaces may go while the links are deleted: the group delete is one
   * request, and the group is never empty when it runs, because it holds a link no namespace
   * teardown removes (a bridge, or a veth with both ends here).
   */
  namespacesBeside: boolean;
}

/**
 * Each `ip link del` waits for the kernel's RCU grace periods (~20-40 ms a device). Deleting
 * a whole link group is one netlink request that unregisters them all together, about four
 * times faster for a 50-host lab. The group number is one no link uses now. Most of what is
 * left is the kernel's: a bridge's unregistering waits for an rcu_barrier (br_multicast_dev_del)
 * and each of its ports for a grace period, with RTNL held, ~20 ms a bridge on this machine;
 * the namespaces and hosts files, which need no RTNL, are removed beside it meanwhile.
 */
function cableSteps(links: string[], all: readonly LinkJson[]): CableSteps {
  const title = 'Remove the veth pairs and bridges';
  if (links.length < GROUP_DELETE_MIN) {
    return { steps: [{ title, actions: links.map((l) => ({ kind: 'ip', what: `remove ${l}`, args: ['link', 'del', l] })) }], namespacesBeside: false };
  }
  const used = new Set(all.map((l) => String(l.group ?? 'default')));
  let group = 0;
  do group = 100000 + Math.floor(Math.random() * 2_000_000_000);
  while (used.has(String(group)));
  const byName = new Map(all.map((l) => [l.ifname, l]));
  return {
    steps: [
      { title, actions: links.map((l): Action => ({ kind: 'ip', what: `mark ${l} for removal`, args: ['link', 'set', 'dev', l, 'group', String(group)] })) },
      { title: 'Remove the marked links at once', actions: [{ kind: 'ip', what: `remove the ${links.length} marked links at once`, args: ['link', 'del', 'group', String(group)] }] },
    ],
    namespacesBeside: links.some((l) => byName.get(l)?.link_netnsid === undefined),
  };
}

function ifalias(link: string): string | undefined {
  try {
    return readFileSync(`/sys/class/net/${link}/ifalias`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The first line of a regular file (not through a symlink), or undefined. */
function firstLine(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split('\n')[0];
  } finally {
    closeSync(fd);
  }
}

type Verdict = 'ours' | 'gone' | 'foreign';

/** A namespace: marked on its lo, or exactly as `ip netns add` made it and unused. */
function namespaceVerdict(lab: string, ns: string, facts: LoopbackFacts | undefined, inUse: ReadonlySet<number>): Verdict {
  if (!facts) return namedNamespaces().includes(ns) ? 'foreign' : 'gone';
  if (facts.loAlias === linkMark(lab)) return 'ours';
  const bare = facts.links === 1 && facts.loAlias === '' && !facts.loUp && facts.loAddresses === 0;
  const ino = netnsInode(ns);
  return bare && ino !== undefined && !inUse.has(ino) ? 'ours' : 'foreign';
}

/** /etc/netns/HOST: rm its hosts file if it is the lab's, and the directory if nothing else is in it. */
function etcNetnsVerdict(lab: string, host: string): { verdict: Verdict; targets?: string[] } {
  const dir = `/etc/netns/${host}`;
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return { verdict: 'gone' };
  if (!st.isDirectory()) return { verdict: 'foreign' };
  const entries = readdirSync(dir);
  const hasHosts = entries.includes('hosts');
  if (hasHosts && (!lstatSync(`${dir}/hosts`).isFile() || firstLine(`${dir}/hosts`) !== hostsMarker(lab))) return { verdict: 'foreign' };
  // rm -d removes the directory only when empty, after the file before it: never recursive
  const targets = [...(hasHosts ? [`${dir}/hosts`] : []), ...(entries.every((e) => e === 'hosts') ? [dir] : [])];
  return { verdict: 'ours', targets };
}

export interface DownPlan {
  steps: Step[];
  /** Journal entries that exist but are not the lab's: left alone. */
  foreign: Created[];
}

const LABEL: Record<Created['kind'], string> = { netns: 'namespace', link: 'link', 'ovs-bridge': 'OVS bridge', 'etc-netns': '/etc/netns/', container: 'container' };

export function describe(c: Created): string {
  return c.kind === 'etc-netns' ? `/etc/netns/${c.name}` : `${LABEL[c.kind]} ${c.name}`;
}

export async function planDown(lab: string, created: readonly Created[]): Promise<DownPlan> {
  // containers first: each holds its namespace open, and a namespace in use is not down's
  const containers = await planContainersDown(lab, created);
  const foreign: Created[] = [...containers.foreign];
  const wantOvs = unique(created, 'ovs-bridge');
  let ovs = new Map<string, Record<string, string>>();
  if (wantOvs.length && (await ovsInstalled())) {
    await ensureOvsRunning();
    if (await ovsRunning()) ovs = await bridgeExternalIds();
  }
  const switches: Action[] = [];
  for (const b of wantOvs) {
    const ids = ovs.get(b);
    if (!ids) continue;
    if (ids[MARK_KEY] !== lab) foreign.push({ kind: 'ovs-bridge', name: b });
    else switches.push({ kind: 'ovs', what: `remove Open vSwitch bridge ${b}`, args: ['--if-exists', 'del-br', b] });
  }

  const links = new Set(hostLinks());
  const ours: string[] = [];
  for (const l of unique(created, 'link').filter((x) => links.has(x))) {
    if (ifalias(l) === linkMark(lab)) ours.push(l);
    else foreign.push({ kind: 'link', name: l });
  }
  const all = ours.length > 1 ? (JSON.parse((await runTool('ip', ['-j', 'link', 'show'])).stdout) as LinkJson[]) : [];
  const cables = cableSteps(withoutPeers(ours, new Map(all.map((l) => [l.ifname, l]))), all);

  const present = new Set(namedNamespaces());
  const wantNs = unique(created, 'netns').filter((n) => present.has(n));
  // read before the namespaces are inspected: the child that reads them is inside each in
  // turn, and would make it look used
  const used = wantNs.length ? netnsInodesInUse() : new Set<number>();
  const facts = await inspectNamespaces(wantNs);
  const verdicts = wantNs.map((n, i) => namespaceVerdict(lab, n, facts[i], used));
  const namespaces: Action[] = [];
  wantNs.forEach((n, i) => {
    if (verdicts[i] === 'ours') namespaces.push({ kind: 'ip', what: `remove namespace ${n}`, args: ['netns', 'del', n] });
    else if (verdicts[i] === 'foreign') foreign.push({ kind: 'netns', name: n });
  });

  // one rm for all of them (a file before its directory): an rm per host was 200 processes
  const targets: string[] = [];
  const named: string[] = [];
  for (const h of unique(created, 'etc-netns')) {
    const v = etcNetnsVerdict(lab, h);
    if (v.verdict === 'foreign') foreign.push({ kind: 'etc-netns', name: h });
    else if (v.targets) {
      targets.push(...v.targets);
      named.push(h);
    }
  }
  const names: Action[] = targets.length ? [{ kind: 'exec', what: `remove the host names of ${named.length === 1 ? named[0] : `${named.length} hosts`}`, argv: ['rm', '-f', '-d', '--', ...targets] }] : [];
  return {
    steps: [
      { title: 'Remove the container nodes', actions: containers.actions },
      { title: 'Remove the switches', actions: switches },
      ...cables.steps,
      { title: 'Remove the namespaces', actions: namespaces, concurrent: cables.namespacesBeside },
      { title: 'Remove the host names', actions: names, concurrent: cables.namespacesBeside },
    ],
    foreign,
  };
}

/** Remove what the lab made; returns the entries left alone (not the lab's). */
export async function teardown(lab: string, created: readonly Created[], out: NetOutput): Promise<Created[]> {
  const plan = await planDown(lab, created);
  profileMark('net down: planned');
  await runSteps(plan.steps, { out });
  return plan.foreign;
}

export interface DownResult {
  found: boolean;
}

/** Namespaces, host links and containers of the list that exist now. */
async function stillThere(created: readonly Created[]): Promise<Created[]> {
  const netns = new Set(namedNamespaces());
  const links = new Set(hostLinks());
  const containers = created.some((c) => c.kind === 'container') ? await storedContainers() : new Map<string, unknown>();
  return created.filter((c) => (c.kind === 'netns' && netns.has(c.name)) || (c.kind === 'link' && links.has(c.name)) || (c.kind === 'container' && containers.has(c.name)));
}

/** What a killed up's last command can still be making: looked for again by afterOrphans. */
const LATE = new Set<Created['kind']>(['netns', 'link', 'container']);

/**
 * An up killed with SIGKILL can leave its last command running: an `ip -batch` that had read
 * all its lines goes on making what its group of the journal names, after down's first pass
 * looked, and a namespace it is making (its file in /run/netns, not yet mounted) looks like
 * someone else's. So, for a journal of an up that did not finish, down looks again, ORPHAN_WAIT_MS
 * after each pass, and removes what is there, until a look finds nothing, or only what the pass
 * before already left alone (at most ORPHAN_PASSES). Returns what is left alone in the end.
 */
const ORPHAN_PASSES = 100;
const ORPHAN_WAIT_MS = 300;

async function afterOrphans(lab: string, created: readonly Created[], foreign: readonly Created[], out: NetOutput): Promise<Created[]> {
  const key = (c: Created): string => `${c.kind}:${c.name}`;
  const kept = foreign.filter((c) => !LATE.has(c.kind));
  let pending = new Set(foreign.filter((c) => !kept.includes(c)).map(key));
  for (let pass = 0; pass < ORPHAN_PASSES; pass++) {
    await new Promise((res) => setTimeout(res, ORPHAN_WAIT_MS));
    const there = await stillThere(created);
    if (there.length === 0 || (there.length === pending.size && there.every((c) => pending.has(key(c))))) {
      return inOrder([...kept, ...there]);
    }
    out.explain.note(`lab ${lab}: ${there.length} of its objects are there again (a command of the up that was killed still ran): removing them too`);
    pending = new Set((await teardown(lab, there, out)).map(key));
  }
  return inOrder([...kept, ...(await stillThere(created))]);
}

/** In the order down removes them, as planDown lists them. */
function inOrder(list: Created[]): Created[] {
  const rank: Record<Created['kind'], number> = { container: -1, 'ovs-bridge': 0, link: 1, netns: 2, 'etc-netns': 3 };
  return list.sort((a, b) => rank[a.kind] - rank[b.kind]);
}

/** `net down`: the lab's lock held (lock.ts), then downLabLocked. */
export async function downLab(lab: string, out: NetOutput): Promise<DownResult> {
  return withLabLock(lab, () => downLabLocked(lab, out));
}

/** Down, by one that holds the lab's lock already (up, removing an older build first). */
export async function downLabLocked(lab: string, out: NetOutput): Promise<DownResult> {
  const journal = readJournal(lab);
  if (!journal) return { found: false };
  let foreign = await teardown(lab, journal.created, out);
  if (!journal.complete) foreign = await afterOrphans(lab, journal.created, foreign, out);
  removeJournal(lab);
  if (foreign.length) {
    const list = foreign.slice(0, 5).map(describe).join(', ') + (foreign.length > 5 ? ` and ${foreign.length - 5} more` : '');
    throw new ConflictError(`lab ${lab} is down, but its journal also named what is not lab ${lab}'s (no mark of it), left alone: ${list}`);
  }
  return { found: true };
}
