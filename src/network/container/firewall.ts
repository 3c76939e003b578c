/**
 * NAT, forwarding and published ports, with nftables or iptables, never both: a host whose
 * firewall is iptables (e.g. Docker's, with FORWARD policy DROP) gets iptables rules where
 * its FORWARD chain will see them; a clean host gets one nftables table, `ip minictr`.
 * Every rule carries a comment so it can be removed exactly when its network or container
 * goes (minictr:net:BRIDGE, minictr:ctr:ID). MINICTR_FIREWALL=nftables|iptables overrides.
 *
 * The localnet guard: published ports answer on 127.0.0.1 because each bridge has
 * route_localnet=1 (bridge.ts), which also lets a container send to the host's 127.0.0.0/8
 * (CVE-2020-8558: services bound only to the host's loopback). So packets from a bridge to
 * 127.0.0.0/8 are dropped unless conntrack DNAT'd them for a published port (the replies to
 * the host's own connections to 127.0.0.1:PORT), as kube-proxy's guard does.
 *
 * Isolation between networks holds both ways whatever the order they were wired in (as
 * Docker's DOCKER-ISOLATION chains): with nft, every wired bridge is an element of the set
 * `bridges`, and each network drops what it forwards to any member but itself, so no rule
 * ever names another network's bridge (nothing stale once that network goes). With iptables,
 * a network wired drops both ways to each existing one, and a network removed takes with it
 * every minictr rule naming its bridge.
 */
import { NotFoundError } from '../../errors.js';
import type { Explainer } from '../../util/explain.js';
import { hostCommand } from '../../util/host-command.js';
import type { NetworkConfig } from './store.js';

export interface PortMapping {
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  proto: 'tcp' | 'udp';
}

/** A published port found in the kernel's rules, with the (short) id its tag names. */
export interface PublishedRule extends PortMapping {
  ctr: string;
}

export interface Firewall {
  readonly backend: 'nftables' | 'iptables';
  ensureNetwork(net: NetworkConfig, all: NetworkConfig[]): Promise<void>;
  removeNetwork(net: NetworkConfig): Promise<void>;
  publish(ctrId: string, net: NetworkConfig, ip: string, ports: PortMapping[]): Promise<void>;
  removeContainer(ctrId: string): Promise<void>;
  /** every port minictr publishes on this host, from any state directory */
  published(): Promise<PublishedRule[]>;
}

/** The host uses iptables when its iptables tables hold rules or a non-ACCEPT policy. */
export async function hostUsesIptables(): Promise<boolean> {
  const save = await hostCommand('iptables-save', [], { allowFailure: true });
  if (!save.ok) return false;
  return save.stdout.split('\n').some((l) => (l.startsWith('-A ') && !l.includes('minictr:')) || /^:\S+ (DROP|REJECT) /.test(l));
}

export async function selectFirewall(explain: Explainer): Promise<Firewall> {
  const forced = process.env.MINICTR_FIREWALL;
  const useIptables = forced ? forced === 'iptables' : await hostUsesIptables();
  explain.note(useIptables ? 'firewall: the host uses iptables, so minictr does too' : 'firewall: nftables (table ip minictr)');
  return useIptables ? new IptablesFirewall(explain) : new NftFirewall(explain);
}

/**
 * What removal cleans: the selected backend's rules, then the other backend's. The backend
 * is chosen per command (MINICTR_FIREWALL, or whether the host uses iptables, which changes
 * when Docker is installed), so rules a command made under one backend must still go when
 * the removal runs under the other. The other's listing (`nft -j list table ip minictr`,
 * `iptables-save`) finds nothing on a host that never used it, and a host without its tool
 * has none of its rules.
 */
async function fromEveryBackend(explain: Explainer, remove: (fw: Firewall) => Promise<void>): Promise<void> {
  const fw = await selectFirewall(explain);
  await remove(fw);
  const other = fw.backend === 'nftables' ? new IptablesFirewall(explain) : new NftFirewall(explain);
  await remove(other).catch((e: unknown) => {
    if (!(e instanceof NotFoundError)) throw e;
  });
}

