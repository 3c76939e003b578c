/**
 * Anti-spoofing on a container's bridge port. Containers keep CAP_NET_RAW (Docker's default
 * set), so without a check on the port one could send frames with another container's MAC or
 * address: poison its neighbours' ARP caches (`arping -U -s VICTIM_IP`), steal its traffic,
 * or send datagrams in its name. So what a container sends into its bridge is allowed only
 * from its own MAC, IPv4 only from its own address, ARP only for its own address and MAC;
 * everything else from the port is dropped before the bridge learns from it or forwards it.
 *
 * - Linux bridge with nft: a bridge-family table of the network's own, `bridge
 *   minictr-BRIDGE`, whose chain `ports` (hook prerouting) has three fixed rules that look the
 *   frame up in three sets: arp_ok (veth . MAC . ARP sender MAC . ARP sender IP) and ip_ok
 *   (veth . MAC . IPv4 source) accept, guarded (veth) drops the rest. A port is guarded by
 *   adding its elements (commented minictr:ctr:ID like the firewall's rules) and released by
 *   deleting them, no listing of rules and handles first: the elements are `nft` actions that
 *   the runner has the addon's child send as one nf_tables batch, in the same child as the
 *   veth at start (netns-ops.ts, netns-many.c), no nft process;
 *   the table is made once per network (ensureNetworkGuard), again by nft should it be gone.
 *   The table goes with its network.
 * - Linux bridge without nft: ebtables, a chain per container (minictr-ID, policy DROP) that
 *   the nat table's PREROUTING jumps to for frames from its veth. ebtables-nft fails when two
 *   run at once, so minictr's calls take a lock (and --concurrent, ebtables-legacy's own).
 * - Open vSwitch: OpenFlow flows on the port, with the container's id as their cookie: allow
 *   (in_port + dl_src + nw_src, or arp_spa + arp_sha) at priority 200, drop the rest from the
 *   port at 100; the bridge's own NORMAL flow (priority 0) switches what is allowed.
 *
 * MINICTR_BRIDGE_FIREWALL=nftables|ebtables chooses for Linux bridges (default: nftables when
 * nft is installed); removal never depends on what the environment says: a port guarded with
 * ebtables leaves a marker file in the run dir (net/ebtables/CHAIN) that rm looks for, and the
 * nft elements are deleted whatever the environment says.
 *
 * The container's MAC is chosen, not read back: 02:42 and its IPv4 address (as Docker made
 * them), set when the veth pair is created. So the rules can be written from what is already
 * recorded, with no query into the container's namespace; the MAC is unique on its network
 * because the address is, and it stays the same at every restart, so neighbours' ARP entries
 * and these rules never go stale.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MinictrError } from '../../errors.js';
import { paths } from '../../paths.js';
import type { Explainer } from '../../util/explain.js';
import { hostCommand } from '../../util/host-command.js';
import { withLock } from '../../util/lock.js';
import { haveTool } from '../../util/tool.js';
import { ipToInt } from './cidr.js';
import type { NftAction } from '../host/actions.js';
import { hostProgram, NetnsOpError } from '../host/netns-ops.js';
import { runSteps } from '../host/runner.js';
import type { NetworkConfig } from './store.js';

/** One container's port on its network's bridge. */
export interface PortOwner {
  ctrId: string;
  /** the host-side end of its veth pair, plugged into the bridge */
  veth: string;
  mac: string;
  ip: string;
}

/** 02:42:a:b:c:d for a.b.c.d: locally administered, unicast, unique on its network. */
export function containerMac(ip: string): string {
  const n = ipToInt(ip);
  if (n === undefined) throw new MinictrError(`${ip} is not an IPv4 address`);
  return ['02', '42', ...[24, 16, 8, 0].map((s) => ((n >>> s) & 0xff).toString(16).padStart(2, '0'))].join(':');
}

const ctrTag = (id: string): string => `minictr:ctr:${id.slice(0, 12)}`;
/** the bridge-family table of a Linux-bridge network */
export const bridgeTable = (net: NetworkConfig): string => `minictr-${net.bridge}`;
/** the ebtables chain of one container's port: minictr-ID for eth0, minictr-ID-N for its ethN
 * (attach.ts vethName ends in -N), since ebtables chains are not per bridge */
