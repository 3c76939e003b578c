/**
 * What exists right now in the host's view: named namespaces (/run/netns, the iproute2
 * convention), links in the host namespace (/sys/class/net) and OVS bridges.
 */
import { existsSync, readdirSync } from 'node:fs';
import { listBridges, ovsRunning } from './ovs.js';
import { haveTool } from '../../util/tool.js';

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