/** A network's rules (and other networks' rules naming its bridge), from both backends. */
export function removeNetworkRules(net: NetworkConfig, explain: Explainer): Promise<void> {
  return fromEveryBackend(explain, (fw) => fw.removeNetwork(net));
}

/** A container's published ports, from both backends. */
export function removeContainerRules(ctrId: string, explain: Explainer): Promise<void> {
  return fromEveryBackend(explain, (fw) => fw.removeContainer(ctrId));
}

// tagged by bridge, not network name: bridge names are unique on the host, network names are
// only unique within one MINICTR_ROOT
const NET_TAG = 'minictr:net:';
const netTag = (net: NetworkConfig): string => `${NET_TAG}${net.bridge}`;
const CTR_TAG = 'minictr:ctr:';
const ctrTag = (id: string): string => `${CTR_TAG}${id.slice(0, 12)}`;
/** the nft set of every wired bridge, which each network's forward rules drop towards */
const BRIDGES = 'bridges';

class NftFirewall implements Firewall {
  readonly backend = 'nftables' as const;
  constructor(private readonly explain: Explainer) {}

  private nft(script: string, why: string): Promise<unknown> {
    return hostCommand('nft', ['-f', '-'], { explain: this.explain, why, input: script });
  }

  async ensureNetwork(net: NetworkConfig): Promise<void> {
    await this.removeTagged(netTag(net));
    const tag = `comment "${netTag(net)}"`;
    await this.nft(
      [
        'table ip minictr {',
        '  chain input { type filter hook input priority filter; policy accept; }',
        '  chain forward { type filter hook forward priority filter; policy accept; }',
        '  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }',
        '  chain output { type nat hook output priority -100; policy accept; }',
        '  chain postrouting { type nat hook postrouting priority srcnat; policy accept; }',
        `  set ${BRIDGES} { type ifname; }`,
        '}',
        `add element ip minictr ${BRIDGES} { "${net.bridge}" }`,
        `add rule ip minictr forward iifname "${net.bridge}" oifname "${net.bridge}" accept ${tag}`,
        `add rule ip minictr forward iifname "${net.bridge}" oifname @${BRIDGES} drop ${tag}`,
        `add rule ip minictr forward iifname "${net.bridge}" accept ${tag}`,
        `add rule ip minictr forward oifname "${net.bridge}" ct state established,related accept ${tag}`,
        `add rule ip minictr forward oifname "${net.bridge}" ct status dnat accept ${tag}`,
        `add rule ip minictr postrouting ip saddr ${net.subnet} oifname != "${net.bridge}" masquerade ${tag}`,
        `add rule ip minictr postrouting ip saddr 127.0.0.0/8 oifname "${net.bridge}" masquerade ${tag}`,
        `add rule ip minictr input iifname "${net.bridge}" ip daddr 127.0.0.0/8 ct status & dnat == 0 drop ${tag}`,
        '',
      ].join('\n'),
      `NAT and forwarding for network ${net.name} (${net.subnet} on ${net.bridge})`,
    );
  }

  async removeNetwork(net: NetworkConfig): Promise<void> {
    await this.removeTagged(netTag(net), net.bridge);
    await this.dropTableIfEmpty();
  }

  async publish(ctrId: string, _net: NetworkConfig, ip: string, ports: PortMapping[]): Promise<void> {
    if (!ports.length) return;
    const tag = `comment "${ctrTag(ctrId)}"`;
    const lines: string[] = [];
    for (const p of ports) {
      const match = `${p.hostIp ? `ip daddr ${p.hostIp}` : 'fib daddr type local'} ${p.proto} dport ${p.hostPort}`;
      const to = `dnat to ${ip}:${p.containerPort}`;
      lines.push(`add rule ip minictr prerouting ${match} ${to} ${tag}`, `add rule ip minictr output ${match} ${to} ${tag}`);
    }
    await this.nft(lines.join('\n') + '\n', `publish ports: ${ports.map(fmtPort).join(', ')} -> ${ip}`);
  }

  async removeContainer(ctrId: string): Promise<void> {
    await this.removeTagged(ctrTag(ctrId));
  }

