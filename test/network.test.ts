/**
 * Container networking, checked from inside containers and from the far end of the
 * connection: bridge traffic (Linux bridge and Open vSwitch), NAT and DNS to an "upstream"
 * namespace, published ports, the other --network modes, concurrency and cleanup.
 * Traffic stays on this host: in namespaces the tests make, and on loopback.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { leftovers, newSince } from './helpers/container.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { debianImage } from './helpers/debian-image.js';

// busybox-static's wget and ping cannot resolve names (glibc's static NSS), so lookups by
// name run in the Debian image: getent for the name, bash's /dev/tcp for a request.
const httpGet = (host: string, port = 80): string[] => [
  'bash', '-c',
  `exec 3<>/dev/tcp/${host}/${port} && printf 'GET / HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' >&3 && timeout 5 cat <&3 | sed '1,/^\\r$/d'`,
];
let debian: string;
beforeAll(async () => {
  debian = await debianImage();
}, 600_000);

// The first two describes run side by side (containers and networks of their own); the rest
// change or compare host-wide state (the FORWARD policy, the host's links, leak snapshots)
// and run one after another, once those containers are removed. Containers are removed
// between the two parts and at the end, not after each test (which would take away a
// test's containers while it runs).
const made: string[] = [];
const networks: string[] = [];
const removeMade = async (): Promise<void> => {
  if (made.length) await minictr(['rm', '-f', ...made.splice(0)]);
};
afterAll(async () => {
  await removeMade();
  for (const n of networks) await minictr(['network', 'rm', '-f', n]);
});

async function runD(args: string[], name = uniq('nt-')): Promise<string> {
  const r = await minictr(['run', '-d', '--name', name, ...args]);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  made.push(name);
  return name;
}

async function ipOf(name: string): Promise<string> {
  const r = await minictr(['exec', name, 'sh', '-c', "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1"]);
  return r.stdout.trim();
}

/** a busybox httpd serving /www/index.html with a marker */
const WEB = ['busybox', 'sh', '-c', 'mkdir -p /www && echo "served by $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

async function userNetwork(driver: 'linux' | 'ovs'): Promise<string> {
  const name = uniq('un-');
  const octet = 100 + Math.floor(Math.random() * 100);
  const r = await minictr(['network', 'create', '--driver', driver, '--subnet', `10.${octet}.${Math.floor(Math.random() * 250)}.0/24`, name]);
  expect(r.stderr).toBe('');
  networks.push(name);
  return name;
}

describe.concurrent('bridge traffic', () => {
  for (const [label, net] of [['default bridge', async () => 'bridge'], ['user network (linux)', () => userNetwork('linux')], ['user network (ovs, userspace datapath)', () => userNetwork('ovs')]] as const) {
    it(`${label}: ping and TCP between containers, by address and by name`, async () => {
      const network = await net();
      const web = await runD(['--network', network, ...WEB]);
      const client = await runD(['--network', network, debian, 'sleep', '60']);
      const webIp = await ipOf(web);
      expect(webIp).toMatch(/^10\.\d+\.\d+\.\d+$/);
      const clientIp = JSON.parse((await minictr(['inspect', client])).stdout)[0].NetworkSettings.IPAddress;
      const ping = await minictr(['exec', web, 'ping', '-c', '2', '-W', '2', clientIp]);
      expect(ping.stdout).toMatch(/2 packets received/);
      // by name (/etc/hosts lists the network's containers), over TCP
      expect((await minictr(['exec', client, 'getent', 'hosts', web])).stdout).toMatch(new RegExp(`^${webIp.replace(/\./g, '\\.')}\\s+${web}`));
      const get = await minictr(['exec', client, ...httpGet(web)]);
      expect(get.stdout.trim()).toBe(`served by ${(await minictr(['exec', web, 'hostname'])).stdout.trim()}`);
    });
  }

  it('networks are isolated from each other', async () => {
    const a = await userNetwork('linux');
    const b = await userNetwork('linux');
    const inA = await runD(['--network', a, 'busybox', 'sleep', '60']);
    const inB = await runD(['--network', b, 'busybox', 'sleep', '60']);
    const r = await minictr(['exec', inA, 'ping', '-c', '1', '-W', '1', await ipOf(inB)]);
    expect(r.stdout).toMatch(/0 packets received/);
  });
});

// Isolation must hold both ways whatever the order the networks were wired in (a network is
// wired when its first container starts), and for UDP too: a one-way drop stops ping and TCP
// (their replies) but lets a datagram through. Each listener also hears a peer on its own
// network, sent after the foreign datagram, so "nothing foreign arrived" is only read once
// traffic demonstrably arrives. One backend after the other (sibling concurrent suites would
// run side by side; the iptables one is not concurrent): iptables-nft rules show in `nft list
// ruleset`, which each test reads whole.
for (const backend of ['nftables', 'iptables'] as const) (backend === 'nftables' ? describe.concurrent : describe)(`isolation between networks (${backend})`, () => {
  const UDP_PORT = 5000;
  // records each datagram, one per line, in /tmp/got
  const LISTENER = ['perl', '-MIO::Socket::INET', '-e', `my $s = IO::Socket::INET->new(LocalPort => ${UDP_PORT}, Proto => 'udp') or die "$!"; open(my $f, '>>', '/tmp/got') or die; $f->autoflush(1); while (defined $s->recv(my $m, 100)) { print $f $m }`];
  const send = (from: string, ip: string, what: string): Promise<unknown> =>
    minictr(['exec', from, 'bash', '-c', `for i in 1 2; do echo ${what} > /dev/udp/${ip}/${UDP_PORT}; sleep 0.2; done`]);
  async function heard(ctr: string, control: string): Promise<string[]> {
    for (let i = 0; i < 50; i++) {
      const got = (await minictr(['exec', ctr, 'sh', '-c', 'cat /tmp/got 2>/dev/null'])).stdout.split('\n').filter(Boolean);
      if (got.includes(control)) return [...new Set(got)].sort();
      await new Promise((r) => setTimeout(r, 100));
    }
    return [];
  }

  const env = { ...process.env, MINICTR_FIREWALL: backend };
  // iptables-nft makes table ip filter for minictr's first rule and leaves it, empty
  let hadFilter = true;
  beforeAll(async () => {
    hadFilter = (await execa('nft', ['list', 'tables'])).stdout.includes('table ip filter');
  });
  afterAll(async () => {
    if (!hadFilter) await execa('nft', ['delete', 'table', 'ip', 'filter'], { reject: false });
  });
  const net = async (): Promise<{ name: string; bridge: string }> => {
    const name = uniq('iso-');
    const r = await minictr(['network', 'create', '--subnet', `10.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}.0/24`, name], { env });
    expect(r.stderr).toBe('');
    return { name, bridge: JSON.parse((await minictr(['network', 'inspect', name])).stdout)[0].bridge as string };
  };
  // each test removes its own containers and networks, with its backend
  const start = async (ctrs: string[], network: string, cmd: string[]): Promise<string> => {
    const name = uniq('iso-');
    ctrs.push(name);
    const r = await minictr(['run', '-d', '--name', name, '--network', network, debian, ...cmd], { env });
    expect(r.stderr).toBe('');
    return name;
  };
  const rules = async (): Promise<string> => (backend === 'nftables' ? (await execa('nft', ['list', 'ruleset'])).stdout : (await execa('iptables-save')).stdout);

  it(`${backend}: UDP from A to B and from B to A is dropped, A wired before B was made`, async () => {
    const a = await net();
    const nets: string[] = [a.name];
    const ctrs: string[] = [];
    try {
      const inA = await start(ctrs, a.name, LISTENER);
      const b = await net();
      nets.push(b.name);
      const inB = await start(ctrs, b.name, LISTENER);
      const peerA = await start(ctrs, a.name, ['sleep', '60']);
      const peerB = await start(ctrs, b.name, ['sleep', '60']);
      // the Debian image has no ip(8)
      const ipOfDebian = async (c: string): Promise<string> => JSON.parse((await minictr(['inspect', c])).stdout)[0].NetworkSettings.IPAddress as string;
      const [ipA, ipB] = [await ipOfDebian(inA), await ipOfDebian(inB)];
      expect(ipB).toMatch(/^10\./);
      await send(inA, ipB, 'from-A');
      await send(inB, ipA, 'from-B');
      await send(peerB, ipB, 'from-B');
      await send(peerA, ipA, 'from-A');
      expect(await heard(inB, 'from-B')).toEqual(['from-B']);
      expect(await heard(inA, 'from-A')).toEqual(['from-A']);
    } finally {
      await minictr(['rm', '-f', ...ctrs], { env });
      for (const n of nets) await minictr(['network', 'rm', '-f', n], { env });
    }
  });

  it(`${backend}: once B is removed, no rule names B's bridge while A (wired after B) still has its rules`, async () => {
    const b = await net();
    const a = await net();
    const ctrs: string[] = [];
    try {
      const inB = await start(ctrs, b.name, ['sleep', '60']);
      await start(ctrs, a.name, ['sleep', '60']);
      expect(await rules()).toContain(b.bridge);
      await minictr(['rm', '-f', inB], { env });
      ctrs.splice(ctrs.indexOf(inB), 1);
      expect((await minictr(['network', 'rm', b.name], { env })).exitCode).toBe(0);
      const after = await rules();
      expect(after).toContain(`minictr:net:${a.bridge}`);
      expect(after.split('\n').filter((l) => l.includes(b.bridge))).toEqual([]);
    } finally {
      if (ctrs.length) await minictr(['rm', '-f', ...ctrs], { env });
      for (const n of [a.name, b.name]) await minictr(['network', 'rm', '-f', n], { env });
    }
  });
  it.skipIf(backend !== 'nftables')(`${backend}: a network wired by an older minictr (its ready marker names only the backend) is wired again by the next run`, async () => {
    const a = await net();
    const ctrs: string[] = [];
    try {
      await start(ctrs, a.name, ['sleep', '60']);
      const marker = join(process.env.MINICTR_RUN!, 'net', 'ready', a.name);
      // what the older layout left: no element in the set, a marker of the backend alone
      await execa('nft', ['delete', 'element', 'ip', 'minictr', 'bridges', `{ "${a.bridge}" }`]);
      writeFileSync(marker, 'nftables');
      const r = await minictr(['run', '--rm', '--network', a.name, 'busybox', 'true'], { env });
      expect(r.exitCode, r.stderr).toBe(0);
      expect((await execa('nft', ['list', 'set', 'ip', 'minictr', 'bridges'])).stdout).toContain(`"${a.bridge}"`);
      expect(readFileSync(marker, 'utf8')).toMatch(/^layout=2 nftables$/);
    } finally {
      await minictr(['rm', '-f', ...ctrs], { env });
      await minictr(['network', 'rm', '-f', a.name], { env });
    }
  });
});

// The backend is chosen per command (MINICTR_FIREWALL, or the host's use of iptables, which
// Docker's install turns on): a network and a published port wired under one backend are
// removed by commands that run under the other, and no rule of theirs may stay behind.
describe('a firewall backend that changed between commands', () => {
  // iptables-nft makes table ip filter for minictr's first rule and leaves it, empty
  let hadFilter = true;
  beforeAll(async () => {
    hadFilter = (await execa('nft', ['list', 'tables'])).stdout.includes('table ip filter');
  });
  afterAll(async () => {
    if (!hadFilter) await execa('nft', ['delete', 'table', 'ip', 'filter'], { reject: false });
  });
  for (const [wiredBy, removedBy] of [['nftables', 'iptables'], ['iptables', 'nftables']] as const) {
    it(`wired with ${wiredBy}, removed with ${removedBy}: none of its rules stays`, async () => {
      const wire = { ...process.env, MINICTR_FIREWALL: wiredBy };
      const remove = { ...process.env, MINICTR_FIREWALL: removedBy };
      const net = uniq('fwm-');
      const ctr = uniq('fwm-');
      const port = 20000 + Math.floor(Math.random() * 20000);
      const both = async (): Promise<string> => `${(await execa('nft', ['list', 'ruleset'])).stdout}\n${(await execa('iptables-save')).stdout}`;
      try {
        expect((await minictr(['network', 'create', '--subnet', `10.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}.0/24`, net], { env: wire })).exitCode).toBe(0);
        const r = await minictr(['run', '-d', '--name', ctr, '--network', net, '-p', `${port}:80`, ...WEB], { env: wire });
        expect(r.stderr).toBe('');
        const id = r.stdout.trim();
        const bridge = JSON.parse((await minictr(['network', 'inspect', net])).stdout)[0].bridge as string;
        // wired: the port's DNAT and the network's rules are in the kernel, by the first backend
        const before = await both();
        expect(before).toContain(`minictr:ctr:${id.slice(0, 12)}`);
        expect(before).toContain(bridge);
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
        expect(await res.text()).toContain('served by');
        const rm = await minictr(['rm', '-f', ctr], { env: remove });
        expect(rm.stderr).toBe('');
        expect(rm.exitCode).toBe(0);
        expect(await both()).not.toContain(`minictr:ctr:${id.slice(0, 12)}`);
        const nrm = await minictr(['network', 'rm', net], { env: remove });
        expect(nrm.stderr).toBe('');
        expect(nrm.exitCode).toBe(0);
        expect(await both()).not.toContain(bridge);
      } finally {
        await minictr(['rm', '-f', ctr], { env: wire });
        await minictr(['network', 'rm', '-f', net], { env: wire });
      }
    });
  }
});

describe.concurrent('addresses', () => {
  it('20 concurrent run -d get distinct addresses', async () => {
    const names = Array.from({ length: 20 }, () => uniq('ip-'));
    made.push(...names);
    const rs = await Promise.all(names.map((n) => minictr(['run', '-d', '--name', n, 'busybox', 'sleep', '60'])));
    expect(rs.map((r) => r.exitCode)).toEqual(names.map(() => 0));
    const ips = await Promise.all(names.map(ipOf));
    expect(ips.every((ip) => ip.startsWith(process.env.MINICTR_BRIDGE_SUBNET!.split('.').slice(0, 2).join('.') + '.'))).toBe(true);
    expect(new Set(ips).size).toBe(20);
  }, 120_000);
});

describe('outbound NAT and DNS', () => {
  let up: Upstream;
  beforeAll(async () => {
    await removeMade();
    up = await startUpstream();
  });
  afterAll(async () => up?.stop());

  it('a container reaches the upstream by name through NAT; the upstream sees the host\'s address', async () => {
    const r = await minictr(['run', '--rm', '--dns', up.ip, debian, ...httpGet(up.name)]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('hello from upstream');
    expect(up.clientsSeen()).toEqual([up.hostIp]);
  });

  it('with iptables as the host firewall and FORWARD policy DROP (as Docker sets it)', async () => {
    const hadFilter = (await execa('nft', ['list', 'tables'])).stdout.includes('table ip filter');
    await execa('iptables', ['-P', 'FORWARD', 'DROP']);
    const env = { ...process.env, MINICTR_FIREWALL: 'iptables' };
    const net = uniq('ipt-');
    try {
      expect((await minictr(['network', 'create', '--subnet', `10.${150 + Math.floor(Math.random() * 50)}.1.0/24`, net], { env })).exitCode).toBe(0);
      const r = await minictr(['run', '--rm', '--network', net, '--dns', up.ip, debian, ...httpGet(up.name)], { env });
      expect(r.stdout.trim()).toBe('hello from upstream');
      expect((await execa('iptables-save')).stdout).toContain('minictr:net:');
    } finally {
      await minictr(['network', 'rm', '-f', net], { env });
      await execa('iptables', ['-P', 'FORWARD', 'ACCEPT']);
      if (!hadFilter) await execa('nft', ['delete', 'table', 'ip', 'filter'], { reject: false });
    }
    expect((await execa('iptables-save')).stdout).not.toContain('minictr:');
  });

  it('published ports are reachable from the host (also 127.0.0.1) and from another namespace', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const web = await runD(['-p', `${port}:80`, ...WEB]);
    const expected = `served by ${(await minictr(['exec', web, 'hostname'])).stdout.trim()}\n`;
    for (const url of [`http://127.0.0.1:${port}/`, `http://${up.hostIp}:${port}/`]) {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      expect(await res.text()).toBe(expected);
    }
    const fromNs = await execa('ip', ['netns', 'exec', up.ns, 'timeout', '5', 'busybox', 'wget', '-q', '-O', '-', `http://${up.hostIp}:${port}/`], { reject: false });
    expect(fromNs.stdout + '\n').toBe(expected);
    const info = JSON.parse((await minictr(['inspect', web])).stdout)[0];
    expect(info.NetworkSettings.Ports).toEqual([`0.0.0.0:${port}->80/tcp`]);
    expect((await minictr(['ps'])).stdout).toMatch(new RegExp(`${port}->80/tcp.*${web}`));
  });
});

describe('--network modes', () => {
  it('none: only lo', async () => {
    const r = await minictr(['run', '--rm', '--network', 'none', 'busybox', 'ls', '/sys/class/net']);
    expect(r.stdout.trim()).toBe('lo');
  });

  it('host: the host\'s interfaces', async () => {
    const r = await minictr(['run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net']);
    expect(r.stdout.trim().split('\n').sort()).toEqual(readdirSync('/sys/class/net').sort());
  });

  it('container:X shares X\'s interfaces (a pod)', async () => {
    const x = await runD(['busybox', 'sleep', '60']);
    const r = await minictr(['run', '--rm', '--network', `container:${x}`, 'busybox', 'sh', '-c', "ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1; readlink /proc/self/ns/net"]);
    const pid = JSON.parse((await minictr(['inspect', x])).stdout)[0].State.Pid;
    const [ip, ns] = r.stdout.trim().split('\n');
    expect(ip).toBe(await ipOf(x));
    expect(ns).toBe((await execa('readlink', [`/proc/${pid}/ns/net`])).stdout);
  });

  it('netns:NAME joins a named namespace (as made by ip netns add)', async () => {
    const ns = uniq('lab');
    await execa('ip', ['netns', 'add', ns]);
    try {
      await execa('ip', ['-n', ns, 'link', 'add', 'lab0', 'type', 'veth', 'peer', 'name', 'lab1']);
      await execa('ip', ['-n', ns, 'addr', 'add', '192.0.2.7/24', 'dev', 'lab0']);
      await execa('ip', ['-n', ns, 'link', 'set', 'lab0', 'up']);
      const r = await minictr(['run', '--rm', '--network', `netns:${ns}`, 'busybox', 'sh', '-c', 'ip -4 -o addr show lab0']);
      expect(r.stdout).toContain('192.0.2.7/24');
      const missing = await minictr(['run', '--rm', '--network', 'netns:no-such-ns', 'busybox', 'true']);
      expect(missing.stderr.trim()).toMatch(/^minictr: --network netns:no-such-ns: no network namespace/);
    } finally {
      await execa('ip', ['netns', 'del', ns]);
    }
  });
});

describe('addresses and cleanup', () => {
  it('rm releases the address, the veth and the port rules', async () => {
    const before = await leftovers();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const name = await runD(['-p', `${port}:80`, 'busybox', 'sleep', '60']);
    const ip = await ipOf(name);
    const ipsDir = join(process.env.MINICTR_ROOT!, 'networks', 'bridge', 'ips');
    expect(existsSync(join(ipsDir, ip))).toBe(true);
    expect((await execa('nft', ['list', 'table', 'ip', 'minictr'])).stdout).toContain(`dport ${port}`);
    await minictr(['rm', '-f', name]);
    made.splice(made.indexOf(name), 1);
    expect(existsSync(join(ipsDir, ip))).toBe(false);
    expect((await execa('nft', ['list', 'table', 'ip', 'minictr'])).stdout).not.toContain(`dport ${port}`);
    expect(newSince(before, await leftovers())).toEqual([]);
  });

  it('run --rm: after the exit its port\'s elements and veth go, and only then its address', async () => {
    const before = await leftovers();
    const bridge = JSON.parse((await minictr(['network', 'inspect', 'bridge'])).stdout)[0].bridge as string;
    const ipsDir = join(process.env.MINICTR_ROOT!, 'networks', 'bridge', 'ips');
    // the hostname is the id's first 12 digits: the host end is veth + its first 11
    const r = await minictr(['run', '--rm', 'busybox', 'sh', '-c', "hostname; ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const [host, ip] = r.stdout.trim().split('\n') as [string, string];
    const veth = `veth${host.slice(0, 11)}`;
    const elementOf = async (): Promise<boolean> => (await execa('nft', ['list', 'set', 'bridge', `minictr-${bridge}`, 'guarded'])).stdout.includes(`"${veth}"`);
    // sampled until all is gone: whenever the address is free, the elements and the veth are gone
    let samples = 0;
    for (const end = Date.now() + 10_000; Date.now() < end; samples++) {
      const [leased, linked, guarded] = [existsSync(join(ipsDir, ip)), existsSync(`/sys/class/net/${veth}`), await elementOf()];
      if (!leased) {
        expect({ linked, guarded }).toEqual({ linked: false, guarded: false });
        break;
      }
      await new Promise((res) => setTimeout(res, 5));
    }
    expect(existsSync(join(ipsDir, ip))).toBe(false);
    expect(newSince(before, await leftovers())).toEqual([]);
  });

  it('system prune frees a lease whose container is gone, its port\'s elements first', async () => {
    const bridge = JSON.parse((await minictr(['network', 'inspect', 'bridge'])).stdout)[0].bridge as string;
    const ipsDir = join(process.env.MINICTR_ROOT!, 'networks', 'bridge', 'ips');
    // what a --rm run's background release leaves when it is killed: a lease of an id with no
    // container, and that id's port elements (its veth went with the container's namespace)
    const id = [...Array(64)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
    const subnet = process.env.MINICTR_BRIDGE_SUBNET!.split('.').slice(0, 2).join('.');
    const ip = `${subnet}.250.${2 + Math.floor(Math.random() * 250)}`;
    const veth = `veth${id.slice(0, 11)}`;
    mkdirSync(ipsDir, { recursive: true });
    writeFileSync(join(ipsDir, ip), id, { flag: 'wx' });
    await execa('nft', ['add', 'element', 'bridge', `minictr-${bridge}`, 'guarded', `{ "${veth}" }`]);
    const guarded = async (): Promise<boolean> => (await execa('nft', ['list', 'set', 'bridge', `minictr-${bridge}`, 'guarded'])).stdout.includes(`"${veth}"`);
    expect(await guarded()).toBe(true);
    const prune = await minictr(['system', 'prune']);
    expect(prune.exitCode, prune.stderr).toBe(0);
    expect(prune.stdout).toContain(`address ${ip} on bridge`);
    expect(existsSync(join(ipsDir, ip))).toBe(false);
    expect(await guarded()).toBe(false);
  });

  it('bad input: invalid or overlapping subnets, bad -p, a network in use', async () => {
    const net = await userNetwork('linux');
    const subnet = JSON.parse((await minictr(['network', 'inspect', net])).stdout)[0].subnet as string;
    const cases: [string[], RegExp][] = [
      [['network', 'create', '--subnet', '10.1.2.3/33', uniq('x-')], /invalid subnet "10.1.2.3\/33"/],
      [['network', 'create', '--subnet', 'banana', uniq('x-')], /invalid subnet "banana"/],
      [['network', 'create', '--subnet', subnet, uniq('x-')], new RegExp(`overlaps network ${net}`)],
      [['run', '--rm', '-p', '99999:80', 'busybox', 'true'], /invalid port mapping "99999:80"/],
      [['run', '--rm', '--network', 'no-such-net', 'busybox', 'true'], /no such network: no-such-net/],
    ];
    for (const [args, re] of cases) {
      const before = await leftovers();
      const r = await minictr(args);
      expect(r.exitCode, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
      expect(newSince(before, await leftovers())).toEqual([]);
    }
    const c = await runD(['--network', net, 'busybox', 'sleep', '60']);
    const rm = await minictr(['network', 'rm', net]);
    expect(rm.stderr).toMatch(/has 1 container\(s\) attached/);
    await minictr(['rm', '-f', c]);
    made.splice(made.indexOf(c), 1);
    expect((await minictr(['network', 'rm', net])).exitCode).toBe(0);
    networks.splice(networks.indexOf(net), 1);
  });
});

describe('doctor', () => {
  it('checks each host setting against the live system', async () => {
    const r = await minictr(['doctor']);
    for (const name of ['ip_forward', 'FORWARD policy', 'br_netfilter', 'iptables backends', 'DNS stub', 'Open vSwitch', 'cgroups', 'overlayfs']) {
      expect(r.stdout).toMatch(new RegExp(`^\\[(ok  |WARN|FAIL|info)\\] ${name}: `, 'm'));
    }
    // what it says about ip_forward is what the kernel says
    const fwd = (await execa('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim();
    expect(r.stdout).toMatch(fwd === '1' ? /\[ok {2}\] ip_forward/ : /\[WARN\] ip_forward/);
    expect(r.exitCode).toBe(r.stdout.includes('[FAIL]') ? 1 : 0);
  });
});

describe('DNS on an Ubuntu host (systemd-resolved)', () => {
  it('a host resolv.conf pointing at the 127.0.0.53 stub gives the container the upstream servers', async () => {
    // an Ubuntu-like host, faked in a private mount namespace of the test's own (unshare(1)):
    // /etc/resolv.conf is the stub, /run/systemd/resolve/resolv.conf lists the upstreams
    const dir = (await execa('mktemp', ['-d'])).stdout;
    try {
      const script = [
        `echo 'nameserver 127.0.0.53' > ${dir}/stub`,
        `echo 'nameserver 192.0.2.53' > ${dir}/upstream`,
        'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/resolve',
        `mount --bind ${dir}/upstream /run/systemd/resolve/resolv.conf 2>/dev/null || cp ${dir}/upstream /run/systemd/resolve/resolv.conf`,
        `mount --bind ${dir}/stub /etc/resolv.conf`,
        `exec ${BIN} run --rm --network none busybox cat /etc/resolv.conf`,
      ].join(' && ');
      const r = await execa('unshare', ['-m', 'sh', '-c', script], { reject: false });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('nameserver 192.0.2.53');
    } finally {
      await execa('rm', ['-rf', dir]);
    }
  });
});
