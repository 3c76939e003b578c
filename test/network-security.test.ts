/**
 * The container network's defences, as the kernel and the containers see them:
 * - the localnet guard: route_localnet (published ports on 127.0.0.1) lets no container reach
 *   a service bound only to the host's 127.0.0.1;
 * - anti-spoofing on every bridge port (Linux bridge with nftables or ebtables, Open vSwitch):
 *   no ARP poisoning and no datagram from another container's address, from a container that
 *   has CAP_NET_RAW (the default) and a raw-frame probe (helpers/rawudp.c, built here);
 * - -p refuses a host port another container publishes or a host process has bound.
 * Each attack is also shown to work where the defence is absent, so every test can fail.
 */
import { execa, type ResultPromise } from 'execa';
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { leftovers, newSince } from './helpers/container.js';
import { ensureOvsRunning } from './net-helpers.js';
import { until } from './helpers/until.js';

const PROBE_SRC = fileURLToPath(new URL('./helpers/rawudp.c', import.meta.url));
let probeDir: string;
beforeAll(async () => {
  probeDir = mkdtempSync(join(tmpdir(), 'minictr-probe-'));
  await execa('cc', ['-static', '-O2', '-o', join(probeDir, 'rawudp'), PROBE_SRC]);
});
afterAll(() => rmSync(probeDir, { recursive: true, force: true }));

type Env = Record<string, string>;
const withEnv = (env: Env): { env: NodeJS.ProcessEnv } => ({ env: { ...process.env, ...env } });
const randomPort = (): number => 20000 + Math.floor(Math.random() * 20000);

const made: string[] = [];
const networks: string[] = [];
afterAll(async () => {
  // what the tests left to this hook (the -p tests' containers, or any after a failure) must
  // leave nothing behind either
  const ids: string[] = [];
  for (const c of made) {
    const r = await minictr(['inspect', c]);
    if (r.exitCode === 0) ids.push(JSON.parse(r.stdout)[0].Id);
  }
  if (made.length) await minictr(['rm', '-f', ...made.splice(0)]);
  for (const n of networks.splice(0)) await minictr(['network', 'rm', '-f', n]);
  expect(await ownLeftovers(ids)).toEqual([]);
});

async function runD(args: string[], env: Env = {}): Promise<string> {
  const name = uniq('ns-');
  made.push(name); // removed at the end even if it failed
  const r = await minictr(['run', '-d', '--name', name, ...args], withEnv(env));
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  return name;
}

/** A busybox that keeps running, with the probe at /probe/rawudp. */
const prober = (network: string, env: Env = {}, extra: string[] = []): Promise<string> =>
  runD(['--network', network, '-v', `${probeDir}:/probe:ro`, ...extra, 'busybox', 'sleep', '300'], env);

const pidsOf = async (ctrs: string[]): Promise<number[]> => JSON.parse((await minictr(['inspect', ...ctrs])).stdout).map((c: { State: { Pid: number } }) => c.State.Pid);

/** A command in a container's network namespace (the kernel's view from inside it). */
const inNetns = (pid: number, argv: string[]): ReturnType<typeof execa> => execa('nsenter', [`--net=/proc/${pid}/ns/net`, ...argv]);

/** What the container's eth0 is, as its own namespace has it. */
async function nic(pid: number): Promise<{ ip: string; mac: string }> {
  const r = await inNetns(pid, ['sh', '-c', 'ip -o link show eth0; ip -4 -o addr show eth0']);
  return { mac: /link\/ether (\S+)/.exec(String(r.stdout))![1]!, ip: /inet (\d+\.\d+\.\d+\.\d+)/.exec(String(r.stdout))![1]! };
}

interface Net {
  name: string;
  bridge: string;
  gateway: string;
  driver: 'linux' | 'ovs';
}

async function userNetwork(driver: 'linux' | 'ovs', env: Env = {}): Promise<Net> {
  const name = uniq('sn-');
  const subnet = `10.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}.0/24`;
  const r = await minictr(['network', 'create', '--driver', driver, '--subnet', subnet, name], withEnv(env));
  expect(r.stderr).toBe('');
  networks.push(name);
  return inspectNetwork(name);
}

async function inspectNetwork(name: string): Promise<Net> {
  const n = JSON.parse((await minictr(['network', 'inspect', name])).stdout)[0];
  return { name, bridge: n.bridge, gateway: n.gateway, driver: n.driver };
}

