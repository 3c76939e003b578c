/**
 * One host step of building or tearing down a lab, as data. Plans are lists of actions; the
 * runner executes them (batched) and the same object renders its shell equivalent for explain
 * output, so what is shown is what is done.
 */
import { shellLine } from '../../util/shell.js';

/** A kernel or OVS object a step creates; recorded in the lab's journal before it is made. */
export interface Created {
  kind: 'netns' | 'link' | 'ovs-bridge' | 'etc-netns' | 'container';
  name: string;
}

interface Base {
  /** What this step does, in words (shown above its command). */
  what: string;
  creates?: Created[];
}

/** `ip [-n NS] ARGS`: batched into one `ip [-n NS] -batch -` per namespace. */
export interface IpAction extends Base {
  kind: 'ip';
  ns?: string;
  args: string[];
}

/** `tc [-n NS] ARGS`: batched like ip. */
export interface TcAction extends Base {
  kind: 'tc';
  ns?: string;
  args: string[];
}

/** `ovs-vsctl ARGS`: consecutive ones run as one ovs-vsctl transaction joined by `--`. */
export interface OvsAction extends Base {
  kind: 'ovs';
  args: string[];
}

/** Any other tool (ethtool, sysctl); inside NS through `ip netns exec`. */
export interface ExecAction extends Base {
  kind: 'exec';
  ns?: string;
  argv: string[];
}

/** `nft ARGS`: one nftables command of the host's (a container port's set element). */
export interface NftAction extends Base {
  kind: 'nft';
  /** the host's namespace only (a key for byNamespace) */
  ns?: undefined;
  args: string[];
}

/** Write a small file (e.g. /etc/netns/NAME/hosts), creating its directory. */
export interface FileAction extends Base {
  kind: 'file';
  path: string;
  content: string;
}

export type Action = IpAction | TcAction | OvsAction | ExecAction | NftAction | FileAction;

export function equivalent(a: Action): string {
  switch (a.kind) {
    case 'ip':
      return shellLine(['ip', ...(a.ns ? ['-n', a.ns] : []), ...a.args]);
    case 'tc':
      return shellLine(['tc', ...(a.ns ? ['-n', a.ns] : []), ...a.args]);
    case 'ovs':
      return shellLine(['ovs-vsctl', ...a.args]);
    case 'exec':
      return shellLine([...(a.ns ? ['ip', 'netns', 'exec', a.ns] : []), ...a.argv]);
    case 'nft':
      return shellLine(['nft', ...a.args]);
    case 'file': {
      const dir = a.path.slice(0, a.path.lastIndexOf('/'));
      const lines = a.content.replace(/\n$/, '').split('\n');
      return `mkdir -p ${shellLine([dir])} && ${shellLine(['printf', '%s\\n', ...lines])} > ${shellLine([a.path])}`;
    }
  }
}

/** A titled group of actions; `--step` pauses between steps. */
export interface Step {
  title: string;
  actions: Action[];
  /**
   * Needs nothing from the step before it, so (outside class mode) both run at once: e.g.
   * plugging ports into OVS and addressing the namespaces' ends of the same cables.
   */
  concurrent?: boolean;
}

/** Actions grouped by the namespace they run in ('' for the host's), each group in order, the
 * namespaces in order of first appearance: the ip batches and the addon's children alike. */
export function byNamespace<A extends { ns?: string }>(actions: readonly A[]): Map<string, A[]> {
  const map = new Map<string, A[]>();
  for (const a of actions) {
    const key = a.ns ?? '';
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(a);
  }
  return map;
}
