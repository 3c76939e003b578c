/**
 * A container on several networks (run --network A --network name=B,alias=X; network
 * connect / disconnect), seen from inside the containers: its interfaces (eth0, eth1...) and
 * addresses, the members of each network it reaches by name and alias, what it cannot reach,
 * and that nothing of it is left on the host after rm. busybox only (its ping resolves
 * through /etc/hosts).
 */
import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';

const made: string[] = [];
const networks: string[] = [];
afterAll(async () => {
  if (made.length) await minictr(['rm', '-f', ...made]);
  for (const n of networks) await minictr(['network', 'rm', '-f', n]);
});

async function ok(args: string[]): Promise<string> {
  const r = await minictr(args);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

/** name -> address of each interface but lo, from `ip addr` output */
function interfacesIn(out: string): Record<string, string> {
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split(/\s+/)).filter((f) => /^eth\d$/.test(f[1] ?? '')).map((f) => [f[1]!, f[3]!.split('/')[0]!]));
}

async function interfaces(ctr: string): Promise<Record<string, string>> {
  return interfacesIn(await ok(['exec', ctr, 'ip', '-4', '-o', 'addr']));
}

/** From one container in one exec: its interfaces, and one ping to each target: the
 * address the name resolved to (none: unknown), and whether it answered. */
async function probe(from: string, targets: string[]): Promise<{ ifs: Record<string, string>; pings: { ip?: string; answered: boolean }[] }> {
  const script = ['ip -4 -o addr', ...targets.map((t) => `echo "== $(ping -c 1 -W 1 ${t} 2>&1 | tr '\n' ' ')"`)].join('; ');
  const out = await ok(['exec', from, 'sh', '-c', script]);
  const pings = out.split('\n').filter((l) => l.startsWith('== ')).map((l) => ({ ip: /PING \S+ \(([\d.]+)\)/.exec(l)?.[1], answered: / 1 packets received/.test(l) }));
  return { ifs: interfacesIn(out.split('\n').filter((l) => !l.startsWith('== ')).join('\n')), pings };
}

const prefixOf = (subnet: string): string => subnet.split('.').slice(0, 3).join('.') + '.';

