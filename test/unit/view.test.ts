/**
 * The live view's pure parts: who may read it (guard.ts), what a minictr-netwatch line names,
 * what appeared or went, and how each object says it was made (describe.ts).
 */
import { describe, expect, it } from 'vitest';
import { allowedHosts, checkListen, checkRequest, cookieToken } from '../../src/view/guard.js';
import { netnsPath, parseNetwatchLine } from '../../src/view/watch.js';
import { diffIds, edgeId, placeGraph } from '../../src/view/model.js';
import { describeAll, describePlanned, usageDetails, type ContainerFacts, type LabFacts } from '../../src/view/describe.js';
import { parsePort } from '../../src/view/run.js';
import { interfaceLines } from '../../src/view/snapshot.js';
import type { Graph } from '../../src/network/lab/graph/model.js';

describe('view guard', () => {
  const hosts = allowedHosts('127.0.0.1', 8017);

  it('answers GET and HEAD only', () => {
    for (const method of ['GET', 'HEAD']) expect(checkRequest({ method, host: '127.0.0.1:8017', token: undefined }, hosts, undefined)).toBeUndefined();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']) {
      expect(checkRequest({ method, host: '127.0.0.1:8017', token: undefined }, hosts, undefined)?.status).toBe(405);
    }
  });

  it('answers only to the Host it listens as (DNS rebinding)', () => {
    expect([...hosts].sort()).toEqual(['127.0.0.1:8017', '[::1]:8017', 'localhost:8017']);
    for (const host of ['evil.example:8017', '127.0.0.1:80', '127.0.0.1', undefined, '']) {
      expect(checkRequest({ method: 'GET', host, token: undefined }, hosts, undefined)?.status, String(host)).toBe(403);
    }
    expect(checkRequest({ method: 'GET', host: 'LOCALHOST:8017', token: undefined }, hosts, undefined)).toBeUndefined();
    expect([...allowedHosts('10.0.0.5', 80)]).toEqual(['10.0.0.5:80']);
    expect([...allowedHosts('fd00::5', 80)]).toEqual(['[fd00::5]:80']);
  });

  it('with a token, refuses a request without it or with another', () => {
    const h = allowedHosts('10.0.0.5', 8017);
    const t = 'abcdefghijklmnop0123';
    expect(checkRequest({ method: 'GET', host: '10.0.0.5:8017', token: undefined }, h, t)?.status).toBe(403);
    expect(checkRequest({ method: 'GET', host: '10.0.0.5:8017', token: 'abcdefghijklmnop0124' }, h, t)?.status).toBe(403);
    expect(checkRequest({ method: 'GET', host: '10.0.0.5:8017', token: 'short' }, h, t)?.status).toBe(403);
    expect(checkRequest({ method: 'GET', host: '10.0.0.5:8017', token: t }, h, t)).toBeUndefined();
    expect(cookieToken(`a=b; minictr_view_token=${t}`)).toBe(t);
    expect(cookieToken('a=b')).toBeUndefined();
  });

  it('--listen: an IP address; off loopback only with a token of sane characters', () => {
    expect(() => checkListen('127.0.0.1', undefined)).not.toThrow();
    expect(() => checkListen('::1', undefined)).not.toThrow();
    expect(() => checkListen('0.0.0.0', undefined)).toThrow(/reachable from other machines: give --token/);
    expect(() => checkListen('10.0.0.5', undefined)).toThrow(/--token/);
    expect(() => checkListen('example.com', 'abcdefghijklmnop0123')).toThrow(/not an IP address/);
    expect(() => checkListen('0.0.0.0', 'short')).toThrow(/16 to 256 characters/);
    expect(() => checkListen('0.0.0.0', 'abcdefghijklmnop"<x>')).toThrow(/16 to 256 characters/);
    expect(() => checkListen('0.0.0.0', 'abcdefghijklmnop0123')).not.toThrow();
  });

  it('--port: 0 to 65535', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('8017')).toBe(8017);
    for (const bad of ['65536', '-1', 'http', '80x', '']) expect(() => parsePort(bad), bad).toThrow(/not a port number/);
  });
});

