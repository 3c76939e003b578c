/** -p [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp], checked before anything is created. */
import { UsageError } from '../../errors.js';
import { ipToInt } from './cidr.js';
import type { PortMapping } from './firewall.js';

function port(v: string, spec: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UsageError(`invalid port mapping "${spec}": ${v || '""'} is not a port (1-65535)`);
  return n;
}

export function parsePortMapping(spec: string): PortMapping {
  const [addr, protoRaw, ...extra] = spec.split('/') as [string, string | undefined, ...string[]];
  if (extra.length) throw new UsageError(`invalid port mapping "${spec}": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]`);
  const proto = (protoRaw ?? 'tcp').toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') throw new UsageError(`invalid port mapping "${spec}": protocol must be tcp or udp`);
  const parts = addr.split(':');
  if (parts.length < 2 || parts.length > 3) throw new UsageError(`invalid port mapping "${spec}": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]`);
  const hostIp = parts.length === 3 ? parts[0] : undefined;
  if (hostIp !== undefined && ipToInt(hostIp) === undefined) throw new UsageError(`invalid port mapping "${spec}": ${hostIp || '""'} is not an IPv4 address`);
  return { hostIp, hostPort: port(parts.at(-2)!, spec), containerPort: port(parts.at(-1)!, spec), proto };
}
