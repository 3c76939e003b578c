/**
 * The host side of a container network: a Linux bridge, or an Open vSwitch bridge, holding
 * the gateway address. Open vSwitch needs its kernel datapath; without it (as on many VMs and
 * CI kernels) the bridge uses the userspace datapath (datapath_type=netdev), and then TX
 * checksum offload must be off on every veth port, or TCP segments leave with bad checksums.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { Action } from '../host/actions.js';
import { linkUp, linuxBridge, ovsBridge } from '../host/links.js';
import { ensureOvsRunning, hasKernelDatapath } from '../host/ovs.js';
import { runSteps } from '../host/runner.js';
import type { Explainer } from '../../util/explain.js';
import { hostCommand } from '../../util/host-command.js';
import type { NetworkConfig } from './store.js';

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** The userspace datapath when the kernel has no OVS module (see network/host/ovs.ts). */
export async function ovsDatapathType(): Promise<'system' | 'netdev'> {
  return (await hasKernelDatapath()) ? 'system' : 'netdev';
}

export async function ensureBridge(net: NetworkConfig, explain: Explainer): Promise<void> {
  if (!linkExists(net.bridge)) {
    const actions: Action[] = [];
    if (net.driver === 'ovs') {
      await ensureOvsRunning(explain);
      const dp = await ovsDatapathType();
      if (dp === 'netdev') explain.note('no openvswitch kernel module: using the userspace datapath (datapath_type=netdev)');
      actions.push(ovsBridge(net.bridge, dp, { mayExist: true, what: `create the Open vSwitch bridge ${net.bridge}` }));
    } else {
      actions.push(linuxBridge(net.bridge, `create the host bridge ${net.bridge}`));
    }
    const [, prefix] = net.subnet.split('/');
    actions.push(
      { kind: 'ip', what: `give the bridge the gateway address ${net.gateway}`, args: ['addr', 'replace', `${net.gateway}/${prefix}`, 'dev', net.bridge] },
      linkUp(net.bridge, undefined, `bridge ${net.bridge} up`),
    );
    await runSteps([{ title: `network ${net.name}`, actions }], { out: { explain, heading() {}, result() {} } }).catch(async (err) => {
      // two runs racing to create the bridge: the loser finds it made
      if (!linkExists(net.bridge)) throw err;
    });
  }
  // published ports are reachable on 127.0.0.1 only if the bridge may route loopback sources;
  // the firewall's localnet guard keeps containers from the host's 127.0.0.0/8 (firewall.ts)
  writeSysctl(`/proc/sys/net/ipv4/conf/${net.bridge}/route_localnet`, '1', explain);
  writeSysctl('/proc/sys/net/ipv4/ip_forward', '1', explain);
}

function writeSysctl(path: string, value: string, explain: Explainer): void {
  explain.step(`sysctl ${path.slice('/proc/sys/'.length).replace(/\//g, '.')}=${value}`, `echo ${value} > ${path}`);
  writeFileSync(path, value);
}

export async function removeBridge(net: NetworkConfig, explain: Explainer): Promise<void> {
  if (net.driver === 'ovs') await hostCommand('ovs-vsctl', ['--if-exists', 'del-br', net.bridge], { explain, allowFailure: true });
  if (linkExists(net.bridge)) await hostCommand('ip', ['link', 'del', net.bridge], { explain, allowFailure: true });
}
