import type { Command } from 'commander';

export function register(net: Command): void {
  net
    .command('capture')
    .description('tcpdump on a lab interface, in the namespace it lives in (printed as the command it is)')
    .argument('<host:iface>', 'HOST:IFACE, e.g. red:eth0; a bare IFACE is the host\'s own (a switch port)')
    .argument('[filter...]', 'a tcpdump filter, e.g. icmp or tcp port 80')
    .option('-w, --write <file>', 'write a pcap file (Wireshark opens it) instead of printing packets')
    .option('-c, --count <n>', 'stop after N packets')
    .option('-q, --quiet', 'do not show the command')
    .addHelpText('after', '\nExamples:\n  minictr net capture red:eth0 icmp\n  minictr net capture green:eth0 -c 10 -w green.pcap\n  minictr net capture ovs1-1        (a switch port, on the host)')
    .action(async (target: string, filter: string[], opts: { write?: string; count?: string; quiet?: boolean }) => {
      const { runCapture } = await import('../../../network/lab/capture.js');
      const { createOutput } = await import('../../../network/host/output.js');
      process.exitCode = await runCapture({ target, filter, write: opts.write, count: opts.count }, createOutput(!opts.quiet));
    });
}
