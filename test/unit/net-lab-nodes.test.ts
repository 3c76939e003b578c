/**
 * Container nodes and the lab tools, as pure code: the host keys image/cmd/env/binds and each
 * refusal (container-node.ts), the `minictr run` each node becomes and the step it is in
 * (containers.ts), tcpdump's argv (capture.ts), exec --all's host list and prefixes
 * (exec-many.ts), what net save writes (save.ts), and graph --json against its own schema
 * (docs/net-graph.schema.json). Nothing is executed.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { equivalent } from '../../src/network/host/actions.js';
import { planCapture } from '../../src/network/lab/capture.js';
import { parseHostList, prefixed } from '../../src/network/lab/exec-many.js';
import { fromTopology } from '../../src/network/lab/graph/from-topology.js';
import { renderJson } from '../../src/network/lab/graph/json.js';
import { containerStep, runArgv } from '../../src/network/lab/topology/containers.js';
import { planUp } from '../../src/network/lab/topology/plan.js';
import { routesOf, savedDocument, type HostNow } from '../../src/network/lab/topology/save.js';
import { parseTopology, validateTopology, type Topology } from '../../src/network/lab/topology/schema.js';
import { MINICTR_BIN } from '../../src/util/self.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/net-graph.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

const lab = (hosts: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'lab1',
  hosts,
  switches: { sw1: {} },
  links: Object.keys(hosts).map((h) => ({ endpoints: [`${h}:eth0`, 'sw1'] })),
  ...extra,
});

const node = { image: 'busybox', cmd: 'sleep 3600', env: { GREETING: 'hi there', EMPTY: '' }, binds: ['/srv/data:/data:ro', 'rel/dir:/rel'], addresses: { eth0: '10.0.0.2/24' } };

function refusal(doc: unknown): string {
  try {
    validateTopology(doc, '/labs/lab.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('validateTopology accepted it');
}

describe('container nodes in a topology file', () => {
  it('reads image, cmd, env and binds; a relative bind is the lab file\'s', () => {
    const topo = validateTopology(lab({ h1: { addresses: { eth0: '10.0.0.1/24' } }, c1: node }), '/labs/lab.yaml');
    expect(topo.hosts[0]!.container).toBeUndefined();
    expect(topo.hosts[1]!.container).toEqual({
      image: 'busybox',
      name: 'lab1-c1',
      cmd: ['sleep', '3600'],
      env: ['GREETING=hi there', 'EMPTY='],
      binds: ['/srv/data:/data:ro', '/labs/rel/dir:/rel'],
    });
    // a list is the argv as it is; env as KEY=VALUE strings too
    const listed = validateTopology(lab({ c1: { image: 'alpine:3.20', cmd: ['sh', '-c', 'echo a b'], env: ['A=1'] } }), 'lab.yaml');
    expect(listed.hosts[0]!.container).toMatchObject({ image: 'alpine:3.20', cmd: ['sh', '-c', 'echo a b'], env: ['A=1'], binds: [] });
  });

  it('examples/container-nodes.yaml', async () => {
    const text = readFileSync(new URL('../../examples/container-nodes.yaml', import.meta.url), 'utf8');
    const t = await parseTopology(text, 'examples/container-nodes.yaml');
    expect(t.hosts.map((h) => [h.name, h.container?.name])).toEqual([['web', 'container-nodes-web'], ['client', undefined]]);
    expect(t.hosts[0]!.container!.cmd![0]).toBe('sh');
    // what its comment says to run is the container's name
    expect(text).toContain(`minictr exec ${t.hosts[0]!.container!.name} ps`);
  });

  it('a change to a container node changes the lab hash (up rebuilds it)', () => {
    const a = validateTopology(lab({ c1: node }), 'lab.yaml');
    const b = validateTopology(lab({ c1: { ...node, cmd: 'sleep 7200' } }), 'lab.yaml');
    expect(a.hash).not.toBe(b.hash);
  });

  it('refuses each bad field, by its path', () => {
    expect(refusal(lab({ c1: { cmd: 'true' } }))).toBe('/labs/lab.yaml: hosts.c1.cmd: is for a container node: give the host an image too');
    expect(refusal(lab({ c1: { image: 'Bad Image!' } }))).toMatch(/^\/labs\/lab.yaml: hosts.c1.image: "Bad Image!" is not an image reference/);
    expect(refusal(lab({ c1: { image: '--privileged' } }))).toMatch(/hosts.c1.image: "--privileged" is not an image reference/);
    expect(refusal(lab({ c1: { image: 'busybox', cmd: [] } }))).toMatch(/hosts.c1.cmd: is empty/);
    expect(refusal(lab({ c1: { image: 'busybox', env: { 'A-B': '1' } } }))).toMatch(/hosts.c1.env.A-B: is not an environment variable name/);
    expect(refusal(lab({ c1: { image: 'busybox', env: ['NOVALUE'] } }))).toMatch(/hosts.c1.env\[0\]: "NOVALUE" is not KEY=VALUE/);
    expect(refusal(lab({ c1: { image: 'busybox', binds: ['/a'] } }))).toMatch(/hosts.c1.binds\[0\]: "\/a" is not HOST:CONTAINER\[:ro\]/);
    expect(refusal(lab({ c1: { image: 'busybox', binds: ['/a:rel'] } }))).toMatch(/hosts.c1.binds\[0\]: the container path "rel" must be absolute/);
    expect(refusal(lab({ c1: { image: 'busybox', binds: ['/a:/x:rx'] } }))).toMatch(/hosts.c1.binds\[0\]: the mode "rx" must be ro or rw/);
    expect(refusal(lab({ c1: { image: 'busybox', binds: ['/a:/x', '/b:/x/'] } }))).toMatch(/hosts.c1.binds\[1\]: \/x is bound twice/);
    expect(refusal(lab({ c1: { image: 'busybox', tty: true } }))).toMatch(/hosts.c1: unknown key "tty"/);
    // LAB-HOST must be a container name: at most 64 characters
    expect(refusal(lab({ ['h'.repeat(60)]: { image: 'busybox' } }))).toMatch(/hosts\.h{60}: its container's name \(LAB-HOST\): .* is not a valid container name \(longer than 64 characters\)/);
  });
});

describe('container nodes in the plan', () => {
  const topo = validateTopology(lab({ h1: { addresses: { eth0: '10.0.0.1/24' } }, c1: node }), '/labs/lab.yaml');
  const c1 = topo.hosts[1]!;

  it('is one minictr run -d per node, last, journaled and marked', () => {
    const steps = planUp(topo, { ovs: 'absent', etcNetnsExisting: new Set() });
    const last = steps[steps.length - 1]!;
    expect(last.title).toMatch(/container nodes/);
    expect(last.actions).toHaveLength(1);
    const a = last.actions[0]!;
    expect(a.creates).toEqual([{ kind: 'container', name: 'lab1-c1' }]);
    // what is shown is the argv that runs
    expect(equivalent(a)).toBe(
      `${MINICTR_BIN} run -d -i --name lab1-c1 --hostname c1 --label minictr-lab=lab1 --network netns:c1 -v /etc/netns/c1/hosts:/etc/hosts:ro ` +
        "-e 'GREETING=hi there' -e EMPTY= -v /srv/data:/data:ro -v /labs/rel/dir:/rel busybox sleep 3600",
    );
    // the namespace it joins is made first, by the lab, as for any host
    expect(steps[0]!.actions.map(equivalent)).toContain('ip netns add c1');
  });

  it('binds the lab\'s hosts file only when it is the lab\'s and the node binds none of its own', () => {
    expect(runArgv('lab1', c1, new Set(['c1']))).not.toContain('/etc/netns/c1/hosts:/etc/hosts:ro');
    const own = validateTopology(lab({ c1: { image: 'busybox', binds: ['/tmp/h:/etc/hosts'] } }), 'lab.yaml');
    expect(runArgv('lab1', own.hosts[0]!, new Set()).filter((x) => x.includes('/etc/hosts'))).toEqual(['/tmp/h:/etc/hosts']);
  });

  it('a lab without container nodes has an empty step (not shown, not run)', () => {
    const bare = validateTopology(lab({ h1: {} }), 'lab.yaml');
    expect(containerStep(bare, new Set()).actions).toEqual([]);
  });
});

describe('net capture', () => {
  it('is tcpdump in the host\'s namespace; the filter never becomes options', () => {
    expect(planCapture({ target: 'red:eth0', filter: ['icmp'] }).argv).toEqual(['ip', 'netns', 'exec', 'red', 'tcpdump', '-i', 'eth0', '-n', '-l', '--', 'icmp']);
    expect(planCapture({ target: 'red:eth0', write: 'r.pcap', count: '4', filter: ['-r', 'x'] }).argv).toEqual(['ip', 'netns', 'exec', 'red', 'tcpdump', '-i', 'eth0', '-n', '-U', '-w', 'r.pcap', '-c', '4', '--', '-r', 'x']);
    expect(planCapture({ target: 'ovs1-1', filter: [] }).argv).toEqual(['tcpdump', '-i', 'ovs1-1', '-n', '-l']);
  });

  it('refuses a bad target or count in one line', () => {
    expect(() => planCapture({ target: 'red:', filter: [] })).toThrow(/expected HOST:IFACE/);
    expect(() => planCapture({ target: 'a:b:c', filter: [] })).toThrow(/expected HOST:IFACE/);
    expect(() => planCapture({ target: '../x:eth0', filter: [] })).toThrow(UsageError);
    expect(() => planCapture({ target: 'red:averyveryverylongname', filter: [] })).toThrow(/not a valid interface name/);
    expect(() => planCapture({ target: 'red:eth0', count: '0', filter: [] })).toThrow(/-c "0": expected a number of packets/);
    expect(() => planCapture({ target: 'red:eth0', count: '5x', filter: [] })).toThrow(/-c "5x"/);
  });
});

describe('net exec --all', () => {
  it('--hosts is checked, each name once', () => {
    expect(parseHostList('h1,h2,h1')).toEqual(['h1', 'h2']);
    expect(() => parseHostList('h1,,h2')).toThrow(/an empty name/);
    expect(() => parseHostList('h1,../etc')).toThrow(UsageError);
  });

  it('prefixes every line by its host', () => {
    expect(prefixed('h1', 'a\nb\n')).toBe('h1: a\nh1: b\n');
    expect(prefixed('h2', 'no newline')).toBe('h2: no newline\n');
    expect(prefixed('h3', '')).toBe('');
  });
});

describe('net save', () => {
  const topo = validateTopology(lab({ h1: { addresses: { eth0: '10.0.0.1/24' }, sysctls: { 'net.ipv4.ip_forward': '1' } }, c1: node }), '/labs/lab.yaml');

  it('routes: the kernel\'s own left out, a host route given its prefix, by dev before by gateway', () => {
    const skipped: string[] = [];
    const routes = routesOf(
      [
        { dst: 'default', gateway: '10.0.0.254', dev: 'eth0' },
        { dst: '10.0.0.0/24', dev: 'eth0', protocol: 'kernel' },
        { dst: '10.7.0.5', dev: 'eth0' },
        { dst: '10.8.0.0/16', dev: 'wg0' },
      ],
      4,
      new Set(['eth0']),
      skipped,
    );
    expect(routes).toEqual([{ to: '10.7.0.5/32', dev: 'eth0' }, { to: 'default', via: '10.0.0.254', dev: 'eth0' }]);
    expect(skipped).toEqual(['route to 10.8.0.0/16 (dev wg0 is no interface of the lab)']);
  });

  it('writes the file with each host\'s state as it is now, and it is a valid lab file again', () => {
    const raw = lab({ h1: { addresses: { eth0: '10.0.0.1/24' }, sysctls: { 'net.ipv4.ip_forward': '1' } }, c1: node });
    const now = new Map<string, HostNow>([
      ['h1', { addresses: { eth0: ['10.0.0.1/24', '10.1.0.1/24'] }, routes: [{ to: '10.9.0.0/16', via: '10.1.0.9', dev: 'eth0' }], sysctls: { 'net.ipv4.ip_forward': '0' }, skipped: [] }],
      ['c1', { addresses: {}, routes: [], sysctls: {}, skipped: [] }],
    ]);
    const doc = savedDocument(raw, topo, now);
    const again = validateTopology(doc, '/saved/lab.yaml');
    expect(again.name).toBe('lab1');
    expect(again.hosts[0]).toMatchObject({ interfaces: [{ name: 'eth0', addresses: ['10.0.0.1/24', '10.1.0.1/24'] }], routes: [{ to: '10.9.0.0/16', via: '10.1.0.9', dev: 'eth0' }], sysctls: { 'net.ipv4.ip_forward': '0' } });
    // the container node is kept, its relative bind made absolute; an address removed is gone
    expect(again.hosts[1]!.container).toEqual(topo.hosts[1]!.container);
    expect(again.hosts[1]!.interfaces[0]!.addresses).toEqual([]);
  });
});

describe('net graph --json', () => {
  it('a topology file\'s graph validates against docs/net-graph.schema.json', () => {
    const topo: Topology = validateTopology(lab({ h1: { addresses: { eth0: ['10.0.0.1/24', 'fd00::1/64'] } }, c1: node }, { links: [{ endpoints: ['h1:eth0', 'sw1'], delay: '5ms' }, { endpoints: ['c1:eth0', 'sw1'] }] }), 'lab.yaml');
    const doc = JSON.parse(renderJson(fromTopology(topo))) as { nodes: { id: string; container?: unknown }[]; links: { a: { node: string; interface: string }; note?: string }[] };
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.nodes.map((n) => n.id)).toEqual(['h1', 'c1', 'sw1']);
    expect(doc.nodes[1]!.container).toEqual({ name: 'lab1-c1', image: 'busybox' });
    expect(doc.links[0]).toMatchObject({ a: { node: 'h1', interface: 'eth0' }, note: 'delay 5ms' });
  });

  it('a lab across machines: its machines, each node\'s machine and the tunnel are in the document, and it validates', () => {
    const placed = {
      name: 'two',
      machines: { vm1: { address: '192.168.56.11', dev: 'eth1' }, vm2: { address: '192.168.56.12', dev: 'eth1' } },
      hosts: { red: { machine: 'vm1', addresses: { eth0: '10.0.0.1/24' } }, green: { machine: 'vm2', addresses: { eth0: '10.0.0.2/24' } } },
      switches: { s1: { machine: 'vm1' }, s2: { machine: 'vm2' } },
      links: [{ endpoints: ['red:eth0', 's1'] }, { endpoints: ['green:eth0', 's2'] }, { type: 'vxlan', endpoints: ['s1', 's2'], vni: 100 }],
    };
    const doc = JSON.parse(renderJson(fromTopology(validateTopology(placed, 'lab.yaml')))) as { nodes: { id: string; machine?: string }[]; links: { a: { node: string }; b: { node: string }; tunnel?: boolean }[]; machines: unknown };
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.machines).toEqual([{ name: 'vm1', address: '192.168.56.11' }, { name: 'vm2', address: '192.168.56.12' }]);
    expect(doc.nodes.map((n) => [n.id, n.machine])).toEqual([['red', 'vm1'], ['green', 'vm2'], ['s1', 'vm1'], ['s2', 'vm2']]);
    expect(doc.links.filter((l) => l.tunnel).map((l) => [l.a.node, l.b.node])).toEqual([['s1', 's2']]);
  });

  it('the schema can fail: a document off its shape is refused', () => {
    expect(validate({ version: 1, title: 't', nodes: [{ id: 'a', name: 'a', kind: 'router', interfaces: [] }], links: [], machines: [] })).toBe(false);
    expect(validate({ version: 1, title: 't', nodes: [], links: [{ a: { node: 'x' }, b: { node: 'y', label: '' } }], machines: [] })).toBe(false);
    expect(validate({ version: 1, title: 't', nodes: [], links: [], machines: [], extra: 1 })).toBe(false);
    expect(validate({ version: 1, title: 't', nodes: [], links: [], machines: ['vm1'] })).toBe(false);
  });
});