const ebChain = (id: string, veth: string): string => `minictr-${id.slice(0, 12)}${/-\d$/.test(veth) ? veth.slice(-2) : ''}`;
/** left while a port has an ebtables chain: what tells rm to look there (no ebtables run) */
const ebtablesMarker = (id: string, veth: string): string => join(paths.net(), 'ebtables', ebChain(id, veth));
/** an OpenFlow cookie: the first 64 bits of the container's id */
const cookie = (id: string): string => `0x${id.slice(0, 16)}`;

export type BridgeGuardBackend = 'nftables' | 'ebtables';

export async function linuxBackend(): Promise<BridgeGuardBackend> {
  const forced = process.env.MINICTR_BRIDGE_FIREWALL;
  if (forced === 'nftables' || forced === 'ebtables') return forced;
  return (await haveTool('nft')) ? 'nftables' : 'ebtables';
}

/** The chain of the network's bridge table and the sets its rules look frames up in. */
const GUARD_CHAIN = 'ports';

/** The network's table, its sets and its chain's three rules (pure): declared again at every
 * guard in the same nft run, so a table removed by hand comes back whole; the chain is flushed
 * and refilled in that one transaction, so no frame ever sees it empty. */
export function nftGuardTable(net: NetworkConfig): string[] {
  const t = `bridge ${bridgeTable(net)}`;
  return [
    `add table ${t}`,
    `add set ${t} arp_ok { typeof iifname . ether saddr . arp saddr ether . arp saddr ip; }`,
    `add set ${t} ip_ok { typeof iifname . ether saddr . ip saddr; }`,
    `add set ${t} guarded { typeof iifname; }`,
    `add chain ${t} ${GUARD_CHAIN} { type filter hook prerouting priority filter; policy accept; }`,
    `flush chain ${t} ${GUARD_CHAIN}`,
    `add rule ${t} ${GUARD_CHAIN} iifname . ether saddr . arp saddr ether . arp saddr ip @arp_ok accept`,
    `add rule ${t} ${GUARD_CHAIN} iifname . ether saddr . ip saddr @ip_ok accept`,
    `add rule ${t} ${GUARD_CHAIN} iifname @guarded drop`,
  ];
}

/** The three elements of one port, each its set and its key's fields as nft prints them (pure). */
function portElements(p: Omit<PortOwner, 'ctrId'>): { set: string; key: string[] }[] {
  const veth = `"${p.veth}"`;
  return [
    { set: 'arp_ok', key: [veth, p.mac, p.mac, p.ip] },
    { set: 'ip_ok', key: [veth, p.mac, p.ip] },
    { set: 'guarded', key: [veth] },
  ];
}

/** The set elements of one port as `nft` actions (pure): what the runner sends as the addon's
 * nf_tables batch (netns-ops.ts nftElementOp reads the same args) and explains as the nft
 * commands they are. verb: add to guard it; delete to release it. */
export function nftPortActions(net: NetworkConfig, p: Omit<PortOwner, 'ctrId'> & { ctrId?: string }, verb: 'add' | 'delete'): NftAction[] {
  const tag = p.ctrId ? ` comment "${ctrTag(p.ctrId)}"` : '';
  const what = verb === 'add' ? `anti-spoofing on ${p.veth}: only ${p.mac} / ${p.ip} may send from it` : `remove the anti-spoofing elements of ${p.veth}`;
  return portElements(p).map((e, i) => ({
    kind: 'nft',
    what: i === 0 ? what : `and its ${e.set} element`,
    args: [verb, 'element', 'bridge', bridgeTable(net), e.set, `{ ${e.key.join(' . ')}${tag} }`],
  }));
}

/** The same elements as lines of an `nft -f` script (pure). */
export function nftPortElements(net: NetworkConfig, p: Omit<PortOwner, 'ctrId'> & { ctrId?: string }, verb: 'add' | 'delete'): string[] {
  return nftPortActions(net, p, verb).map((a) => a.args.join(' '));
}

/** At the network's first start since boot (attach.ts ensureNetworkReady): its bridge table,
 * sets and rules, so that a port is only its elements. */
export async function ensureNetworkGuard(net: NetworkConfig, explain: Explainer): Promise<void> {
  if (net.driver !== 'linux' || (await linuxBackend()) !== 'nftables') return;
  await hostCommand('nft', ['-f', '-'], { explain, why: `anti-spoofing table of ${net.name}: three rules that look each port up in sets`, input: [...nftGuardTable(net), ''].join('\n') });
}

