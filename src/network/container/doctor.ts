/**
 * `minictr doctor`: the host settings that decide whether containers get a working network
 * (and a few more), each checked on the live system and explained with its fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { detectCgroupMode } from '../../cgroup/mode.js';
import { hostCommand } from '../../util/host-command.js';
import { hasKernelDatapath, ovsInstalled } from '../host/ovs.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export async function runChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  const fwd = read('/proc/sys/net/ipv4/ip_forward');
  checks.push(
    fwd === '1'
      ? { name: 'ip_forward', status: 'ok', detail: 'the host routes packets between interfaces' }
      : { name: 'ip_forward', status: 'warn', detail: 'off: containers cannot reach beyond the host (minictr turns it on when it makes a bridge)', fix: 'sysctl -w net.ipv4.ip_forward=1' },
  );

  const save = await hostCommand('iptables-save', ['-t', 'filter'], { allowFailure: true }).catch(() => undefined);
  const policy = /^:FORWARD (\w+)/m.exec(save?.stdout ?? '')?.[1];
  checks.push(
    policy === 'DROP'
      ? { name: 'FORWARD policy', status: 'info', detail: 'iptables FORWARD policy is DROP (Docker does this): minictr uses iptables and inserts ACCEPT rules for its bridges before it' }
      : { name: 'FORWARD policy', status: 'ok', detail: `iptables FORWARD policy is ${policy ?? 'ACCEPT (no iptables rules)'}` },
  );

  const brnf = read('/proc/sys/net/bridge/bridge-nf-call-iptables');
  checks.push(
    brnf === undefined
      ? { name: 'br_netfilter', status: 'ok', detail: 'not loaded: traffic between containers on one bridge skips the firewall' }
      : { name: 'br_netfilter', status: brnf === '1' ? 'info' : 'ok', detail: `loaded, bridge-nf-call-iptables=${brnf}${brnf === '1' ? ': bridged traffic goes through FORWARD too (minictr accepts it per bridge)' : ''}` },
  );

  const ver = await hostCommand('iptables', ['-V'], { allowFailure: true }).catch(() => undefined);
  const legacy = await hostCommand('iptables-legacy-save', [], { allowFailure: true }).catch(() => undefined);
  const legacyRules = (legacy?.stdout ?? '').split('\n').filter((l) => l.startsWith('-A ')).length;
  const nftBackend = /nf_tables/.test(ver?.stdout ?? '');
  checks.push(
    nftBackend && legacyRules > 0
      ? { name: 'iptables backends', status: 'fail', detail: `iptables is the nf_tables version but ${legacyRules} legacy rules exist: two firewalls judge every packet`, fix: 'remove the legacy rules (iptables-legacy -F) or switch with update-alternatives --set iptables /usr/sbin/iptables-legacy' }
      : { name: 'iptables backends', status: 'ok', detail: ver?.ok ? `${ver.stdout.trim()}, no clash` : 'iptables not installed; minictr uses nftables' },
  );

  const resolv = read('/etc/resolv.conf') ?? '';
  checks.push(
    /^nameserver\s+127\.0\.0\.53/m.test(resolv)
      ? { name: 'DNS stub', status: existsSync('/run/systemd/resolve/resolv.conf') ? 'ok' : 'warn', detail: 'systemd-resolved stub 127.0.0.53: containers get the upstream servers from /run/systemd/resolve/resolv.conf instead', fix: existsSync('/run/systemd/resolve/resolv.conf') ? undefined : 'run containers with --dns IP' }
      : { name: 'DNS stub', status: 'ok', detail: 'resolv.conf does not point to a loopback stub' },
  );

  const ovs = await ovsInstalled();
  checks.push(
    !ovs
      ? { name: 'Open vSwitch', status: 'info', detail: 'not installed: --driver ovs is unavailable, Linux bridges are used', fix: 'apt-get install openvswitch-switch' }
      : { name: 'Open vSwitch', status: 'ok', detail: (await hasKernelDatapath()) ? 'installed, kernel datapath available' : 'installed, no kernel module: bridges use the userspace datapath (datapath_type=netdev) with TX checksum offload off on veths' },
  );

  const mode = detectCgroupMode();
  checks.push({ name: 'cgroups', status: mode === 'unified' ? 'ok' : 'info', detail: `${mode}${mode === 'hybrid' ? ': v1 controllers, an empty cgroup2 tree at /sys/fs/cgroup/unified' : ''}` });

  const overlay = (read('/proc/filesystems') ?? '').includes('overlay');
  checks.push(
    overlay
      ? { name: 'overlayfs', status: 'ok', detail: 'available for container roots' }
      : { name: 'overlayfs', status: 'fail', detail: 'the kernel has no overlay filesystem', fix: 'modprobe overlay' },
  );
  return checks;
}

export function formatChecks(checks: Check[]): string {
  const mark: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', info: 'info' };
  return checks.map((c) => `[${mark[c.status]}] ${c.name}: ${c.detail}${c.fix ? `\n       fix: ${c.fix}` : ''}`).join('\n') + '\n';
}
