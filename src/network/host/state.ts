/**
 * What exists right now in the host's view: named namespaces (/run/netns, the iproute2
 * convention), links in the host namespace (/sys/class/net) and OVS bridges.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { hostPids, namespaceLink } from '../../util/proc.js';
import { listBridges, ovsRunning } from './ovs.js';
import { haveTool, runTool } from '../../util/tool.js';

export const NETNS_DIR = '/run/netns';

export function namedNamespaces(): string[] {
  return existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR).sort() : [];
}

export function hostLinks(): string[] {
  return readdirSync('/sys/class/net').sort();
}

/** OVS bridges, or [] when OVS is not installed or not running (then there are none). */
export async function ovsBridges(): Promise<string[]> {
  if (!(await haveTool('ovs-vsctl')) || !(await ovsRunning())) return [];
  return listBridges();
}

/** A link as `ip -d -j addr show` describes it. */
export interface LinkInfo {
  ifname: string;
  flags?: string[];
  ifalias?: string;
  addr_info?: unknown[];
}

/** The links of a named namespace with their aliases and addresses; undefined if it cannot be read. */
export async function netnsLinks(ns: string): Promise<LinkInfo[] | undefined> {
  const res = await runTool('ip', ['-n', ns, '-d', '-j', 'addr', 'show'], { allowFailure: true });
  if (res.exitCode !== 0) return undefined;
  try {
    return JSON.parse(res.stdout) as LinkInfo[];
  } catch {
    return undefined;
  }
}

/** The inode of a named namespace (its nsfs file), as /proc/PID/ns/net names it. */
export function netnsInode(ns: string): number | undefined {
  try {
    return statSync(`${NETNS_DIR}/${ns}`).ino;
  } catch {
    return undefined;
  }
}

/** The network namespaces some process is in, by inode. */
export function netnsInodesInUse(): Set<number> {
  const used = new Set<number>();
  for (const pid of hostPids()) {
    const m = /^net:\[(\d+)\]$/.exec(namespaceLink(pid, 'net') ?? '');
    if (m) used.add(Number(m[1]));
  }
  return used;
}