/** The OpenFlow flows of one port (pure). */
export function ovsPortFlows(p: PortOwner): string[] {
  const at = `cookie=${cookie(p.ctrId)},in_port=${p.veth}`;
  return [
    `${at},priority=200,dl_src=${p.mac},arp,arp_spa=${p.ip},arp_sha=${p.mac},actions=NORMAL`,
    `${at},priority=200,dl_src=${p.mac},ip,nw_src=${p.ip},actions=NORMAL`,
    `${at},priority=100,actions=drop`,
  ];
}

/** The ebtables commands of one port (pure), each an argv after `ebtables -t nat`. */
export function ebtablesPortRules(p: PortOwner): string[][] {
  const chain = ebChain(p.ctrId, p.veth);
  return [
    ['-N', chain, '-P', 'DROP'],
    ['-A', chain, '-s', p.mac, '-p', 'ARP', '--arp-mac-src', p.mac, '--arp-ip-src', p.ip, '-j', 'RETURN'],
    ['-A', chain, '-s', p.mac, '-p', 'IPv4', '--ip-src', p.ip, '-j', 'RETURN'],
    ['-A', 'PREROUTING', '-i', p.veth, '-j', chain],
  ];
}

/** Guard the container's port (at every start, before its process runs: its old rules, if
 * any, are replaced). The veth must be on the bridge already (OVS needs its port number). */
export async function guardPort(net: NetworkConfig, p: PortOwner, explain: Explainer): Promise<void> {
  const why = `anti-spoofing on ${p.veth}: only ${p.mac} / ${p.ip} may send from it`;
  if (net.driver === 'ovs') {
    // delete first what an earlier holder of this port number left (and this container's own
    // flows of an earlier start), then add: one ovs-ofctl run, before the container runs
    const flows = [`delete in_port=${p.veth}`, `delete cookie=${cookie(p.ctrId)}/-1`, ...ovsPortFlows(p).map((f) => `add ${f}`)];
    await hostCommand('ovs-ofctl', ['add-flows', net.bridge, '-'], { explain, why, input: flows.join('\n') + '\n' });
    return;
  }
  if ((await linuxBackend()) === 'ebtables') {
    await ebtables(async (eb) => {
      await removeEbtables(eb, p.ctrId, p.veth, explain);
      // before the chain exists: rm finds a half-made one by it
      mkdirSync(dirname(ebtablesMarker(p.ctrId, p.veth)), { recursive: true });
      writeFileSync(ebtablesMarker(p.ctrId, p.veth), '');
      for (const args of ebtablesPortRules(p)) await eb(args, { explain, why });
    });
    return;
  }
  // the elements are keyed by the veth, named by the container: an earlier start's are the same
  const script = [...nftGuardTable(net), ...nftPortElements(net, p, 'add'), ''].join('\n');
  await hostCommand('nft', ['-f', '-'], { explain, why, input: script });
}

/** At rm: the port's rules go with the container. net is undefined when its network is gone
 * (its bridge table went with it); ip is the port's address, which its elements are keyed by. */
export async function unguardPort(net: NetworkConfig | undefined, ctrId: string, veth: string, explain: Explainer, ip?: string): Promise<void> {
  if (net?.driver === 'ovs') {
    const why = `remove the anti-spoofing flows and the port of ${veth}`;
    await hostCommand('ovs-ofctl', ['del-flows', net.bridge, `cookie=${cookie(ctrId)}/-1`], { explain, why, allowFailure: true });
    await hostCommand('ovs-vsctl', ['--if-exists', 'del-port', net.bridge, veth], { explain, allowFailure: true });
    return;
  }
  // in both places: the backend at rm need not be the one at start
  if (existsSync(ebtablesMarker(ctrId, veth))) {
    // the marker stays while the chain does: the next rm tries again
    if (await ebtables((eb) => removeEbtables(eb, ctrId, veth, explain))) rmSync(ebtablesMarker(ctrId, veth), { force: true });
  }
  if (!net || ip === undefined || !(await haveTool('nft'))) return;
  const port = { veth, mac: containerMac(ip), ip };
  // no nft process: the runner has the addon's child send the deletes (one not there is no failure)
  try {
    await runSteps([{ title: `release ${veth}`, actions: nftPortActions(net, port, 'delete') }], { out: { explain, heading() {}, result() {} } });
    return;
  } catch (err) {
    if (!(err instanceof NetnsOpError)) throw err;
  }
  // the addon could not (a kernel without nf_tables netlink for us): nft, which cannot fail on
  // a missing element after an add of the same
  const script = [...nftPortElements(net, port, 'add'), ...nftPortElements(net, port, 'delete'), ''].join('\n');
  await hostCommand('nft', ['-f', '-'], { explain, why: `remove the anti-spoofing elements of ${veth}`, input: script, allowFailure: true });
}

