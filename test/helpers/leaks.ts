/**
 * What kernel objects exist now: network namespaces, links, mounts, cgroups, OVS bridges and
 * minictr processes. Tests snapshot before and after and compare, so a leak fails the test
 * that made it (and the suite as a whole, in global-setup).
 */
import { execa } from 'execa';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface KernelSnapshot {
  netns: string[];
  links: string[];
  mounts: string[];
  cgroups: string[];
  ovsBridges: string[];
  processes: string[];
  firewall: string[];
}

/** minictr's shared parents, kept between runs (src/cgroup/cgroup.ts): not leaks themselves,
 * but every cgroup below them is (a container's, an OCI parent's) */
const SHARED_CGROUP_TOPS = new Set(['minictr', 'minictr-oci']);

/** The shared parents that exist now, in every hierarchy (v2, each v1 controller, unified/). */
export function sharedCgroupTops(): string[] {
  const root = '/sys/fs/cgroup';
  const hierarchies = [root, ...readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && !SHARED_CGROUP_TOPS.has(e.name)).map((e) => join(root, e.name))];
  return hierarchies.flatMap((h) => [...SHARED_CGROUP_TOPS].map((t) => join(h, t))).filter((d) => existsSync(d));
}

/** every cgroup minictr made: any dir named like minictr, and everything below its tops */
function listCgroups(): string[] {
  const out: string[] = [];
  const root = '/sys/fs/cgroup';
  const walk = (dir: string, depth: number, below: boolean, hierarchyRoot: boolean): void => {
    if (depth > 4) return;
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      const top = hierarchyRoot && SHARED_CGROUP_TOPS.has(e);
      if ((below || e.includes('minictr')) && !top) out.push(p);
      // /sys/fs/cgroup is a hierarchy (unified) or holds one per v1 controller (and unified/)
      walk(p, depth + 1, below || top, dir === root && !top);
    }
  };
  walk(root, 0, false, true);
  return out.sort();
}

export async function snapshotKernelObjects(): Promise<KernelSnapshot> {
  const netns = existsSync('/run/netns') ? readdirSync('/run/netns').sort() : [];
  const links = (await execa('ip', ['-o', 'link', 'show'], { reject: false, timeout: 10_000 })).stdout
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
    .filter(Boolean)
    .sort();
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.includes('minictr') || m.startsWith('/run/netns/'))
    .sort();
  let ovsBridges: string[] = [];
  const ovs = await execa('ovs-vsctl', ['--timeout=2', 'list-br'], { reject: false, timeout: 10_000 }).catch(() => undefined);
  if (ovs && ovs.exitCode === 0) ovsBridges = ovs.stdout.split('\n').filter(Boolean).sort();
  const processes = (await execa('pgrep', ['-a', '-f', 'minictr-init|minictr-monitor'], { reject: false, timeout: 10_000 })).stdout
    .split('\n')
    // an exited monitor waits for the host's init to reap it: not ours to clean
    .filter((l) => l && !l.includes('<defunct>'))
    .sort();
  // minictr's nftables table, and any iptables rule minictr tagged
  const nft = await execa('nft', ['list', 'tables'], { reject: false, timeout: 10_000 }).catch(() => undefined);
  const ipt = await execa('iptables-save', [], { reject: false, timeout: 10_000 }).catch(() => undefined);
  const firewall = [
    ...(nft?.stdout ?? '').split('\n').filter((l) => l.includes('minictr')),
    ...(ipt?.stdout ?? '').split('\n').filter((l) => l.includes('minictr:')),
  ].sort();
  return { netns, links, mounts, cgroups: listCgroups(), ovsBridges, processes, firewall };
}

export function diffSnapshots(before: KernelSnapshot, after: KernelSnapshot): string[] {
  const leaks: string[] = [];
  for (const key of Object.keys(before) as (keyof KernelSnapshot)[]) {
    const had = new Set(before[key]);
    for (const item of after[key]) if (!had.has(item)) leaks.push(`${key}: ${item}`);
  }
  return leaks;
}