describe('a container on several networks', () => {
  const [a, b, c] = [uniq('mna'), uniq('mnb'), uniq('mnc')];
  const [inA, inB, inC, both] = [uniq('ma-'), uniq('mb-'), uniq('mc-'), uniq('mab-')];
  const subnet: Record<string, string> = {};
  let bothId = '';

  beforeAll(async () => {
    for (const n of [a, b, c]) {
      await ok(['network', 'create', n]);
      networks.push(n);
    }
    for (const n of JSON.parse(await ok(['network', 'inspect', a, b, c])) as { name: string; subnet: string }[]) subnet[n.name] = n.subnet;
    for (const [name, net] of [[inA, a], [inB, b], [inC, c]]) {
      await ok(['run', '-d', '--name', name!, '--network', net!, 'busybox', 'sleep', '300']);
      made.push(name!);
    }
    bothId = (await ok(['run', '-d', '--name', both, '--network', a, '--network', `name=${b},alias=bee`, 'busybox', 'sleep', '300'])).trim();
    made.push(both);
  });

  it('run --network A --network name=B,alias=X: eth0 on A, eth1 on B; it reaches a member of each by name, B\'s members reach it by its alias, C is out of reach', async () => {
    const cIp = (await interfaces(inC)).eth0!;
    const { ifs, pings } = await probe(both, [inA, inB, inC, cIp]);
    expect(Object.keys(ifs).sort()).toEqual(['eth0', 'eth1']);
    expect(ifs.eth0!.startsWith(prefixOf(subnet[a]!))).toBe(true);
    expect(ifs.eth1!.startsWith(prefixOf(subnet[b]!))).toBe(true);
    expect(pings.map((p) => p.answered)).toEqual([true, true, false, false]);
    expect(pings[2]!.ip).toBeUndefined(); // C's member is not even a name on A or B
    const settings = (JSON.parse(await ok(['inspect', both])) as { NetworkSettings: { Networks: Record<string, { IPAddress: string; Aliases: string[] }> } }[])[0]!.NetworkSettings.Networks;
    expect(Object.fromEntries(Object.entries(settings).map(([n, s]) => [n, [s.IPAddress, s.Aliases]]))).toEqual({ [a]: [ifs.eth0, []], [b]: [ifs.eth1, ['bee']] });
    // the alias is B's only: B's member finds it at its eth1 address, A's member does not know it
    expect((await probe(inB, ['bee'])).pings).toEqual([{ ip: ifs.eth1, answered: true }]);
    expect((await probe(inA, ['bee'])).pings[0]!.ip).toBeUndefined();
  });

  it('network connect --alias adds eth2 to the running container at once, disconnect removes it; inspect and the members\' /etc/hosts follow', async () => {
    await ok(['network', 'connect', '--alias', 'cee', c, both]);
    const { ifs, pings } = await probe(both, [inC]);
    expect(Object.keys(ifs).sort()).toEqual(['eth0', 'eth1', 'eth2']);
    expect(ifs.eth2!.startsWith(prefixOf(subnet[c]!))).toBe(true);
    expect(pings[0]!.answered).toBe(true);
    expect((await probe(inC, ['cee'])).pings).toEqual([{ ip: ifs.eth2, answered: true }]);
    const hostEnd = `veth${bothId.slice(0, 9)}-2`;
    expect(readdirSync('/sys/class/net')).toContain(hostEnd);

    await ok(['network', 'disconnect', c, both]);
    const after = await ok(['exec', both, 'sh', '-c', 'ip -4 -o addr; cat /etc/hosts']);
    expect(Object.keys(interfacesIn(after)).sort()).toEqual(['eth0', 'eth1']);
    expect(after).not.toContain(inC);
    expect(readdirSync('/sys/class/net')).not.toContain(hostEnd);
    expect(await ok(['exec', inC, 'cat', '/etc/hosts'])).not.toContain(both);
    expect(Object.keys((JSON.parse(await ok(['inspect', both])) as { NetworkSettings: { Networks: object } }[])[0]!.NetworkSettings.Networks).sort()).toEqual([a, b].sort());
    expect(await ok(['network', 'inspect', c])).not.toContain(bothId);
    expect((await execa('nft', ['list', 'ruleset'])).stdout.split('\n').filter((l) => l.includes(hostEnd))).toEqual([]);
  });

  it('a stopped container connected to a network has the interface from its next start', async () => {
    await ok(['stop', '-t', '0', inA]);
    await ok(['network', 'connect', c, inA]);
    await ok(['start', inA]);
    const { ifs, pings } = await probe(inA, [inC]);
    expect(Object.keys(ifs).sort()).toEqual(['eth0', 'eth1']);
    expect(pings[0]!.answered).toBe(true);
  });

  it('bad input: one line, non-zero, nothing changed', async () => {
    const before = await interfaces(both);
    for (const [args, msg] of [
      [['network', 'disconnect', a, both], `cannot disconnect ${both} from ${a}: it is its first network`],
      [['network', 'disconnect', c, both], `container ${both} is not on network ${c}`],
      [['network', 'connect', b, both], `container ${both} is already on network ${b}`],
      [['network', 'connect', uniq('nonet'), both], 'no such network'],
      [['network', 'connect', '--alias', 'bad name', c, both], '--alias: "bad name" is not a valid'],
      [['run', '--rm', '--network', 'host', '--network', a, 'busybox', 'true'], '--network host cannot be combined with other networks'],
      [['run', '--rm', '--network', a, '--network', a, 'busybox', 'true'], `--network ${a} is given twice`],
    ] as [string[], string][]) {
      const r = await minictr(args);
      expect(r.exitCode, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(msg);
    }
    expect(await interfaces(both)).toEqual(before);
  });

  it('rm frees every address and removes every host end and rule of the container', async () => {
    const ips = Object.values(await interfaces(both));
    await ok(['rm', '-f', both]);
    made.splice(made.indexOf(both), 1);
    const links = readdirSync('/sys/class/net');
    expect(links.filter((l) => l.startsWith(`veth${bothId.slice(0, 9)}`))).toEqual([]);
    expect((await execa('nft', ['list', 'ruleset'])).stdout).not.toContain(`minictr:ctr:${bothId.slice(0, 12)}`);
    for (const n of [a, b]) {
      const inspect = await ok(['network', 'inspect', n]);
      expect(inspect).not.toContain(bothId);
      for (const ip of ips) expect(inspect).not.toContain(`"${ip}"`);
    }
  });
});