/** `rawudp recv` in a container: resolves once it listens; done() gives the lines it printed. */
async function receiver(ctr: string, port: number, last: string): Promise<{ done: () => Promise<string[]> }> {
  const p: ResultPromise = execa(BIN, ['exec', ctr, '/probe/rawudp', 'recv', String(port), '5', last], { reject: false });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    });
    p.then((r) => reject(new Error(`rawudp recv ended before it listened: ${String(r.stderr)}`)), reject);
  });
  return { done: async () => String((await p).stdout).split('\n').filter((l) => l && l !== 'ready') };
}

/** The sender's argv: rawudp send eth0 SRC_MAC DST_MAC SRC_IP DST_IP PORT PAYLOAD. */
const send = (srcMac: string, dstMac: string, srcIp: string, dstIp: string, port: number, payload: string): string =>
  ['/probe/rawudp', 'send', 'eth0', srcMac, dstMac, srcIp, dstIp, String(port), payload].join(' ');

async function inContainer(ctr: string, script: string): Promise<void> {
  const r = await minictr(['exec', ctr, 'sh', '-c', script]);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
}

/** The MAC the kernel has for ip: on the host's bridge, or in a container's namespace. */
async function neighbour(ip: string, where: { bridge: string } | { pid: number }): Promise<string | undefined> {
  const r = 'bridge' in where ? await execa('ip', ['neigh', 'show', 'dev', where.bridge, 'to', ip]) : await inNetns(where.pid, ['ip', 'neigh', 'show', 'to', ip]);
  return /lladdr (\S+)/.exec(String(r.stdout))?.[1];
}