describe('view changes', () => {
  it('reads which namespace a minictr-netwatch line is from', () => {
    expect(parseNetwatchLine('host')).toEqual({ change: { space: '' } });
    expect(parseNetwatchLine('nsid 12')).toEqual({ change: { nsid: 12 } });
    expect(parseNetwatchLine('ns /run/netns/vwX-1')).toEqual({ change: { space: 'vwX-1' } });
    expect(parseNetwatchLine('ns /proc/4242/ns/net')).toEqual({ change: { pid: 4242 } });
    expect(parseNetwatchLine('ready')).toEqual({ ready: true });
    expect(parseNetwatchLine('error /run/netns/gone 2')).toEqual({ failed: '/run/netns/gone' });
    // nothing else names a namespace: not a path below /run/netns, not another file of /proc
    for (const bad of ['ns /run/netns/a/b', 'ns /proc/1/ns/mnt', 'ns /etc/passwd', 'nsid x', 'nsid -1', 'Deleted 64: vwtA', '']) expect(parseNetwatchLine(bad), bad).toBeUndefined();
  });

  it('names the path minictr-netwatch opens the way its lines name it back', () => {
    for (const of of [{ space: 'red' }, { pid: 77 }] as const) expect(parseNetwatchLine(`ns ${netnsPath(of)}`)).toEqual({ change: of });
  });

  it("lists a container namespace's interfaces from ip -j addr show", () => {
    const json = JSON.stringify([
      { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }, { family: 'inet6', local: '::1', prefixlen: 128 }] },
      { ifindex: 2, ifname: 'a0', flags: ['BROADCAST', 'MULTICAST'], addr_info: [{ family: 'inet', local: '10.0.0.1', prefixlen: 24 }] },
      { ifindex: 3, ifname: 'b0', flags: ['UP'] },
    ]);
    expect(interfaceLines(json)).toEqual(['lo 127.0.0.1/8 ::1/128', 'a0 10.0.0.1/24 (down)', 'b0']);
    for (const bad of ['', 'not json', '{}', '[{"ifname": 3}]']) expect(interfaceLines(bad), bad).toEqual([]);
  });

  it('marks what appeared and what went, nothing on the first snapshot', () => {
    expect(diffIds(undefined, new Set(['a']))).toEqual({ appeared: [], gone: [] });
    expect(diffIds(new Set(['a', 'b']), new Set(['b', 'c']))).toEqual({ appeared: ['c'], gone: ['a'] });
  });

  it('a cable keeps its id whichever end is read first, and addresses do not change it', () => {
    const a = edgeId({ from: 'ns:x', to: 'br:/s', fromLabel: 'eth0 10.0.0.1/24', toLabel: 'p1' });
    expect(edgeId({ from: 'br:/s', to: 'ns:x', fromLabel: 'p1', toLabel: 'eth0' })).toBe(a);
  });
});

