/**
 * A container on a bridge network: its address is taken when it is created, and at every
 * start, after the C child has made the network namespace but before it runs anything, the
 * host side is wired: a veth pair is created with one end (eth0, with the MAC its address
 * gives it) directly inside the container's namespace, the other end on the bridge, where
 * anti-spoofing rules let only that MAC and address send (antispoof.ts); then eth0 gets its
 * address and default route, published ports get their DNAT rules, and the network's
 * containers learn each other's names (/etc/hosts).
 *
 * A container on more networks (run --network a --network b, `network connect`) has one
 * such cable per network, eth1, eth2... in order: the same veth pair, bridge port and
 * anti-spoofing rules; its address is set from the host (nsenter into the container's
 * network namespace, `ip addr add`), since the C child's path is over by the time a running
 * container is connected. Only eth0 has the default route and the published ports.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLock } from '../../util/lock.js';
import { paths } from '../../paths.js';
import type { Explainer } from '../../util/explain.js';
import type { Action, NftAction } from '../host/actions.js';
import { NetnsOpError } from '../host/netns-ops.js';
import { bridgePort, linkUp, txChecksumOff, vethPair } from '../host/links.js';
import type { NetOutput } from '../host/output.js';
import { runSteps } from '../host/runner.js';
import { containerMac, ensureNetworkGuard, guardPort, linuxBackend, nftPortActions, portReleaseAfterExit, removeNetworkGuard, unguardPort } from './antispoof.js';
import { ensureBridge, linkExists, ovsDatapathType, removeBridge } from './bridge.js';
import { removeContainerRules, removeNetworkRules, selectFirewall, type PortMapping } from './firewall.js';
import { addressesInUse, allocateAddress, holdAddress, leasePath, releaseAddress } from './ipam.js';
import { bridgeNameFor, DEFAULT_NETWORK, defineNetwork, deleteNetworkRecord, findNetwork, listNetworks, type NetworkConfig, type SwitchDriver } from './store.js';
import { BrokenRecordError, ConflictError, NotFoundError } from '../../errors.js';
import { isValidName } from '../../names.js';
import { MAX_NETWORKS } from './mode.js';
import { readBoundedFile } from '../../util/bounded-read.js';

/** What a container records about its network (in its config.json). */
export interface ContainerNetwork {
  mode: string;
  network?: string;
  ip?: string;
  ports: PortMapping[];
  dns?: string[];
  /** --network-alias: more names in the network's /etc/hosts files */
  aliases?: string[];
  /** the networks after the first (eth1, eth2...): --network given again, `network connect` */
  more?: NetworkAttachment[];
}

/** One network of a container: the interface inside, its address, its names there. */
export interface NetworkAttachment {
  network: string;
  ip: string;
  /** eth0 for the first network, eth1... for the others */
  ifname: string;
  aliases?: string[];
}

/** Every network the container is on, eth0's first. */
export function attachments(n: ContainerNetwork | undefined): NetworkAttachment[] {
  if (!n?.network || !n.ip) return [];
  return [{ network: n.network, ip: n.ip, ifname: 'eth0', ...(n.aliases ? { aliases: n.aliases } : {}) }, ...(n.more ?? [])];
}

/** The first of eth1..eth9 the container does not have. */
export function nextIfname(n: ContainerNetwork): string {
  const used = new Set(attachments(n).map((a) => a.ifname));
  for (let i = 1; i < MAX_NETWORKS; i++) if (!used.has(`eth${i}`)) return `eth${i}`;
  throw new ConflictError(`a container is on at most ${MAX_NETWORKS} networks (eth0..eth${MAX_NETWORKS - 1})`);
}

const NETWORK_LOCK = (): string => join(paths.locks(), 'networks.lock');

/** The named network, creating the default one on first use. */
export async function getNetwork(name: string, driver?: SwitchDriver): Promise<NetworkConfig> {
  const found = findNetwork(name);
  if (found) return found;
  if (name !== DEFAULT_NETWORK) throw new NotFoundError(`no such network: ${name} (create it with: minictr network create ${name})`);
  return withLock(NETWORK_LOCK(), async () => findNetwork(name) ?? defineNetwork(name, { driver }));
}

export async function createNetwork(name: string, opts: { subnet?: string; driver?: SwitchDriver }): Promise<NetworkConfig> {
  return withLock(NETWORK_LOCK(), async () => defineNetwork(name, opts));
}

export function containersOn(net: string): string[] {
  return [...new Set(addressesInUse(net).values())];
}