/** A port of the bridge without minictr's rules: a namespace of the test's own on a veth. */
async function unguardedPort(net: Net): Promise<{ ns: string; mac: string; remove: () => Promise<void> }> {
  const ns = uniq('snx');
  const veth = uniq('snv');
  const mac = `02:99:${uniq('', 8).match(/../g)!.join(':')}`;
  await execa('ip', ['netns', 'add', ns]);
  // the host end gets a high MAC: a Linux bridge takes its ports' lowest, and a new bridge
  // MAC would flush the host's neighbour table (the entry this test reads)
  await execa('ip', ['link', 'add', 'eth0', 'address', mac, 'netns', ns, 'type', 'veth', 'peer', 'name', veth, 'address', 'fe:ff:ff:ff:ff:fe']);
  if (net.driver === 'ovs') await execa('ovs-vsctl', ['add-port', net.bridge, veth]);
  else await execa('ip', ['link', 'set', veth, 'master', net.bridge]);
  await execa('ip', ['link', 'set', veth, 'up']);
  await execa('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  await execa('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1']);
  return {
    ns,
    mac,
    async remove() {
      if (net.driver === 'ovs') await execa('ovs-vsctl', ['--if-exists', 'del-port', net.bridge, veth], { reject: false });
      await execa('ip', ['link', 'del', veth], { reject: false });
      await execa('ip', ['netns', 'del', ns], { reject: false });
    },
  };
}

/** What of these containers (and this network) is left in the kernel: veths, rules, tables,
 * ebtables chains, the bridge. Only its own objects: other runs may be busy on this host. */
async function ownLeftovers(ctrIds: string[], net?: Net): Promise<string[]> {
  const out: string[] = [];
  const links = (await execa('ip', ['-o', 'link', 'show'])).stdout;
  const rules = (await execa('nft', ['list', 'ruleset'])).stdout + (await execa('iptables-save')).stdout;
  for (const id of ctrIds) {
    if (links.includes(`veth${id.slice(0, 11)}`)) out.push(`veth of ${id}`);
    if (rules.includes(`minictr:ctr:${id.slice(0, 12)}`)) out.push(`firewall rules of ${id}`);
    if (rules.includes(`minictr-${id.slice(0, 12)}`)) out.push(`ebtables chain of ${id}`);
  }
  if (!net) return out;
  if (links.includes(`: ${net.bridge}:`)) out.push(`link ${net.bridge}`);
  if (rules.includes(`table bridge minictr-${net.bridge} `)) out.push(`nft table bridge minictr-${net.bridge}`);
  if (rules.includes(`minictr:net:${net.bridge}`)) out.push(`firewall rules of ${net.bridge}`);
  if (net.driver === 'ovs' && (await execa('ovs-vsctl', ['br-exists', net.bridge], { reject: false })).exitCode === 0) out.push(`ovs bridge ${net.bridge}`);
  return out;
}

const idOf = async (ctr: string): Promise<string> => JSON.parse((await minictr(['inspect', ctr])).stdout)[0].Id;

/** rm the containers (and the network): what they leave behind. */
async function removeAll(ctrs: string[], net: Net | undefined, env: Env = {}): Promise<string[]> {
  const ids = await Promise.all(ctrs.map(idOf));
  await minictr(['rm', '-f', ...ctrs], withEnv(env));
  for (const c of ctrs) made.splice(made.indexOf(c), 1);
  if (net) {
    await minictr(['network', 'rm', '-f', net.name], withEnv(env));
    networks.splice(networks.indexOf(net.name), 1);
  }
  return ownLeftovers(ids, net);
}

type Nic = { ip: string; mac: string };

describe.each([
  ['a Linux bridge', 'linux', [['nftables, bridge family', {}], ['ebtables', { MINICTR_BRIDGE_FIREWALL: 'ebtables' }]]],
  ['Open vSwitch (userspace datapath)', 'ovs', [['flows on the port', {}]]],
] as const)('anti-spoofing on %s', (_label, driver, backends: readonly (readonly [string, Env])[]) => {
  let net: Net;
  // only an attacker's own port matters: one attacker per backend, the others are its targets
  const attackers: { name: string; nic: Nic }[] = [];
  let victim: string;
  let other: string;
  let otherPid: number;
  let v: Nic;
  let o: Nic;
  let hadBridgeNat = false;
  beforeAll(async () => {
    if (driver === 'ovs') await ensureOvsRunning();
    // ebtables-nft keeps its rules in nftables' "bridge nat" table: removed at the end if it was not there
    hadBridgeNat = (await execa('nft', ['list', 'tables'])).stdout.includes('table bridge nat');
    net = await userNetwork(driver);
    const names = await Promise.all([prober(net.name), prober(net.name), ...backends.map(([, env]) => prober(net.name, env))]);
    const pids = await pidsOf(names);
    const nics = await Promise.all(pids.map(nic));
    [victim, other] = names as [string, string];
    [v, o] = nics as [Nic, Nic];
    otherPid = pids[1]!;
    for (let i = 2; i < names.length; i++) {
      attackers.push({ name: names[i]!, nic: nics[i]! });
      // busybox arping binds its source address first: the attacker's own namespace may bind
      // any (a setting of its netns only; its raw socket could send the same frame without it)
      await inNetns(pids[i]!, ['sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1']);
    }
  }, 120_000);
  afterAll(async () => {
    if (!net) return;
    expect(await removeAll([victim, other, ...attackers.map((x) => x.name)].filter(Boolean), net)).toEqual([]);
    if (!hadBridgeNat) {
      const t = await execa('nft', ['-j', 'list', 'table', 'bridge', 'nat'], { reject: false });
      const items = t.exitCode === 0 ? (JSON.parse(t.stdout) as { nftables: { rule?: unknown }[] }).nftables : [];
      if (t.exitCode === 0 && !items.some((i) => i.rule)) await execa('nft', ['delete', 'table', 'bridge', 'nat'], { reject: false });
    }
  });

  it.each(backends.map(([label], i) => [label, i] as const))('%s: a container cannot send UDP from another container\'s address (nor its MAC); from its own it can', async (_b, i) => {
    const { name: attacker, nic: a } = attackers[i]!;
    const port = randomPort();
    const r = await receiver(other, port, 'own');
    await inContainer(attacker, [
      send('self', o.mac, v.ip, o.ip, port, 'spoofed-ip'),
      send(v.mac, o.mac, v.ip, o.ip, port, 'spoofed-ip-and-mac'),
      send(a.mac, o.mac, a.ip, o.ip, port, 'as-itself'),
      send('self', o.mac, a.ip, o.ip, port, 'own'),
    ].join(' && '));
    // frames arrive in order: had a spoofed one passed, it would be printed before "own"
    expect(await r.done()).toEqual([`${a.ip} as-itself`, `${a.ip} own`]);
  });

  it.each(backends.map(([label], i) => [label, i] as const))('%s: a container cannot poison the host\'s or another container\'s ARP entry for a neighbour', async (_b, i) => {
    const { name: attacker } = attackers[i]!;
    const host = { bridge: net.bridge };
    const inOther = { pid: otherPid };
    // both learn the victim afresh
    await execa('ip', ['neigh', 'flush', 'dev', net.bridge, 'to', v.ip]);
    await inNetns(otherPid, ['ip', 'neigh', 'flush', 'to', v.ip]);
    await execa('ping', ['-c', '1', '-W', '2', v.ip]);
    await inNetns(otherPid, ['ping', '-c', '1', '-W', '2', v.ip]);
    expect(await neighbour(v.ip, host)).toBe(v.mac);
    expect(await neighbour(v.ip, inOther)).toBe(v.mac);

    const arping = await minictr(['exec', attacker, 'arping', '-U', '-c', '1', '-I', 'eth0', '-s', v.ip, v.ip]);
    expect(arping.stdout).toMatch(/Sent 1 probe/);
    expect(await neighbour(v.ip, host)).toBe(v.mac);
    expect(await neighbour(v.ip, inOther)).toBe(v.mac);

    // the same frame from a port without minictr's rules does poison both: the check above sees it
    const port = await unguardedPort(net);
    try {
      const r = await execa('ip', ['netns', 'exec', port.ns, 'busybox', 'arping', '-U', '-c', '1', '-I', 'eth0', '-s', v.ip, v.ip]);
      expect(r.stdout).toMatch(/Sent 1 probe/);
      expect(await neighbour(v.ip, host)).toBe(port.mac);
      expect(await neighbour(v.ip, inOther)).toBe(port.mac);
    } finally {
      await port.remove();
    }
  });
});

describe('anti-spoofing rules go with a container whose record is broken', () => {
  it('rm -f finds them by its id (nftables and ebtables), before its network goes', async () => {
    const net = await userNetwork('linux');
    const ctrs = [await prober(net.name), await prober(net.name, { MINICTR_BRIDGE_FIREWALL: 'ebtables' })];
    const ids = await Promise.all(ctrs.map(idOf));
    const rules = (await execa('nft', ['list', 'ruleset'])).stdout;
    // there before (so the check below can fail): the nft rules by tag, the ebtables chain by name
    expect(rules).toContain(`minictr:ctr:${ids[0]!.slice(0, 12)}`);
    expect(rules).toContain(`chain minictr-${ids[1]!.slice(0, 12)} `);
    for (const id of ids) truncateSync(join(process.env.MINICTR_ROOT!, 'containers', id, 'config.json'), 20);
    const rm = await minictr(['rm', '-f', ...ctrs]);
    expect(rm.stderr).toBe('');
    for (const c of ctrs) made.splice(made.indexOf(c), 1);
    // the network is still there: its bridge table would have taken the nft rules with it
    expect(await ownLeftovers(ids)).toEqual([]);
    await minictr(['network', 'rm', net.name]);
    networks.splice(networks.indexOf(net.name), 1);
    expect(await ownLeftovers([], net)).toEqual([]);
  });
});

describe('the localnet guard (route_localnet)', () => {
  let lo: Socket;
  let gw: Socket;
  const got: { lo: string[]; gw: string[] } = { lo: [], gw: [] };
  let loPort: number;
  let hadFilter = false;
  afterAll(async () => {
    lo?.close();
    // iptables-nft made nftables' "ip filter" table for the guard's INPUT rule: removed if it
    // was not there before and nothing is left in it
    const t = await execa('nft', ['-j', 'list', 'table', 'ip', 'filter'], { reject: false });
    const items = t.exitCode === 0 ? (JSON.parse(t.stdout) as { nftables: { rule?: unknown; chain?: { policy?: string } }[] }).nftables : [];
    if (!hadFilter && t.exitCode === 0 && !items.some((i) => i.rule || (i.chain?.policy && i.chain.policy !== 'accept'))) {
      await execa('nft', ['delete', 'table', 'ip', 'filter'], { reject: false });
    }
  });

  async function listen(s: Socket, port: number, address: string, into: string[]): Promise<void> {
    s.on('message', (m, r) => into.push(`${r.address} ${m.toString()}`));
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, address, () => resolve());
    });
  }


  beforeAll(async () => {
    hadFilter = (await execa('nft', ['list', 'tables'])).stdout.includes('table ip filter');
    // a host service bound only to 127.0.0.1
    lo = createSocket('udp4');
    loPort = randomPort();
    await listen(lo, loPort, '127.0.0.1', got.lo);
  });

  it.each([
    ['the default bridge', 'bridge', {}],
    ['a user network', 'user', {}],
    ['a user network, iptables as the host firewall', 'user', { MINICTR_FIREWALL: 'iptables' }],
  ] as const)('%s: a container cannot reach a host service on 127.0.0.1; a published port still answers there', async (_label, kind, env: Env) => {
    const net = kind === 'user' ? await userNetwork('linux', env) : undefined;
    const port = randomPort();
    const web = await prober(net?.name ?? 'bridge', env, ['-p', `${port}:80`]);
    await inContainer(web, 'mkdir -p /www && echo guarded > /www/index.html && httpd -p 80 -h /www');
    const { ip, mac } = await nic((await pidsOf([web]))[0]!);
    const info = net ?? (await inspectNetwork('bridge'));
    const bridgeMac = readFileSync(`/sys/class/net/${info.bridge}/address`, 'utf8').trim();
    // the control: the same probe to the gateway's address arrives, so the path works
    gw = createSocket('udp4');
    got.gw.length = 0;
    got.lo.length = 0;
    const gwPort = randomPort();
    await listen(gw, gwPort, info.gateway, got.gw);
    try {
      await inContainer(web, `${send(mac, bridgeMac, ip, '127.0.0.1', loPort, 'to-loopback')} && ${send(mac, bridgeMac, ip, info.gateway, gwPort, 'to-gateway')}`);
      await until('the probe to the gateway', () => got.gw.length > 0, 3000);
      expect(got.gw).toEqual([`${ip} to-gateway`]);
      expect(got.lo).toEqual([]);
    } finally {
      gw.close();
    }
    // the host's own connection to 127.0.0.1:PORT is DNAT'd to the container, and answered
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toBe('guarded\n');

    if (net) {
      // without the guard rule (this network's only) the same datagram reaches the service:
      // the check above can fail
      await dropGuard(net, env);
      await inContainer(web, send(mac, bridgeMac, ip, '127.0.0.1', loPort, 'unguarded'));
      await until('the unguarded probe', () => got.lo.length > 0, 3000);
      expect(got.lo).toEqual([`${ip} unguarded`]);
    }
    expect(await removeAll([web], net, env)).toEqual([]);
  });

  async function dropGuard(net: Net, env: Env): Promise<void> {
    if (env.MINICTR_FIREWALL === 'iptables') {
      const line = (await execa('iptables-save', ['-t', 'filter'])).stdout.split('\n').find((l) => l.startsWith('-A INPUT ') && l.includes(`minictr:net:${net.bridge}`) && l.includes('127.0.0.0/8'));
      expect(line).toBeDefined();
      await execa('sh', ['-c', `iptables -w -t filter -D ${line!.slice(3)}`]);
      return;
    }
    const rules = (await execa('nft', ['-a', 'list', 'chain', 'ip', 'minictr', 'input'])).stdout.split('\n');
    const handle = rules.find((l) => l.includes(`"minictr:net:${net.bridge}"`) && l.includes('127.0.0.0/8'))?.match(/# handle (\d+)/)?.[1];
    expect(handle).toBeDefined();
    await execa('nft', ['delete', 'rule', 'ip', 'minictr', 'input', 'handle', handle!]);
  }
});

