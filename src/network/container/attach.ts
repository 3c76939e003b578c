/**
 * A container on a bridge network: its address is taken when it is created, and at every
 * start, after the C child has made the network namespace but before it runs anything, the
 * host side is wired: a veth pair is created with one end (eth0, with the MAC its address
 * gives it) directly inside the container's namespace, the other end on the bridge, where
 * anti-spoofing rules let only that MAC and address send (antispoof.ts); then eth0 gets its
 * address and default route, published ports get their DNAT rules, and the network's
 * containers learn each other's names (/etc/hosts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLock } from '../../util/lock.js';
import { paths } from '../../paths.js';
import type { Explainer } from '../../util/explain.js';
import type { Action } from '../host/actions.js';
import { bridgePort, linkUp, txChecksumOff, vethPair } from '../host/links.js';
import type { NetOutput } from '../host/output.js';
import { runSteps } from '../host/runner.js';
import { containerMac, guardPort, removeNetworkGuard, unguardPort } from './antispoof.js';
import { ensureBridge, linkExists, ovsDatapathType, removeBridge } from './bridge.js';
import { selectFirewall, type PortMapping } from './firewall.js';
import { addressesInUse, allocateAddress, releaseAddress } from './ipam.js';
import { bridgeNameFor, DEFAULT_NETWORK, defineNetwork, deleteNetworkRecord, findNetwork, listNetworks, type NetworkConfig, type SwitchDriver } from './store.js';
import { BrokenRecordError, ConflictError, NotFoundError } from '../../errors.js';
import { isValidName } from '../../names.js';
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
    const fw = await selectFirewall(explain);
    await fw.removeNetwork(net);
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
  if (linkExists(net.bridge) && existsSync(marker)) return;
  await withLock(NETWORK_LOCK(), async () => {
    if (linkExists(net.bridge) && existsSync(marker)) return;
    await ensureBridge(net, explain);
    const fw = await selectFirewall(explain);
    await fw.ensureNetwork(net, listNetworks());
    mkdirSync(join(paths.net(), 'ready'), { recursive: true });
    writeFileSync(marker, fw.backend);
  });
}

export function vethName(containerId: string): string {
  return `veth${containerId.slice(0, 11)}`;
}

/** The same cable a lab host gets: eth0 made directly in the container's namespace (by its
 * pid, while the child waits) with the MAC the anti-spoofing rules allow, the host end
 * plugged into the network's bridge. */
export function containerLink(pid: number, veth: string, net: NetworkConfig, datapath: 'system' | 'netdev', mac: string): Action[] {
  const pair = vethPair({ ifname: 'eth0', address: mac, netns: pid, label: `eth0 (in the container, pid ${pid})` }, { ifname: veth }, `veth pair: eth0 (${mac}) created directly in the container's network namespace, ${veth} on ${net.bridge}`);
  if (net.driver === 'linux') return [pair, bridgePort(net.bridge, 'linux', veth), linkUp(veth)];
  const offload = datapath === 'netdev'
    ? [txChecksumOff(veth, undefined, `userspace datapath: no TX checksum offload on ${veth}`), txChecksumOff('eth0', undefined, 'and none on the container\'s eth0', `/proc/${pid}/ns/net`)]
    : [];
  return [pair, linkUp(veth), bridgePort(net.bridge, 'ovs', veth, { mayExist: true }), ...offload];
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
  const net = await getNetwork(n.network);
  await ensureNetworkReady(net, explain);
  const veth = vethName(containerId);
  const mac = containerMac(n.ip);
  await runSteps([{ title: `attach the container to ${net.name}`, actions: containerLink(pid, veth, net, await ovsDatapathType(), mac) }], { out: explainOutput(explain) });
  await guardPort(net, { ctrId: containerId, veth, mac, ip: n.ip }, explain);
  if (n.ports.length) {
    const fw = await selectFirewall(explain);
    await fw.removeContainer(containerId);
    await fw.publish(containerId, net, n.ip, n.ports);
  }
}

/** At rm: free the address, the published ports and the port's anti-spoofing rules. The
 * veth went with the netns. */
export async function disconnectContainer(containerId: string, n: ContainerNetwork | undefined, explain: Explainer): Promise<void> {
  if (!n?.network || !n.ip) return;
  if (n.ports.length) await (await selectFirewall(explain)).removeContainer(containerId);
  await unguardPort(findNetwork(n.network), containerId, vethName(containerId), explain);
  releaseAddress(n.network, n.ip, containerId);
}

/** Every container of the network in every other's /etc/hosts (written in place: the file
 * is bind-mounted, and a new inode would not be seen inside). */
export interface HostsMember {
  dir: string;
  name: string;
  hostname: string;
  aliases?: string[];
}

/** One /etc/hosts line: the address, the name, the hostname if other, the aliases. */
export function hostsLine(ip: string, c: Omit<HostsMember, 'dir'>): string {
  return `${ip}\t${[...new Set([c.name, c.hostname, ...(c.aliases ?? [])])].join(' ')}`;
}

export function refreshHosts(network: string, lookup: (id: string) => HostsMember | undefined): void {
  const members = [...addressesInUse(network).entries()]
    .map(([ip, id]) => ({ ip, c: lookup(id) }))
    .filter((m): m is { ip: string; c: HostsMember } => m.c !== undefined);
  for (const { c } of members) {
    const file = join(c.dir, 'hosts');
    if (!existsSync(file)) continue;
    const own = readFileSync(file, 'utf8').split('# minictr network')[0]!.trimEnd();
    const lines = members.filter((m) => m.c.dir !== c.dir).map((m) => hostsLine(m.ip, m.c));
    writeFileSync(file, `${own}\n# minictr network ${network}\n${lines.join('\n')}${lines.length ? '\n' : ''}`);
  }
}