describe('view objects', () => {
  const graph: Graph = {
    title: 'live',
    nodes: [
      { id: 'ns:h1', label: 'h1', kind: 'netns', details: ['eth0 10.0.0.1/24'] },
      { id: 'ns:mine', label: 'mine', kind: 'netns', details: [] },
      { id: 'br:/s1', label: 's1', kind: 'bridge', details: [] },
      { id: 'br:/mtb0', label: 'mtb0', kind: 'bridge', details: [] },
      { id: 'ctr:web', label: 'container web', kind: 'netns', details: [] },
    ],
    edges: [
      { from: 'ns:h1', to: 'br:/s1', fromLabel: 'eth0 10.0.0.1/24', toLabel: 's1-h1' },
      { from: 'br:/mtb0', to: 'ctr:web', fromLabel: 'veth0123456789a', toLabel: 'eth0 10.88.0.2' },
    ],
  };
  const labs: LabFacts[] = [
    { lab: 'l1', file: 'l1.yaml', state: 'up', objects: [{ kind: 'netns', name: 'h1', present: true }, { kind: 'link', name: 's1', present: true }, { kind: 'link', name: 's1-h1', present: true }] },
  ];
  const web: ContainerFacts = {
    name: 'web', id: 'c0ffee', image: 'busybox', command: ['sleep', '60'], status: 'running', network: 'bridge', ip: '10.88.0.2', pid: 4242,
    namespaces: [{ kind: 'net', link: 'net:[4026532001]', host: false }, { kind: 'uts', link: 'uts:[4026531838]', host: true }],
    cgroupDir: '/sys/fs/cgroup/unified/minictr/c0ffee', cgroupV2: true, limits: ['memory 64MiB'],
  };
  const objects = describeAll(graph, labs, [web], [{ name: 'bridge', bridge: 'mtb0', subnet: '10.88.0.0/16' }]);
  const byId = new Map(objects.map((o) => [o.id, o]));

  it('says what made each object, from the records that name it', () => {
    expect(byId.get('ns:h1')!.how).toBe("made by minictr net up l1.yaml: lab l1's journal records namespace h1");
    expect(byId.get('ns:h1')!.inspect).toContain('ip -n h1 route');
    expect(byId.get('ns:mine')!.how).toMatch(/^made outside minictr/);
    expect(byId.get('br:/s1')!.how).toContain("lab l1's journal records link s1");
    expect(byId.get('br:/mtb0')!.how).toContain("network bridge's record names this bridge");
    expect(byId.get(edgeId(graph.edges[0]!))!.how).toContain('minictr net up l1.yaml');
    expect(byId.get(edgeId(graph.edges[1]!))!.how).toContain("container web's veth pair");
    expect(byId.get('ctr:web')!.inspect).toEqual(['nsenter -t 4242 -n ip addr', 'nsenter -t 4242 -n ip route']);
    expect(byId.get('lab:l1')!.inspect).toEqual(['minictr net status l1']);
  });

  it('a container: its namespaces (own or the host\'s), limits, usage, processes, and the commands that show them', () => {
    const c = byId.get('container:c0ffee')!;
    expect(c.details).toEqual(expect.arrayContaining(['pid 4242 on the host', 'net:[4026532001] (its own)', "uts:[4026531838] (the host's: shared)", 'limit memory 64MiB']));
    expect(usageDetails({ usage: ['memory 1.2MiB'], pids: [4242, 4250] })).toEqual(['uses memory 1.2MiB', 'processes 4242 4250']);
    expect(usageDetails({ usage: [], pids: Array.from({ length: 25 }, (_, i) => i + 1) }).at(-1)).toMatch(/^processes 1 2 .* 20 \(\+5\)$/);
    expect(c.inspect).toEqual(['ls -l /proc/4242/ns', 'cat /proc/4242/cgroup', 'cat /sys/fs/cgroup/unified/minictr/c0ffee/memory.max', 'minictr inspect web', 'minictr top web']);
  });

  it('a topology file not up: every object says the command that would make it', () => {
    const planned = describePlanned(graph, 'lab.yaml');
    expect(planned.every((o) => o.how.startsWith('planned in lab.yaml: minictr net up lab.yaml makes it'))).toBe(true);
  });

  it('places every box where layout.ts puts it', () => {
    const p = placeGraph(graph);
    expect(p.nodes.map((n) => n.id).sort()).toEqual(graph.nodes.map((n) => n.id).sort());
    expect(p.nodes.every((n) => n.w >= 120 && n.h > 0)).toBe(true);
    expect(p.edges.map((e) => e.id)).toEqual(graph.edges.map(edgeId));
  });
});
