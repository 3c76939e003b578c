import type { Command } from 'commander';
import { basename } from 'node:path';

export function register(program: Command): void {
  const network = program.command('network').description('manage container networks (bridges with their own subnet)');
  network
    .command('create')
    .description('create a network: a host bridge, a subnet, NAT')
    .argument('<name>', 'network name')
    .option('--subnet <cidr>', 'IPv4 subnet, e.g. 10.89.0.0/24 (default: the next free 10.89.x.0/24)')
    .option('--driver <driver>', 'linux (a Linux bridge) or ovs (Open vSwitch)', 'linux')
    .action(async (name: string, o: { subnet?: string; driver: string }) => {
      const { UsageError } = await import('../../errors.js');
      const { createNetwork } = await import('../../network/container/attach.js');
      const { writeSync } = await import('node:fs');
      if (o.driver !== 'linux' && o.driver !== 'ovs') throw new UsageError(`invalid --driver "${o.driver}": linux or ovs`);
      const net = await createNetwork(name, { subnet: o.subnet, driver: o.driver });
      writeSync(1, `${net.name}\n`);
    });
  network
    .command('ls')
    .description('list networks')
    .action(async () => {
      const { scanNetworks } = await import('../../network/container/store.js');
      const { containersOn } = await import('../../network/container/attach.js');
      const { table } = await import('../../util/format.js');
      const { writeSync } = await import('node:fs');
      const { networks, broken } = scanNetworks();
      const rows = networks.map((n) => [n.name, n.driver, n.bridge, n.subnet, n.gateway, String(containersOn(n.name).length)]);
      for (const b of broken) rows.push([basename(b.path, '.json'), 'broken', '?', '?', '?', '?']);
      writeSync(1, table(['NAME', 'DRIVER', 'BRIDGE', 'SUBNET', 'GATEWAY', 'CONTAINERS'], rows));
      for (const b of broken) writeSync(2, `minictr: broken network record ${b.path}: ${b.problem} (kept; see 'minictr system check')\n`);
    });
  network
    .command('inspect')
    .description('print networks as JSON, with their containers and addresses')
    .argument('<name...>', 'network names')
    .action(async (names: string[]) => {
      const { findNetwork } = await import('../../network/container/store.js');
      const { addressesInUse } = await import('../../network/container/ipam.js');
      const { NotFoundError } = await import('../../errors.js');
      const { writeSync } = await import('node:fs');
      const out = names.map((n) => {
        const net = findNetwork(n);
        if (!net) throw new NotFoundError(`no such network: ${n}`);
        return { ...net, Containers: Object.fromEntries([...addressesInUse(n)].map(([ip, id]) => [id, { IPv4Address: ip }])) };
      });
      writeSync(1, `${JSON.stringify(out, null, 2)}\n`);
    });
  network
    .command('connect')
    .description('connect a container to a network: it gets the next interface (eth1, eth2...) and an address there, at once if it runs')
    .argument('<network>', 'network name')
    .argument('<container>', 'container name or id')
    .option('--alias <name>', 'another name of the container on this network (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--explain', 'print each host command', false)
    .action(async (net: string, ref: string, o: { alias: string[]; explain: boolean }) => {
      const { connectNetwork } = await import('../../runtime/network-connect.js');
      const { createExplainer } = await import('../../util/explain.js');
      const { writeSync } = await import('node:fs');
      await connectNetwork(net, ref, { aliases: o.alias, explain: createExplainer(o.explain, (s) => writeSync(2, s)) });
    });
  network
    .command('disconnect')
    .description('disconnect a container from a network it joined after its first (its interface is removed at once if it runs)')
    .argument('<network>', 'network name')
    .argument('<container>', 'container name or id')
    .option('--explain', 'print each host command', false)
    .action(async (net: string, ref: string, o: { explain: boolean }) => {
      const { disconnectNetwork } = await import('../../runtime/network-connect.js');
      const { createExplainer } = await import('../../util/explain.js');
      const { writeSync } = await import('node:fs');
      await disconnectNetwork(net, ref, { explain: createExplainer(o.explain, (s) => writeSync(2, s)) });
    });
  network
    .command('rm')
    .description('remove networks (their bridge and firewall rules); -f even with containers attached')
    .argument('<name...>', 'network names')
    .option('-f, --force', 'remove even if containers are attached', false)
    .option('--explain', 'print each host command', false)
    .action(async (names: string[], o: { force: boolean; explain: boolean }) => {
      const { removeNetwork } = await import('../../network/container/attach.js');
      const { listContainers } = await import('../../runtime/store.js');
      const { createExplainer } = await import('../../util/explain.js');
      const { writeSync } = await import('node:fs');
      // a --rm container that has ended is no user (runtime/pending-removal.ts)
      await (await import('../../runtime/pending-removal.js')).awaitPendingRemovals();
      const ids = new Set(listContainers().map((c) => c.config.id));
      const { sweepLeases } = await import('../../runtime/lease-sweep.js');
      for (const n of names) {
        const explain = createExplainer(o.explain, (s) => writeSync(2, s));
        // a killed --rm run's leftover lease is not a user: freed before the in-use check (lease-sweep.ts)
        for (const k of (await sweepLeases(n, explain)).kept) writeSync(2, `minictr: kept ${k}\n`);
        await removeNetwork(n, o.force, explain, (id) => ids.has(id));
        writeSync(1, `${n}\n`);
      }
    });
}
