/**
 * The kernel objects both the lab and container networks are made of, as actions (see
 * actions.ts): a veth pair with an end in a namespace, a Linux or Open vSwitch bridge, a port
 * plugged into it, TX checksum offload turned off. A container's attachment to its network is
 * the same veth link a lab host gets (as containerlab's management link is), planned here and
 * run and explained by the same runner.
 */
import type { Action, Created } from './actions.js';

/** One end of a veth pair: its name, and the namespace it is made in (a name or a pid). */
export interface VethEnd {
  ifname: string;
  /** its MAC address, when the caller chooses it (a container's eth0) */
  address?: string;
  /** its MTU, when not the default 1500 (a lab cable into a tunnel's switch) */
  mtu?: number;
  netns?: string | number;
  /** the bridge it is plugged into at creation (`master BR`: the same request makes it) */
  master?: string;
  /** up at creation */
  up?: boolean;
  /** how the explain text names it, e.g. "red:eth0" */
  label?: string;
}

export type SwitchKind = 'linux' | 'ovs';
export type OvsDatapath = 'system' | 'netdev';

const side = (e: VethEnd): string[] => [
  e.ifname,
  ...(e.address ? ['address', e.address] : []),
  ...(e.mtu !== undefined ? ['mtu', String(e.mtu)] : []),
  ...(e.netns !== undefined ? ['netns', String(e.netns)] : []),
  ...(e.master !== undefined ? ['master', e.master] : []),
  ...(e.up ? ['up'] : []),
];
const label = (e: VethEnd): string => e.label ?? e.ifname;

/** `ip link add A [address MAC] [netns X] [master BR] [up] type veth peer name B [...]`: both ends made where they live. */
export function vethPair(a: VethEnd, b: VethEnd, what?: string): Action {
  // host-side ends are what the journal must remember: a namespace's own go with it
  const creates: Created[] = [a, b].filter((e) => e.netns === undefined).map((e) => ({ kind: 'link', name: e.ifname }));
  return {
    kind: 'ip',
    what: what ?? `veth pair ${label(a)} <-> ${label(b)}${a.netns !== undefined ? ', created directly in its namespace' : ''}`,
    args: ['link', 'add', ...side(a), 'type', 'veth', 'peer', 'name', ...side(b)],
    creates,
  };
}

export function linuxBridge(name: string, what = `Linux bridge ${name}`): Action {
  return { kind: 'ip', what, args: ['link', 'add', name, 'type', 'bridge'], creates: [{ kind: 'link', name }] };
}

/**
 * An OVS bridge on the kernel datapath (system) or, without the module, the userspace one.
 * externalIds are set in the same transaction, so the bridge never exists without them.
 */
export function ovsBridge(name: string, datapath: OvsDatapath, opts: { mayExist?: boolean; what?: string; externalIds?: Record<string, string> } = {}): Action {
  const ids = Object.entries(opts.externalIds ?? {}).map(([k, v]) => `external_ids:${k}=${v}`);
  return {
    kind: 'ovs',
    what: opts.what ?? `Open vSwitch bridge ${name}${datapath === 'netdev' ? ' (userspace datapath)' : ''}`,
    args: [...(opts.mayExist ? ['--may-exist'] : []), 'add-br', name, '--', 'set', 'bridge', name, `datapath_type=${datapath}`, ...ids],
    creates: [{ kind: 'ovs-bridge', name }],
  };
}

/** `ip link set IF alias TEXT`: a link's description (ip -d link shows it, /sys/class/net/IF/ifalias holds it). */
export function linkAlias(ifname: string, text: string, ns?: string, what = `${ifname}: alias ${text}`): Action {
  return { kind: 'ip', ns, what, args: ['link', 'set', ifname, 'alias', text] };
}

/** Plug a link into a bridge: `ip link set PORT master BR`, or `ovs-vsctl add-port BR PORT`. */
export function bridgePort(bridge: string, kind: SwitchKind, port: string, opts: { mayExist?: boolean; what?: string } = {}): Action {
  const what = opts.what ?? `plug ${port} into ${bridge}`;
  if (kind === 'ovs') return { kind: 'ovs', what, args: [...(opts.mayExist ? ['--may-exist'] : []), 'add-port', bridge, port] };
  return { kind: 'ip', what, args: ['link', 'set', port, 'master', bridge] };
}

/** The OVS userspace datapath never fills in checksums a veth left to "hardware": without
 * this, ping works but every TCP segment is dropped by the receiver. ns: a named namespace;
 * netnsPath: an unnamed one (a container's /proc/PID/ns/net), entered with nsenter. */
export function txChecksumOff(ifname: string, ns?: string, what = `TX checksum offload off on ${ifname}`, netnsPath?: string): Action {
  const ethtool = ['ethtool', '-K', ifname, 'tx', 'off'];
  return { kind: 'exec', ns, what, argv: netnsPath ? ['nsenter', `--net=${netnsPath}`, ...ethtool] : ethtool };
}

export function linkUp(ifname: string, ns?: string, what = `${ifname} up`): Action {
  return { kind: 'ip', ns, what, args: ['link', 'set', ifname, 'up'] };
}
