import type { Command } from 'commander';

export function register(net: Command): void {
  net
    .command('up')
    .description('build a YAML topology (atomic: a failure rolls back; idempotent)')
    .argument('<file>', 'topology file (see examples/*.yaml)')
    .option('-q, --quiet', 'do not show the equivalent commands')
    .action(async (file: string, opts: { quiet?: boolean }) => {
      const { loadTopology } = await import('../../../network/lab/topology/schema.js');
      const { upTopology } = await import('../../../network/lab/topology/up.js');
      const { createOutput } = await import('../../../network/host/output.js');
      const { resolve } = await import('node:path');
      const topo = await loadTopology(file);
      const out = createOutput(!opts.quiet);
      // The journal keeps the absolute path: pingall/status work from any directory later.
      const res = await upTopology(topo, { out, file: resolve(file) });
      if (res.changed) out.result(`lab ${topo.name} is up: ${topo.hosts.length} hosts, ${topo.switches.length} switches, ${topo.links.length} links`);
    });
}