export async function removeNetwork(name: string, force: boolean, explain: Explainer, stillExists: (id: string) => boolean): Promise<void> {
  let net: NetworkConfig | undefined;
  try {
    net = findNetwork(name);
  } catch (err) {
    // a broken record goes only with -f, and takes what its name says it owns
    if (!(err instanceof BrokenRecordError) || !force) throw err;
    net = salvageNetwork(name, err.record.path);
  }
  if (!net) throw new NotFoundError(`no such network: ${name}`);
  const users = containersOn(name).filter(stillExists);
  if (users.length && !force) throw new ConflictError(`network ${name} has ${users.length} container(s) attached: remove them first or use -f`);
  await withLock(NETWORK_LOCK(), async () => {
    await removeNetworkRules(net, explain);
    await removeNetworkGuard(net, explain);
    await removeBridge(net, explain);
    deleteNetworkRecord(name);
  });
}

/** What a broken network record still tells (its bridge, if that field survived), else the
 * bridge its name gives. */
function salvageNetwork(name: string, path: string): NetworkConfig {
  let raw: Partial<NetworkConfig> = {};
  try {
    raw = JSON.parse(readBoundedFile(path, 1 << 20, 'network record')) as Partial<NetworkConfig>;
  } catch {
    /* nothing readable */
  }
  const bridge = typeof raw.bridge === 'string' && isValidName('interface', raw.bridge) ? raw.bridge : bridgeNameFor(name);
  return { name, driver: raw.driver === 'ovs' ? 'ovs' : 'linux', bridge, subnet: '0.0.0.0/32', gateway: '0.0.0.0', created: '' };
}

/** At create: take an address on the network (never handed out twice, see ipam.ts). */
export async function reserveAddress(network: string, containerId: string, driver?: SwitchDriver): Promise<{ net: NetworkConfig; ip: string }> {
  const net = await getNetwork(network, driver);
  return { net, ip: allocateAddress(net, containerId) };
}

/** The host side is wired once per network per boot (the marker lives in /run). */
async function ensureNetworkReady(net: NetworkConfig, explain: Explainer): Promise<void> {
  const marker = join(paths.net(), 'ready', net.name);
  if (isReady(net, marker)) return;
  await withLock(NETWORK_LOCK(), async () => {
    if (isReady(net, marker)) return;
    await ensureBridge(net, explain);
    const fw = await selectFirewall(explain);
    await fw.ensureNetwork(net, listNetworks());
    await ensureNetworkGuard(net, explain);
    mkdirSync(join(paths.net(), 'ready'), { recursive: true });
    writeFileSync(marker, `${READY_LAYOUT} ${fw.backend}`);
  });
}

/** The ready marker names the layout of the host-side rules it was written for (2: networks
 * isolated through the nft set `bridges`, firewall.ts): a network wired by an older minictr
 * (its marker says only the backend) is wired again by the next command, not at the next
 * boot, so an upgrade's rules take effect at once. */
const READY_LAYOUT = 'layout=2';

function isReady(net: NetworkConfig, marker: string): boolean {
  if (!linkExists(net.bridge)) return false;
  try {
    return readFileSync(marker, 'utf8').startsWith(`${READY_LAYOUT} `);
  } catch {
    return false;
  }
}

/** The host end of the container's ethN: veth + 11 hex digits of its id for eth0 (as
 * before more networks existed), veth + 9 digits + -N for the others (15 bytes at most). */
export function vethName(containerId: string, ifname = 'eth0'): string {
  return ifname === 'eth0' ? `veth${containerId.slice(0, 11)}` : `veth${containerId.slice(0, 9)}-${ifname.slice(3)}`;
}

/** The same cable a lab host gets: ethN made directly in the container's namespace (by its
 * pid) with the MAC the anti-spoofing rules allow, the host end plugged into the network's
 * bridge. */
export function containerLink(pid: number, veth: string, net: NetworkConfig, datapath: 'system' | 'netdev', mac: string, ifname = 'eth0'): Action[] {
  const inside = { ifname, address: mac, netns: pid, label: `${ifname} (in the container, pid ${pid})` };
  const what = `veth pair: ${ifname} (${mac}) created directly in the container's network namespace, ${veth} on ${net.bridge}`;
  // a Linux bridge takes its port in the same request: plugged in and up as it is made
  if (net.driver === 'linux') return [vethPair({ ifname: veth, master: net.bridge, up: true }, inside, `${what}, plugged in and up`)];
  const pair = vethPair(inside, { ifname: veth }, what);
  const offload = datapath === 'netdev'
    ? [txChecksumOff(veth, undefined, `userspace datapath: no TX checksum offload on ${veth}`), txChecksumOff(ifname, undefined, `and none on the container's ${ifname}`, `/proc/${pid}/ns/net`)]
    : [];
  return [pair, linkUp(veth), bridgePort(net.bridge, 'ovs', veth, { mayExist: true }), ...offload];
}

