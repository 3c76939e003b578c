/**
 * What only the machine itself can say about its tunnels, asked before the first step of `up`:
 * the underlay device exists, the local address is this machine's (the right --machine), the
 * remote is reachable and not this machine, the underlay's MTU carries the tunnel's MTU plus
 * its headers, and the kernel has the tunnel type. Each refusal names the field of the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { MinictrError, UsageError } from '../../../errors.js';
import { runTool } from '../../../util/tool.js';
import { overhead, type LocalTunnel } from './tunnel.js';

interface RouteJson {
  type?: string;
  dev?: string;
}

interface AddrJson {
  ifname: string;
  addr_info?: { local?: string }[];
}

function mtuOf(dev: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${dev}/mtu`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether `ip link add ... type KIND` can work: the module is there or loads (vxlan, ip_gre). */
async function kernelHas(kind: 'vxlan' | 'gretap' | 'ip6gretap'): Promise<boolean> {
  const mod = kind === 'vxlan' ? 'vxlan' : kind === 'gretap' ? 'ip_gre' : 'ip6_gre';
  if (existsSync(`/sys/module/${mod}`)) return true;
  await runTool('modprobe', ['-q', mod], { allowFailure: true }).catch(() => undefined);
  return existsSync(`/sys/module/${mod}`);
}

export async function checkTunnelsHere(tunnels: readonly LocalTunnel[], file: string, ovsKernelPorts: ReadonlySet<string>): Promise<void> {
  if (!tunnels.length) return;
  const fail = (field: string, msg: string): never => {
    throw new UsageError(`${file}: ${field}: ${msg}; nothing was created`);
  };
  const addrs = JSON.parse((await runTool('ip', ['-j', 'addr', 'show'])).stdout) as AddrJson[];
  const mine = new Set(addrs.flatMap((l) => (l.addr_info ?? []).map((a) => a.local)));
  for (const t of tunnels) {
    if (t.local && !mine.has(t.local)) fail(t.localField!, `${t.local} is not an address of this machine (is this the machine given to --machine?)`);
    if (t.dev && !existsSync(`/sys/class/net/${t.dev}`)) fail(t.devField!, `no device ${t.dev} on this machine`);
    if (mine.has(t.remote)) fail(t.remoteField, `${t.remote} is an address of this machine itself, not of the tunnel's other end`);
    // no oif: given one, the kernel answers even without a route ("assume it is on link")
    const route = await runTool('ip', ['-j', 'route', 'get', t.remote], { allowFailure: true });
    if (route.exitCode !== 0) fail(t.remoteField, `${t.remote} is unreachable from this machine (ip route get: ${route.stderr.trim().replace(/^RTNETLINK answers: /, '') || 'no route'})`);
    const via = (JSON.parse(route.stdout || '[]') as RouteJson[])[0];
    if (via?.type && via.type !== 'unicast') fail(t.remoteField, `${t.remote} is a ${via.type} address here, not a machine to tunnel to`);
    const dev = t.dev ?? via?.dev;
    const underlay = dev ? mtuOf(dev) : undefined;
    const extra = overhead(t, isIP(t.remote) === 6 ? 6 : 4);
    if (underlay !== undefined && t.mtu + extra > underlay) {
      fail(`links[${t.index}].mtu`, `${t.mtu} inside plus ${extra} bytes of ${t.type} headers is more than the ${underlay} of ${dev}, the underlay: at most ${underlay - extra}`);
    }
    const kind = t.type === 'vxlan' ? 'vxlan' : isIP(t.remote) === 6 ? 'ip6gretap' : 'gretap';
    if (!ovsKernelPorts.has(t.switch) && !(await kernelHas(kind))) {
      throw new MinictrError(`${file}: links[${t.index}]: this kernel has no ${kind} devices (${kind === 'vxlan' ? 'CONFIG_VXLAN' : 'CONFIG_NET_IPGRE'}), so the ${t.type} tunnel cannot be made here; nothing was created`);
    }
  }
}
