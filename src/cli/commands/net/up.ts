import type { Command } from 'commander';

export function register(net: Command): void {
  net
    .command('up')
    .description('build a YAML topology (checked whole first; atomic: a failure or Ctrl-C rolls back; idempotent)')
    .argument('<file>', 'topology file (see examples/*.yaml), or a directory written by net save')
    .option('-q, --quiet', 'do not show the equivalent commands')
    .option('--machine <name>', "a lab placed on machines: build this machine's part and its ends of the tunnels")
    .option('--max-hosts <n>', 'allow more hosts than 1000 (or MINICTR_LAB_MAX_HOSTS)')
    .option('--max-switches <n>', 'allow more switches than 1000 (or MINICTR_LAB_MAX_SWITCHES)')
    .option('--max-links <n>', 'allow more links than 4000 (or MINICTR_LAB_MAX_LINKS)')
    .action(async (file: string, opts: { quiet?: boolean; machine?: string; maxHosts?: string; maxSwitches?: string; maxLinks?: string }) => {
      const { labLimits } = await import('../../../network/lab/topology/limits.js');
      const { loadTopology } = await import('../../../network/lab/topology/schema.js');
      const { upTopology } = await import('../../../network/lab/topology/up.js');
      const { createOutput } = await import('../../../network/host/output.js');
      const { resolve } = await import('node:path');
      const { labFileOf } = await import('../../../network/lab/topology/save.js');
      file = labFileOf(file);
      const limits = labLimits({ hosts: opts.maxHosts, switches: opts.maxSwitches, links: opts.maxLinks });
      const { partOf } = await import('../../../network/lab/topology/placement.js');
      const topo = partOf(await loadTopology(file, limits), opts.machine, file);
      const out = createOutput(!opts.quiet);
      // The journal keeps the absolute path: pingall/status work from any directory later.
      const res = await upTopology(topo, { out, file: resolve(file) });
      const across = topo.part ? ` on ${topo.part.machine}, ${topo.part.tunnels.length} tunnel${topo.part.tunnels.length === 1 ? '' : 's'}` : topo.tunnels.length ? `, ${topo.tunnels.length} tunnels` : '';
      if (res.changed) out.result(`lab ${topo.name} is up${topo.part ? ` (its part)` : ''}: ${topo.hosts.length} hosts, ${topo.switches.length} switches, ${topo.links.length} links${across}`);
    });
}