/** `ip` run inside the container's network namespace from the host (nsenter, a C program:
 * no JavaScript enters the namespace). */
function ipInside(pid: number, args: string[], what: string): Action {
  return { kind: 'exec', what, argv: ['nsenter', `--net=/proc/${pid}/ns/net`, 'ip', ...args] };
}

/** An interface after eth0, configured from the host: its address, then up (no default
 * route: that stays eth0's). */
export function interfaceAddress(pid: number, a: NetworkAttachment, net: NetworkConfig): Action[] {
  const prefix = net.subnet.split('/')[1];
  return [
    ipInside(pid, ['addr', 'add', `${a.ip}/${prefix}`, 'dev', a.ifname], `give the container's ${a.ifname} its address on ${net.name}`),
    ipInside(pid, ['link', 'set', a.ifname, 'up'], `bring the container's ${a.ifname} up`),
  ];
}

/** Container networking prints only its steps' explain lines (no lab headings). */
function explainOutput(explain: Explainer): NetOutput {
  return { explain, heading() {}, result() {} };
}

/** What the C child does inside the namespace: eth0's address and default route. */
export async function containerInterface(n: ContainerNetwork): Promise<{ ifname: string; address: string; prefix: number; gateway: string } | undefined> {
  if (!n.network || !n.ip) return undefined;
  const net = await getNetwork(n.network);
  return { ifname: 'eth0', address: n.ip, prefix: Number(net.subnet.split('/')[1]), gateway: net.gateway };
}

/** Wire the host side for a started container (pid: its init, in its own netns, waiting for
 * "go"): the veth pair, the bridge port and its anti-spoofing rules, published ports. Its eth0
 * stays down until the child runs, so nothing is sent before the rules are in place. */
export async function connectContainer(containerId: string, pid: number, n: ContainerNetwork, explain: Explainer): Promise<void> {
  if (!n.network || !n.ip) return;
  for (const a of attachments(n)) await plugInterface(containerId, pid, a, explain);
  if (n.ports.length) {
    const fw = await selectFirewall(explain);
    await fw.removeContainer(containerId);
    await fw.publish(containerId, await getNetwork(n.network), n.ip, n.ports);
  }
}

/** One of the container's interfaces wired: the cable, its anti-spoofing rules, and for
 * eth1... its address (eth0's is the C child's). Also `network connect` of a running one. */
export async function plugInterface(containerId: string, pid: number, a: NetworkAttachment, explain: Explainer): Promise<void> {
  holdAddress(a.network, a.ip, containerId);
  const net = await getNetwork(a.network);
  await ensureNetworkReady(net, explain);
  const veth = vethName(containerId, a.ifname);
  const mac = containerMac(a.ip);
  const inside = a.ifname === 'eth0' ? [] : interfaceAddress(pid, a, net);
  const port = { ctrId: containerId, veth, mac, ip: a.ip };
  if (net.driver === 'linux') {
    // the cable and, with nft, the port's set elements: one step, which the runner has one
    // child of the addon send (one rtnetlink request, one nf_tables batch), explained as the
    // `ip link add` and `nft add element` lines they are: no process
    const guard = (await linuxBackend()) === 'nftables' ? nftPortActions(net, port, 'add') : [];
    let guarded = guard.length > 0;
    try {
      await runSteps([{ title: `attach the container to ${net.name}`, actions: [...containerLink(pid, veth, net, 'system', mac, a.ifname), ...guard] }], { out: explainOutput(explain) });
    } catch (err) {
      // the network's table is gone (removed by hand): nft makes it again, with the elements
      if (!(err instanceof NetnsOpError) || !guard.includes(err.action as NftAction)) throw err;
      guarded = false;
    }
    // ebtables, or the elements that failed
    if (!guarded) await guardPort(net, port, explain);
  } else {
    await runSteps([{ title: `attach the container to ${net.name}`, actions: containerLink(pid, veth, net, await ovsDatapathType(), mac, a.ifname) }], { out: explainOutput(explain) });
    await guardPort(net, port, explain);
  }
  if (inside.length) await runSteps([{ title: `configure ${a.ifname}`, actions: inside }], { out: explainOutput(explain) });
}

/** `network disconnect` of a running container: its ethN removed inside (the host end goes
 * with it), then what `releaseInterface` frees. */
export async function unplugInterface(containerId: string, pid: number, a: NetworkAttachment, explain: Explainer): Promise<void> {
  await runSteps([{ title: `detach the container from ${a.network}`, actions: [ipInside(pid, ['link', 'del', a.ifname], `remove the container's ${a.ifname} (its host end ${vethName(containerId, a.ifname)} goes with it)`)] }], { out: explainOutput(explain) });
}

