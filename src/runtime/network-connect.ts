/**
 * `minictr network connect [--alias A] NET CTR` and `network disconnect NET CTR` (Docker's):
 * a container joins or leaves a bridge network after it was made. It gets the next free
 * interface (eth1, eth2...) with an address of that network; running, the interface is
 * plugged in (or removed) at once, as `ip addr` inside shows; stopped, only the record
 * changes and its next start wires it. The network's /etc/hosts files learn (or forget) it.
 */
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import { attachments, dropHostsSection, nextIfname, plugInterface, refreshHosts, releaseInterface, reserveAddress, unplugInterface, type NetworkAttachment } from '../network/container/attach.js';
import type { Explainer } from '../util/explain.js';
import { hostsEntry } from './destroy.js';
import { withContainerLock } from './lifecycle.js';
import { parseNetworkAliases } from './options.js';
import { findContainer, isRunning, saveConfig, type Container } from './store.js';

/** The container's network record, which only a container on a bridge network has. */
function bridged(c: Container, what: string): NonNullable<Container['config']['network']> {
  const n = c.config.network;
  if (!n?.network) throw new ConflictError(`cannot ${what}: container ${c.config.name} has --network ${n?.mode ?? 'none'}, which shares no bridge network`);
  return n;
}

export async function connectNetwork(network: string, ref: string, o: { aliases: string[]; explain: Explainer }): Promise<NetworkAttachment> {
  const found = findContainer(ref);
  return withContainerLock(found, async () => {
    const c = findContainer(found.config.id);
    const n = bridged(c, `connect ${c.config.name} to ${network}`);
    if (attachments(n).some((a) => a.network === network)) throw new ConflictError(`container ${c.config.name} is already on network ${network}`);
    const aliases = parseNetworkAliases(o.aliases, '--alias');
    if (aliases && network === 'bridge') throw new UsageError('--alias needs a user network, not the default bridge');
    const ifname = nextIfname(n);
    const { ip } = await reserveAddress(network, c.config.id);
    const a: NetworkAttachment = { network, ip, ifname, ...(aliases ? { aliases } : {}) };
    const before = n.more;
    n.more = [...(n.more ?? []), a];
    saveConfig(c);
    if (isRunning(c)) {
      try {
        await plugInterface(c.config.id, c.state.pid!, a, o.explain);
      } catch (err) {
        // nothing half-made: the link (if made) goes, and so do its rules and address
        await unplugInterface(c.config.id, c.state.pid!, a, o.explain).catch(() => undefined);
        await releaseInterface(c.config.id, a, o.explain);
        n.more = before;
        saveConfig(c);
        throw err;
      }
    }
    refreshHosts(network, hostsEntry);
    return a;
  });
}

export async function disconnectNetwork(network: string, ref: string, o: { explain: Explainer }): Promise<void> {
  const found = findContainer(ref);
  await withContainerLock(found, async () => {
    const c = findContainer(found.config.id);
    const n = bridged(c, `disconnect ${c.config.name} from ${network}`);
    const a = attachments(n).find((x) => x.network === network);
    if (!a) throw new NotFoundError(`container ${c.config.name} is not on network ${network}`);
    if (a.ifname === 'eth0') throw new ConflictError(`cannot disconnect ${c.config.name} from ${network}: it is its first network (eth0, with its default route and published ports); run it again without it`);
    if (isRunning(c)) await unplugInterface(c.config.id, c.state.pid!, a, o.explain);
    await releaseInterface(c.config.id, a, o.explain);
    const more = (n.more ?? []).filter((x) => x.network !== network);
    if (more.length) n.more = more;
    else delete n.more;
    saveConfig(c);
    dropHostsSection(c.dir, network);
    refreshHosts(network, hostsEntry);
  });
}