describe('-p refuses a host port that is taken, before anything is made', () => {
  const WEB = ['busybox', 'sh', '-c', 'mkdir -p /www && echo first > /www/index.html && exec httpd -f -p 80 -h /www'];

  /** refused with one line, and nothing made: no container (dir, name) in this state
   * directory, no rule for the port (the host-wide snapshot would also see other runs' work) */
  async function refused(args: string[], message: string, port: number): Promise<void> {
    const rulesFor = async (): Promise<string[]> => ((await execa('nft', ['list', 'ruleset'])).stdout + (await execa('iptables-save')).stdout).split('\n').filter((l) => l.includes(`dport ${port}`));
    const before = await leftovers();
    const rules = await rulesFor();
    const r = await minictr(['run', '-d', ...args]);
    expect(r.exitCode).toBe(125); // docker run's status when the runtime refuses
    expect(r.stderr.trim().split('\n')).toEqual([`minictr: ${message}`]);
    expect(newSince(before, await leftovers()).filter((l) => l.startsWith('container '))).toEqual([]);
    expect(await rulesFor()).toEqual(rules);
  }

  it('a port another container publishes: refused, naming it; the first container is untouched', async () => {
    const port = randomPort();
    const first = await runD(['-p', `${port}:80`, ...WEB]);
    await refused(['-p', `${port}:8080`, 'busybox', 'sleep', '60'], `-p ${port}:8080/tcp: host port ${port}/tcp is already published by container ${first}`, port);
    await refused(['-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '60'], `-p 127.0.0.1:${port}:80/tcp: host port ${port}/tcp is already published by container ${first}`, port);
    // untouched: running, its rules in place, and it answers
    expect(JSON.parse((await minictr(['inspect', first])).stdout)[0].State.Status).toBe('running');
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toBe('first\n');
    // the same number in the other protocol is another port
    await runD(['-p', `${port}:80/udp`, 'busybox', 'sleep', '60']);
  });

  it('a port a container of another state directory publishes: refused, naming it by id (from the kernel\'s rules)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'minictr-other-'));
    const other: Env = {
      MINICTR_ROOT: join(dir, 'lib'),
      MINICTR_RUN: join(dir, 'run'),
      MINICTR_BRIDGE_NAME: uniq('mto'),
      MINICTR_BRIDGE_SUBNET: `172.29.${Math.floor(Math.random() * 250)}.0/24`,
    };
    const port = randomPort();
    let id = '';
    try {
      const r = await minictr(['run', '-d', '-p', `${port}:80`, 'busybox', 'sleep', '60'], withEnv(other));
      expect(r.exitCode, r.stderr).toBe(0);
      id = r.stdout.trim();
      await refused(['-p', `${port}:80`, 'busybox', 'sleep', '60'], `-p ${port}:80/tcp: host port ${port}/tcp is already published by minictr container ${id.slice(0, 12)}`, port);
    } finally {
      if (id) await minictr(['rm', '-f', id], withEnv(other));
      await minictr(['network', 'rm', '-f', 'bridge'], withEnv(other));
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await ownLeftovers([id], { name: 'bridge', bridge: other.MINICTR_BRIDGE_NAME!, gateway: '', driver: 'linux' })).toEqual([]);
  });

  it('two runs at once with one port: exactly one gets it', async () => {
    const port = randomPort();
    const names = [uniq('ns-'), uniq('ns-')];
    const rs = await Promise.all(names.map((n) => minictr(['run', '-d', '--name', n, '-p', `${port}:80`, 'busybox', 'sleep', '60'])));
    const won = rs.filter((r) => r.exitCode === 0);
    for (const [i, r] of rs.entries()) if (r.exitCode === 0) made.push(names[i]!);
    expect(won).toHaveLength(1);
    const lost = rs.find((r) => r.exitCode !== 0)!;
    expect(lost.stderr.trim()).toBe(`minictr: -p ${port}:80/tcp: host port ${port}/tcp is already published by container ${names[rs.indexOf(won[0]!)]}`);
  });

  it('a port a host process has bound: refused, naming the process', async () => {
    const tcpPort = randomPort();
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(tcpPort, '127.0.0.1', resolve));
    const udp = createSocket('udp4');
    const udpPort = randomPort();
    await new Promise<void>((resolve) => udp.bind(udpPort, '0.0.0.0', resolve));
    try {
      const me = `${readFileSync('/proc/self/comm', 'utf8').trim()} (pid ${process.pid})`;
      await refused(['-p', `${tcpPort}:80`, 'busybox', 'true'], `-p ${tcpPort}:80/tcp: host port ${tcpPort}/tcp is already in use on the host: 127.0.0.1:${tcpPort} is bound by ${me}`, tcpPort);
      await refused(['-p', `127.0.0.1:${udpPort}:53/udp`, 'busybox', 'true'], `-p 127.0.0.1:${udpPort}:53/udp: host port ${udpPort}/udp is already in use on the host: 0.0.0.0:${udpPort} is bound by ${me}`, udpPort);
      // another address than the listener's is free
      await runD(['-p', `127.0.0.2:${tcpPort}:80`, 'busybox', 'sleep', '60']);
    } finally {
      server.close();
      udp.close();
    }
  });
});
