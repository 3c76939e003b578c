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
 *   deleting them: one `nft -f -` each, no listing of rules and handles first. The table goes
 *   with its network.
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

/** The set elements of one port (pure: the same text is explained and run). verb: add to guard
 * it; delete to release it (after an add of the same elements, so the run cannot fail on one
 * that is not there: nft 1.0.6 has no `destroy element`). */
export function nftPortElements(net: NetworkConfig, p: Omit<PortOwner, 'ctrId'> & { ctrId?: string }, verb: 'add' | 'delete'): string[] {
  const t = `bridge ${bridgeTable(net)}`;
  const tag = p.ctrId ? ` comment "${ctrTag(p.ctrId)}"` : '';
  return [
    `${verb} element ${t} arp_ok { "${p.veth}" . ${p.mac} . ${p.mac} . ${p.ip}${tag} }`,
    `${verb} element ${t} ip_ok { "${p.veth}" . ${p.mac} . ${p.ip}${tag} }`,
    `${verb} element ${t} guarded { "${p.veth}"${tag} }`,
  ];
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
    await ebtables((eb) => removeEbtables(eb, ctrId, veth, explain));
    rmSync(ebtablesMarker(ctrId, veth), { force: true });
  }
  if (!net || ip === undefined || !(await haveTool('nft'))) return;
  const port = { veth, mac: containerMac(ip), ip };
  // fails only when the table or its sets are not there, and then neither are the elements
  const script = [...nftPortElements(net, port, 'add'), ...nftPortElements(net, port, 'delete'), ''].join('\n');
  await hostCommand('nft', ['-f', '-'], { explain, why: `remove the anti-spoofing elements of ${veth}`, input: script, allowFailure: true });
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

async function removeEbtables(eb: Ebtables, ctrId: string, veth: string, explain: Explainer): Promise<void> {
  const chain = ebChain(ctrId, veth);
  if (!(await eb(['-L', chain], { allowFailure: true })).ok) return;
  const why = `remove the anti-spoofing chain of ${veth}`;
  await eb(['-D', 'PREROUTING', '-i', veth, '-j', chain], { explain, why, allowFailure: true });
  await eb(['-F', chain], { explain, allowFailure: true });
  await eb(['-X', chain], { explain, allowFailure: true });
}
