/**
 * A machine's ends of its tunnels as host commands, in the plan's switch step: on a Linux
 * bridge (and on OVS's userspace datapath, which has no tunnel ports of its own here) the
 * kernel's vxlan or gretap device, made, marked and plugged in like a cable's end; on OVS with
 * the kernel datapath, an OVS port of type vxlan or gre.
 */
import type { Action } from '../../host/actions.js';
import { bridgePort, linkUp } from '../../host/links.js';
import type { Topology } from './schema.js';
import { domainMtus, kernelTunnelArgs, ovsTunnelArgs, tunnelWhat, type LocalTunnel } from './tunnel.js';

/**
 * Made, plugged in and up, all in the switch step: the step after it (links up, addresses)
 * runs at the same time as it, so nothing there may wait for a device made here.
 */
export function tunnelActions(tunnels: readonly LocalTunnel[], kindOf: ReadonlyMap<string, 'ovs' | 'linux'>, ovsKernel: boolean): Action[] {
  const make: Action[] = [];
  for (const t of tunnels) {
    const kind = kindOf.get(t.switch) ?? 'linux';
    if (kind === 'ovs' && ovsKernel) {
      make.push({ kind: 'ovs', what: `${tunnelWhat(t)}: an Open vSwitch ${t.type} port`, args: ovsTunnelArgs(t.switch, t) });
      continue;
    }
    make.push({ kind: 'ip', what: tunnelWhat(t), args: kernelTunnelArgs(t), creates: [{ kind: 'link', name: t.ifname }] });
    make.push(bridgePort(t.switch, kind, t.ifname), linkUp(t.ifname));
  }
  return make;
}

/** The MTU of each switch's layer-2 domain that has a tunnel (switches cabled to switches). */
export function innerMtus(topo: Pick<Topology, 'links'>, tunnels: readonly LocalTunnel[]): Map<string, number> {
  if (!tunnels.length) return new Map();
  const switchLinks = topo.links.filter((l) => l.a.kind === 'switch' && l.b.kind === 'switch').map((l): [string, string] => [l.a.node, l.b.node]);
  return domainMtus(tunnels, switchLinks);
}