  async published(): Promise<PublishedRule[]> {
    const list = await hostCommand('nft', ['-j', 'list', 'chain', 'ip', 'minictr', 'prerouting'], { allowFailure: true });
    if (!list.ok) return [];
    type Match = { match?: { left?: { payload?: { protocol: string; field: string } }; right?: unknown } };
    const items = (JSON.parse(list.stdout) as { nftables: Array<{ rule?: { comment?: string; expr: Match[] } }> }).nftables;
    const out: PublishedRule[] = [];
    for (const { rule } of items) {
      if (!rule?.comment?.startsWith(CTR_TAG)) continue;
      const m = rule.expr.map((e) => e.match).filter((x) => x?.left?.payload);
      const port = m.find((x) => x!.left!.payload!.field === 'dport');
      const daddr = m.find((x) => x!.left!.payload!.protocol === 'ip' && x!.left!.payload!.field === 'daddr');
      const proto = port?.left?.payload?.protocol;
      if (!port || (proto !== 'tcp' && proto !== 'udp') || typeof port.right !== 'number') continue;
      out.push({ ctr: rule.comment.slice(CTR_TAG.length), proto, hostPort: port.right, containerPort: 0, hostIp: typeof daddr?.right === 'string' ? daddr.right : undefined });
    }
    return out;
  }

  /** delete every rule of table ip minictr whose comment is tag, and bridge from the set
   * `bridges` (if it is there: deleting an absent element is an error) */
  private async removeTagged(tag: string, bridge?: string): Promise<void> {
    const list = await hostCommand('nft', ['-j', 'list', 'table', 'ip', 'minictr'], { allowFailure: true });
    if (!list.ok) return;
    type Item = { rule?: { chain: string; handle: number; comment?: string }; set?: { name: string; elem?: unknown[] } };
    const items = (JSON.parse(list.stdout) as { nftables: Item[] }).nftables;
    const dels = items.filter((i) => i.rule?.comment === tag).map((i) => `delete rule ip minictr ${i.rule!.chain} handle ${i.rule!.handle}`);
    const member = bridge !== undefined && items.some((i) => i.set?.name === BRIDGES && i.set.elem?.includes(bridge));
    if (member) dels.push(`delete element ip minictr ${BRIDGES} { "${bridge}" }`);
    if (dels.length) await this.nft(dels.join('\n') + '\n', `remove the rules tagged ${tag}${member ? ` and ${bridge} from the set ${BRIDGES}` : ''}`);
  }

  private async dropTableIfEmpty(): Promise<void> {
    const list = await hostCommand('nft', ['-j', 'list', 'table', 'ip', 'minictr'], { allowFailure: true });
    if (!list.ok) return;
    const items = (JSON.parse(list.stdout) as { nftables: Array<{ rule?: unknown }> }).nftables;
    if (!items.some((i) => i.rule)) await hostCommand('nft', ['delete', 'table', 'ip', 'minictr'], { explain: this.explain, allowFailure: true });
  }
}

class IptablesFirewall implements Firewall {
  readonly backend = 'iptables' as const;
  constructor(private readonly explain: Explainer) {}

  private ipt(table: string, args: string[], why?: string): Promise<unknown> {
    return hostCommand('iptables', ['-w', '-t', table, ...args], { explain: this.explain, why });
  }