/**
 * A --rm container's port after its exit, off the user's wait: its elements deleted (their
 * commit waits for an RCU grace period, ~10 ms), its host end deleted should the kernel not
 * have yet (it goes with the container's namespace), and only then its address lease given
 * back (lease: ipam.ts leasePath), so an address is never leased again while its elements or
 * its veth exist. The program of the run's cleaner (native cleanAfterExit), which the caller
 * starts; undefined when the port is not one of elements only (OVS, ebtables, no nft), for the
 * caller to release it the usual way. What an interrupted one leaves (a lease of a container
 * that is gone) is what system prune frees.
 */
export async function portReleaseAfterExit(net: NetworkConfig | undefined, ctrId: string, veth: string, ip: string, lease: string): Promise<Buffer | undefined> {
  if (net?.driver !== 'linux' || existsSync(ebtablesMarker(ctrId, veth)) || !(await haveTool('nft'))) return undefined;
  const port = { veth, mac: containerMac(ip), ip };
  return hostProgram(nftPortActions(net, port, 'delete'), [
    { op: 'dellink', dev: veth },
    { op: 'release', path: lease, id: ctrId },
  ]);
}

/** At network rm: the network's bridge table (Linux bridges; OVS flows go with the bridge).
 * Looked for whatever the driver says: a salvaged (broken) record may not know it. */
export async function removeNetworkGuard(net: NetworkConfig, explain: Explainer): Promise<void> {
  if (!(await haveTool('nft'))) return;
  const exists = await hostCommand('nft', ['list', 'table', 'bridge', bridgeTable(net)], { allowFailure: true });
  if (exists.ok) await hostCommand('nft', ['delete', 'table', 'bridge', bridgeTable(net)], { explain, why: `remove the anti-spoofing table of ${net.name}`, allowFailure: true });
}

type Ebtables = (args: string[], opts?: { explain?: Explainer; why?: string; allowFailure?: boolean }) => ReturnType<typeof hostCommand>;

/** ebtables -t nat calls, one at a time (see the top). */
async function ebtables<T>(fn: (eb: Ebtables) => Promise<T>): Promise<T> {
  return withLock(join(paths.locks(), 'ebtables.lock'), () => fn((args, opts = {}) => hostCommand('ebtables', ['--concurrent', '-t', 'nat', ...args], opts)));
}

async function removeEbtables(eb: Ebtables, ctrId: string, veth: string, explain: Explainer): Promise<boolean> {
  const chain = ebChain(ctrId, veth);
  const why = `remove the anti-spoofing chain of ${veth}`;
  // from the table's listing: `-L CHAIN` of ebtables-nft 1.8.9 fails the same way ("is
  // incompatible") for a missing chain and for a transaction that committed under it
  const present = async (): Promise<boolean | undefined> => {
    const list = await eb(['-L'], { allowFailure: true });
    return list.ok ? list.stdout.includes(`Bridge chain: ${chain},`) : undefined;
  };
  // ebtables-nft gives up when another nf_tables transaction (another container's elements,
  // another state dir's ebtables) commits under it: tried again until the chain is gone
  for (let attempt = 0; attempt < 5; attempt++) {
    const there = await present();
    if (there === false) return true;
    if (!there) continue;
    await eb(['-D', 'PREROUTING', '-i', veth, '-j', chain], { explain: attempt ? undefined : explain, why, allowFailure: true });
    await eb(['-F', chain], { explain: attempt ? undefined : explain, allowFailure: true });
    await eb(['-X', chain], { explain: attempt ? undefined : explain, allowFailure: true });
  }
  return (await present()) === false;
}
