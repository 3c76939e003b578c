import { Option, type Command } from 'commander';

export function register(net: Command): void {
  net
    .command('graph')
    .description("draw a topology file, or with --live what the kernel has now (including hand-made ip objects)")
    .argument('[file]', 'topology file (without it: --live)')
    .option('--live', "read the kernel's real state: namespaces, veth peers, bridges, OVS ports, addresses")
    .option('-o, --output <file>', 'write to FILE; .svg, .dot, .mmd or .json picks the format')
    .addOption(new Option('-f, --format <format>', 'format on stdout when there is no -o').choices(['svg', 'dot', 'mmd', 'json']).default('svg'))
    .option('--json', 'JSON for other tools: nodes, interfaces and addresses, links, containers (docs/net-graph.schema.json); = -f json')
    .action(async (file: string | undefined, opts: { live?: boolean; output?: string; format: 'svg' | 'dot' | 'mmd' | 'json'; json?: boolean }) => {
      if (opts.json) opts.format = 'json';
      const { writeGraph, render, formatOf } = await import('../../../network/lab/graph/write.js');
      if (opts.output) formatOf(opts.output); // a bad extension fails before any work
      let graph;
      if (file && !opts.live) {
        const { loadTopology } = await import('../../../network/lab/topology/schema.js');
        const { labLimits } = await import('../../../network/lab/topology/limits.js');
        const { fromTopology } = await import('../../../network/lab/graph/from-topology.js');
        graph = fromTopology(await loadTopology(file, labLimits()));
      } else {
        const { liveGraph } = await import('../../../network/lab/graph/live.js');
        let names: Set<string> | undefined;
        let title = 'live: every namespace';
        if (file) {
          const { loadTopology } = await import('../../../network/lab/topology/schema.js');
          const { labLimits } = await import('../../../network/lab/topology/limits.js');
          const topo = await loadTopology(file, labLimits());
          names = new Set([...topo.hosts.map((h) => h.name), ...topo.switches.map((s) => s.name)]);
          title = `live: ${topo.name}`;
        }
        // the runtime's containers are found here, so the lab library needs no runtime
        const { listContainers, isRunning } = await import('../../../runtime/store.js');
        const { vethName } = await import('../../../network/container/attach.js');
        const running = listContainers()
          .filter(isRunning)
          .map((c) => ({ name: c.config.name, ip: c.config.network?.ip, hostVeth: c.config.network?.network ? vethName(c.config.id) : undefined, pid: c.state.pid! }));
        graph = { ...(await liveGraph(running, names ? { names } : undefined)), title };
      }
      if (opts.output) {
        writeGraph(graph, opts.output);
        process.stderr.write(`wrote ${opts.output}\n`);
      } else {
        process.stdout.write(render(graph, opts.format));
      }
    });
}