  async ensureNetwork(net: NetworkConfig, all: NetworkConfig[]): Promise<void> {
    await this.removeTagged(netTag(net));
    const c = ['-m', 'comment', '--comment', netTag(net)];
    // inserted at the top of FORWARD, so a host policy of DROP (Docker's) comes after them;
    // -I puts each new rule first, so they are inserted in reverse order
    const forward: string[][] = [
      ['-o', net.bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'ACCEPT'],
      ['-i', net.bridge, '-j', 'ACCEPT'],
      // both ways, tagged as this network's: one wired later finds these in place of its own
      ...all.filter((n) => n.bridge !== net.bridge).flatMap((n) => [['-i', net.bridge, '-o', n.bridge, '-j', 'DROP'], ['-i', n.bridge, '-o', net.bridge, '-j', 'DROP']]),
      ['-i', net.bridge, '-o', net.bridge, '-j', 'ACCEPT'],
    ];
    for (const r of forward) await this.ipt('filter', ['-I', 'FORWARD', ...r, ...c], `allow forwarding for ${net.name}`);
    await this.ipt('nat', ['-A', 'POSTROUTING', '-s', net.subnet, '!', '-o', net.bridge, '-j', 'MASQUERADE', ...c], `masquerade ${net.subnet}`);
    await this.ipt('nat', ['-A', 'POSTROUTING', '-s', '127.0.0.0/8', '-o', net.bridge, '-j', 'MASQUERADE', ...c]);
    await this.ipt('filter', ['-I', 'INPUT', '-i', net.bridge, '-d', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'DNAT', '-j', 'DROP', ...c], `no container reaches the host's 127.0.0.0/8 (route_localnet) but for published ports`);
  }

  async removeNetwork(net: NetworkConfig): Promise<void> {
    await this.removeTagged(netTag(net), net.bridge);
  }

  async publish(ctrId: string, _net: NetworkConfig, ip: string, ports: PortMapping[]): Promise<void> {
    const c = ['-m', 'comment', '--comment', ctrTag(ctrId)];
    for (const p of ports) {
      const match = [...(p.hostIp ? ['-d', p.hostIp] : ['-m', 'addrtype', '--dst-type', 'LOCAL']), '-p', p.proto, '--dport', String(p.hostPort)];
      const to = ['-j', 'DNAT', '--to-destination', `${ip}:${p.containerPort}`];
      await this.ipt('nat', ['-A', 'PREROUTING', ...match, ...to, ...c], `publish ${fmtPort(p)}`);
      await this.ipt('nat', ['-A', 'OUTPUT', ...match, ...to, ...c]);
    }
  }

  async removeContainer(ctrId: string): Promise<void> {
    await this.removeTagged(ctrTag(ctrId));
  }

  async published(): Promise<PublishedRule[]> {
    const save = await hostCommand('iptables-save', ['-t', 'nat'], { allowFailure: true });
    const out: PublishedRule[] = [];
    for (const line of save.stdout.split('\n')) {
      if (!line.startsWith('-A PREROUTING ') || !line.includes(CTR_TAG)) continue;
      const args = splitRule(line);
      const arg = (flag: string): string | undefined => {
        const i = args.indexOf(flag);
        return i >= 0 ? args[i + 1] : undefined;
      };
      const proto = arg('-p');
      const port = Number(arg('--dport'));
      const tag = args.find((a) => a.startsWith(CTR_TAG));
      if ((proto !== 'tcp' && proto !== 'udp') || !Number.isInteger(port) || !tag) continue;
      out.push({ ctr: tag.slice(CTR_TAG.length), proto, hostPort: port, containerPort: 0, hostIp: arg('-d')?.replace(/\/32$/, '') });
    }
    return out;
  }

  /** delete every rule tagged tag and, given a bridge, every other network's rule naming it
   * (another network's DROP towards it, made when that network was wired after it) */
  private async removeTagged(tag: string, bridge?: string): Promise<void> {
    for (const table of ['filter', 'nat']) {
      const save = await hostCommand('iptables-save', ['-t', table], { allowFailure: true });
      for (const line of save.stdout.split('\n')) {
        if (!line.startsWith('-A ')) continue;
        const args = splitRule(line.slice(3));
        const tagged = args.includes(tag);
        const names = bridge !== undefined && args.some((a) => a.startsWith(NET_TAG)) && args.some((a, i) => (a === '-i' || a === '-o') && args[i + 1] === bridge);
        if (!tagged && !names) continue;
        await this.ipt(table, ['-D', ...args], `remove ${tag}`);
      }
    }
  }
}

/** iptables-save quotes only arguments with spaces; split a rule line back into argv. */
function splitRule(line: string): string[] {
  return (line.match(/"[^"]*"|\S+/g) ?? []).map((a) => (a.startsWith('"') ? a.slice(1, -1) : a));
}

export function fmtPort(p: PortMapping): string {
  return `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}->${p.containerPort}/${p.proto}`;
}
