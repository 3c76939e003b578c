/**
 * Everything a container owns on the host, released in one place: its cgroup, its address
 * and published ports, its entry in its network's /etc/hosts files, its directory (and, for
 * rm -v and --rm, its anonymous volumes). Used
 * by rm, by --rm, by a failed start and by system prune.
 */
import { removeCgroup } from '../cgroup/cgroup.js';
import { silent, type Explainer } from '../util/explain.js';
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { removeAnonymousVolumes } from './volumes.js';
import { cgroupName, deleteContainerFiles, findContainer, retireContainerFiles, listNameEntries, namesDir, readNameEntry, type BrokenContainer, type Container } from './store.js';

/** What destroyContainer leaves for its caller to do once the user no longer waits. */
export interface LeftForLater {
  /** deferDir: the container's dir, moved out of the store (retireContainerFiles) */
  dir?: string;
  /** afterExit: the release of its network ports, a program for the addon's cleaner */
  network?: Buffer;
}

/** With volumes (rm -v), or for a --rm container, its anonymous volumes go too (as Docker's).
 * deferDir: the container's dir is only moved out of the store and returned, for the caller
 * to remove. afterExit (--rm at the end of run): what of its network the user need not wait
 * for is returned too (attach.ts disconnectContainer); run hands both to its cleaner. */
export async function destroyContainer(c: Container, explain: Explainer = silent, opts: { volumes?: boolean; deferDir?: boolean; afterExit?: boolean } = {}): Promise<LeftForLater> {
  await removeCgroup(cgroupName(c.config.id));
  const n = c.config.network;
  const files = (): string | undefined => {
    if (opts.deferDir) return retireContainerFiles(c);
    deleteContainerFiles(c);
    return undefined;
  };
  const left: LeftForLater = {};
  if (n?.network) {
    const { attachments, disconnectContainer, refreshHosts } = await import('../network/container/attach.js');
    left.network = await disconnectContainer(c.config.id, n, explain, { afterExit: opts.afterExit });
    left.dir = files();
    for (const a of attachments(n)) refreshHosts(a.network, hostsEntry);
  } else {
    left.dir = files();
  }
  if (opts.volumes || c.config.autoRemove) await removeAnonymousVolumes(c);
  return left;
}

/** How the container is named in the /etc/hosts files of a network it is on: its aliases
 * are that network's own. */
export function hostsEntry(id: string, network: string): { dir: string; name: string; hostname: string; aliases?: string[] } | undefined {
  try {
    const c = findContainer(id);
    const n = c.config.network;
    const aliases = n?.network === network ? n.aliases : n?.more?.find((a) => a.network === network)?.aliases;
    return { dir: c.dir, name: c.config.name, hostname: c.config.hostname, aliases };
  } catch {
    return undefined;
  }
}

/**
 * `rm -f` of a container whose record is broken: what it owns is found by its id, not by the
 * record (its cgroup and processes, addresses, port rules, name reservations, its dir).
 */
export async function destroyBroken(b: BrokenContainer, explain: Explainer = silent): Promise<void> {
  await removeCgroup(cgroupName(b.id), { explain }); // kills what still runs in it
  const { listNetworks } = await import('../network/container/store.js');
  const { addressesInUse, releaseAddress } = await import('../network/container/ipam.js');
  const { unguardPort } = await import('../network/container/antispoof.js');
  const { vethName } = await import('../network/container/attach.js');
  const { MAX_NETWORKS } = await import('../network/container/mode.js');
  // the record said which ethN each network is; without it, every host end the id can name
  const veths = Array.from({ length: MAX_NETWORKS }, (_, i) => vethName(b.id, `eth${i}`));
  let onNetwork = false;
  for (const net of listNetworks()) {
    for (const [ip, id] of addressesInUse(net.name)) {
      if (id !== b.id) continue;
      releaseAddress(net.name, ip, id);
      // its bridge ports' anti-spoofing rules, found by its id; an OVS port outlives its veth
      // (the record stays in the switch's database), so each of the id's ports on the bridge
      const ports = net.driver === 'ovs' ? new Set(await ovsPortsOf(net.bridge)) : undefined;
      for (const veth of ports ? veths.filter((v) => ports.has(v)) : [vethName(b.id)]) await unguardPort(net, b.id, veth, explain, ip);
      onNetwork = true;
    }
  }
  if (!onNetwork) await unguardPort(undefined, b.id, vethName(b.id), explain); // ebtables chains are named by id alone
  const { removeContainerRules } = await import('../network/container/firewall.js');
  await removeContainerRules(b.id, explain);
  rmSync(b.dir, { recursive: true, force: true, maxRetries: 3 });
  for (const n of listNameEntries()) {
    const e = readNameEntry(n);
    if (e && 'id' in e && e.id === b.id) unlinkSync(join(namesDir(), n));
  }
}

/** The ports of an OVS bridge ([] when OVS or the bridge is not there). */
async function ovsPortsOf(bridge: string): Promise<string[]> {
  const { listPorts, ovsRunning } = await import('../network/host/ovs.js');
  if (!(await ovsRunning())) return [];
  return listPorts(bridge).catch(() => []);
}
