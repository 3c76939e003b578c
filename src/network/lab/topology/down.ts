/**
 * Tear a lab down from its journal: remove exactly the objects `up` recorded, skipping those
 * already gone, so it works after a clean up, a failed up, or an up killed with SIGKILL.
 * Host-side veth ends are deleted explicitly: deleting a namespace destroys its veths only
 * later (the kernel cleans up namespaces asynchronously), and a leftover name would clash.
 */
import { existsSync } from 'node:fs';
import { runTool } from '../../../util/tool.js';
import type { Action, Created, Step } from '../../host/actions.js';
import { ensureOvsRunning, ovsInstalled } from '../../host/ovs.js';
import type { NetOutput } from '../../host/output.js';
import { runSteps } from '../../host/runner.js';
import { hostLinks, namedNamespaces, ovsBridges } from '../../host/state.js';
import { readJournal, removeJournal } from './journal.js';

function unique(created: readonly Created[], kind: Created['kind']): string[] {
  return [...new Set(created.filter((c) => c.kind === kind).map((c) => c.name))];
}

interface LinkJson {
  ifname: string;
  ifindex: number;
  group?: string | number;
  /** The peer's name, when the peer is in the same namespace. */
  link?: string;
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

/** Above this many links, delete them as one group (see cableActions). */
const GROUP_DELETE_MIN = 8;

/**
 * Each `ip link del` waits for the kernel's RCU grace periods (~20-40 ms a device). Deleting
 * a whole link group is one netlink request that unregisters them all together, about four
 * times faster for a 50-host lab. The group number is one no link uses now.
 */
function cableActions(links: string[], all: readonly LinkJson[]): Action[] {
  if (links.length < GROUP_DELETE_MIN) {
    return links.map((l) => ({ kind: 'ip', what: `remove ${l}`, args: ['link', 'del', l] }));
  }
  const used = new Set(all.map((l) => String(l.group ?? 'default')));
  let group = 0;
  do group = 100000 + Math.floor(Math.random() * 2_000_000_000);
  while (used.has(String(group)));
  return [
    ...links.map((l): Action => ({ kind: 'ip', what: `mark ${l} for removal`, args: ['link', 'set', 'dev', l, 'group', String(group)] })),
    { kind: 'ip', what: `remove the ${links.length} marked links at once`, args: ['link', 'del', 'group', String(group)] },
  ];
}

export async function planDown(created: readonly Created[]): Promise<Step[]> {
  const wantOvs = unique(created, 'ovs-bridge');
  let ovs: string[] = [];
  if (wantOvs.length && (await ovsInstalled())) {
    await ensureOvsRunning();
    ovs = await ovsBridges();
  }
  const links = new Set(hostLinks());
  const netns = new Set(namedNamespaces());
  const switches: Action[] = wantOvs
    .filter((b) => ovs.includes(b))
    .map((b) => ({ kind: 'ovs', what: `remove Open vSwitch bridge ${b}`, args: ['--if-exists', 'del-br', b] }));
  const ours = unique(created, 'link').filter((l) => links.has(l));
  const all = ours.length > 1 ? (JSON.parse((await runTool('ip', ['-j', 'link', 'show'])).stdout) as LinkJson[]) : [];
  const cables = cableActions(withoutPeers(ours, new Map(all.map((l) => [l.ifname, l]))), all);
  const namespaces: Action[] = unique(created, 'netns')
    .filter((n) => netns.has(n))
    .map((n) => ({ kind: 'ip', what: `remove namespace ${n}`, args: ['netns', 'del', n] }));
  const names: Action[] = unique(created, 'etc-netns')
    .filter((n) => existsSync(`/etc/netns/${n}`))
    .map((n) => ({ kind: 'exec', what: `remove ${n}'s host names`, argv: ['rm', '-rf', `/etc/netns/${n}`] }));
  return [
    { title: 'Remove the switches', actions: switches },
    { title: 'Remove the veth pairs and bridges', actions: cables },
    { title: 'Remove the namespaces', actions: namespaces },
    { title: 'Remove the host names', actions: names },
  ];
}

export async function teardown(created: readonly Created[], out: NetOutput): Promise<void> {
  await runSteps(await planDown(created), { out });
}

export interface DownResult {
  found: boolean;
}

export async function downLab(lab: string, out: NetOutput): Promise<DownResult> {
  const journal = readJournal(lab);
  if (!journal) return { found: false };
  await teardown(journal.created, out);
  removeJournal(lab);
  return { found: true };
}