/** The port's anti-spoofing rules and the address of one interface (its veth is gone). */
export async function releaseInterface(containerId: string, a: NetworkAttachment, explain: Explainer): Promise<void> {
  await unguardPort(findNetwork(a.network), containerId, vethName(containerId, a.ifname), explain, a.ip);
  releaseAddress(a.network, a.ip, containerId);
}

/**
 * A lease whose container is gone (a --rm run's background release that was killed, a
 * crash): its port's elements deleted, then the lease given back, but only once no host end
 * the id names exists (the kernel removes it with the container's namespace, a little after
 * the container ended): an address is never leased again while its elements or veth exist.
 * False when it must wait for a later command.
 */
export async function releaseOrphanLease(network: string, ip: string, containerId: string, explain: Explainer): Promise<boolean> {
  const veths = Array.from({ length: MAX_NETWORKS }, (_, i) => vethName(containerId, `eth${i}`));
  const net = findNetwork(network);
  // which of its ports was on this network is not known without its record: all it can name
  for (const veth of veths) await unguardPort(net, containerId, veth, explain, ip);
  if (veths.some((v) => linkExists(v))) return false;
  releaseAddress(network, ip, containerId);
  return true;
}

/** At rm: free the addresses, the published ports and the ports' anti-spoofing rules. The
 * veths went with the netns. afterExit (a --rm run, once its exit status is known): a port of
 * set elements only is not released here but returned as a program for the run's cleaner
 * (antispoof.ts portReleaseAfterExit: its address after its elements and veth are gone). */
export async function disconnectContainer(containerId: string, n: ContainerNetwork | undefined, explain: Explainer, opts: { afterExit?: boolean } = {}): Promise<Buffer | undefined> {
  if (!n?.network || !n.ip) return undefined;
  if (n.ports.length) await removeContainerRules(containerId, explain);
  const later: Buffer[] = [];
  for (const a of attachments(n)) {
    const lease = opts.afterExit ? leasePath(a.network, a.ip) : undefined;
    const program = lease ? await portReleaseAfterExit(findNetwork(a.network), containerId, vethName(containerId, a.ifname), a.ip, lease) : undefined;
    if (program) later.push(program);
    else await releaseInterface(containerId, a, explain);
  }
  return later.length ? Buffer.concat(later) : undefined;
}

/** Every container of the network in every other's /etc/hosts (written in place: the file
 * is bind-mounted, and a new inode would not be seen inside). */
export interface HostsMember {
  dir: string;
  name: string;
  hostname: string;
  /** its aliases on this network */
  aliases?: string[];
}

/** One /etc/hosts line: the address, the name, the hostname if other, the aliases. */
export function hostsLine(ip: string, c: Omit<HostsMember, 'dir'>): string {
  return `${ip}\t${[...new Set([c.name, c.hostname, ...(c.aliases ?? [])])].join(' ')}`;
}

const SECTION = '# minictr network ';

/** A hosts file's text with one network's section replaced (lines) or dropped (undefined);
 * the container's own lines and its other networks' sections are kept, in order. Pure. */
export function withHostsSection(text: string, network: string, lines: string[] | undefined): string {
  const [own, ...sections] = text.split(new RegExp(`^(?=${SECTION})`, 'm'));
  const kept = sections.filter((s) => s.split('\n')[0] !== `${SECTION}${network}`).map((s) => s.trimEnd());
  if (lines) kept.push(`${SECTION}${network}${lines.length ? '\n' : ''}${lines.join('\n')}`);
  return `${[own!.trimEnd(), ...kept].join('\n')}\n`;
}

export function refreshHosts(network: string, lookup: (id: string, network: string) => HostsMember | undefined): void {
  const members = [...addressesInUse(network).entries()]
    .map(([ip, id]) => ({ ip, c: lookup(id, network) }))
    .filter((m): m is { ip: string; c: HostsMember } => m.c !== undefined);
  for (const { c } of members) {
    const file = join(c.dir, 'hosts');
    if (!existsSync(file)) continue;
    const lines = members.filter((m) => m.c.dir !== c.dir).map((m) => hostsLine(m.ip, m.c));
    writeFileSync(file, withHostsSection(readFileSync(file, 'utf8'), network, lines));
  }
}

/** A container that left the network forgets its members (its other sections stay). */
export function dropHostsSection(dir: string, network: string): void {
  const file = join(dir, 'hosts');
  if (existsSync(file)) writeFileSync(file, withHostsSection(readFileSync(file, 'utf8'), network, undefined));
}
