/**
 * What the addon does in a lab's namespaces instead of `ip -n NS -batch -`
 * (src/network/host/netns-ops.ts): which plan actions it takes, the program it is handed, and
 * how namespaces are shared between its children. The kernel side is covered by the lab tests
 * (test/net-topology.test.ts: addresses, routes, sysctls and their refusals).
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/network/host/actions.js';
import { chunks, encodeProgram, netnsOps } from '../../src/network/host/netns-ops.js';
import { planUp } from '../../src/network/lab/topology/plan.js';
import { parseTopology } from '../../src/network/lab/topology/schema.js';

const ip = (args: string[], ns = 'h1'): Action => ({ kind: 'ip', ns, what: '', args });

describe('netnsOps', () => {
  it('takes the forms a lab plan makes inside a namespace', () => {
    expect(netnsOps(ip(['link', 'set', 'eth0', 'up']))).toEqual([{ op: 'up', dev: 'eth0' }]);
    expect(netnsOps(ip(['link', 'set', 'lo', 'alias', 'minictr-lab:x y']))).toEqual([{ op: 'alias', dev: 'lo', text: 'minictr-lab:x y' }]);
    expect(netnsOps(ip(['addr', 'add', 'fd00::1/64', 'dev', 'eth0']))).toEqual([{ op: 'addr', dev: 'eth0', cidr: 'fd00::1/64' }]);
    expect(netnsOps(ip(['route', 'add', 'default', 'via', '10.0.0.1']))).toEqual([{ op: 'route', to: 'default', via: '10.0.0.1' }]);
    expect(netnsOps(ip(['route', 'add', '10.1.0.0/16', 'dev', 'eth1', 'via', '10.0.0.1']))).toEqual([{ op: 'route', to: '10.1.0.0/16', dev: 'eth1', via: '10.0.0.1' }]);
    expect(netnsOps({ kind: 'exec', ns: 'h1', what: '', argv: ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'] })).toEqual([
      { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
      { op: 'sysctl', key: 'net.ipv6.conf.all.forwarding', value: '1' },
    ]);
  });

  it('leaves everything else to ip and the tools', () => {
    for (const a of [
      { kind: 'ip', what: '', args: ['link', 'set', 'eth0', 'up'] } as Action, // the host's own: one ip -batch
      ip(['link', 'add', 'x', 'type', 'veth', 'peer', 'name', 'y']),
      ip(['link', 'set', 'eth0', 'down']),
      ip(['link', 'set', 'eth0', 'up', 'mtu', '1400']),
      ip(['addr', 'add', '10.0.0.1/24', 'dev', 'eth0', 'brd', '+']),
      ip(['route', 'add', '10.1.0.0/16', 'via', '10.0.0.1', 'metric', '5']),
      ip(['route', 'add', '10.1.0.0/16', 'via', '10.0.0.0/24']),
      ip(['route', 'add', '10.1.0.0/16', 'via']),
      ip(['link', 'set', 'eth0', 'alias', 'a\0b']),
      ip(['link', 'set', 'eth0/../x', 'up']),
      ip(['link', 'set', 'eth0', 'up'], '../etc'),
      { kind: 'tc', ns: 'h1', what: '', args: ['qdisc', 'add', 'dev', 'eth0', 'root', 'tbf'] } as Action,
      { kind: 'exec', ns: 'h1', what: '', argv: ['ethtool', '-K', 'eth0', 'tx', 'off'] } as Action,
      { kind: 'exec', ns: 'h1', what: '', argv: ['sysctl', '-q', '-w', 'net/ipv4/ip_forward=1'] } as Action,
      { kind: 'exec', ns: 'h1', what: '', argv: ['sysctl', '-w', 'net.ipv4.ip_forward=1'] } as Action,
    ]) {
      expect(netnsOps(a), JSON.stringify(a)).toBeUndefined();
    }
  });

  it('takes every namespace action of a lab of hosts, switches, routes and sysctls, and none of the host ones', async () => {
    const topo = await parseTopology(
      `name: t
hosts:
  a: { addresses: { eth0: [10.0.0.1/24, "fd00::1/64"] }, routes: [{ to: default, via: 10.0.0.254 }], sysctls: { net.ipv4.ip_forward: 1 } }
  b: { addresses: { eth0: 10.0.0.2/24 } }
switches: { s: { type: linux } }
links:
  - endpoints: [a:eth0, s:s-a]
  - endpoints: [b:eth0, s:s-b]
`,
      't.yaml',
    );
    const actions = planUp(topo, { ovs: 'absent', etcNetnsExisting: new Set() }).flatMap((s) => s.actions);
    const inside = actions.filter((a) => (a.kind === 'ip' || a.kind === 'exec') && a.ns);
    expect(inside.length).toBeGreaterThan(8);
    for (const a of inside) expect(netnsOps(a), JSON.stringify(a)).toBeDefined();
    for (const a of actions.filter((x) => !('ns' in x) || !x.ns)) expect(netnsOps(a)).toBeUndefined();
  });
});

describe('encodeProgram', () => {
  it('writes NUL-terminated fields, a netns record before each namespace', () => {
    const buf = encodeProgram([
      { path: '/run/netns/a', ops: [{ op: 'up', dev: 'lo' }, { op: 'route', to: 'default', via: '10.0.0.1' }] },
      { path: '/run/netns/b', ops: [{ op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' }] },
    ]);
    expect(buf.toString('utf8').split('\0')).toEqual(['netns', '/run/netns/a', 'up', 'lo', 'route', 'default', '10.0.0.1', '', 'netns', '/run/netns/b', 'sysctl', 'net.ipv4.ip_forward', '1', '']);
  });
});

describe('chunks', () => {
  it('splits in order into at most n runs of about equal size', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2, 3], [4, 5]]);
    expect(chunks([1], 2)).toEqual([[1]]);
    expect(chunks([], 2)).toEqual([]);
    expect(chunks([1, 2, 3], 1)).toEqual([[1, 2, 3]]);
  });
});
