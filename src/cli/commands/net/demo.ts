import { Option, type Command } from 'commander';

export function register(net: Command): void {
  net
    .command('demo')
    .description('build the red/green lab (two namespaces, veth pairs, a switch, 10.0.0.1 <-> 10.0.0.2), prove it, tear it down')
    .addOption(new Option('--bridge <kind>', 'switch: Open vSwitch (default when installed) or Linux bridge').choices(['ovs', 'linux']))
    .option('--step', 'wait for Enter between steps (class mode)')
    .option('--keep', 'leave the lab up to explore with ip netns exec red ...')
    .option('--down', 'remove a lab left by --keep')
    .option('--no-proof', 'skip the pings and the proof (with --keep: only build the lab)')
    .option('-q, --quiet', 'do not show the equivalent commands')
    .option('--graph <file>', 'also write a picture of the lab (.svg, .dot or .mmd)')
    .action(async (opts: { bridge?: 'ovs' | 'linux'; step?: boolean; keep?: boolean; down?: boolean; quiet?: boolean; graph?: string; proof?: boolean }) => {
      const { runDemo, demoDown } = await import('../../../network/lab/demo.js');
      const { createOutput } = await import('../../../network/host/output.js');
      const out = createOutput(!opts.quiet);
      if (opts.down) {
        out.result((await demoDown(out)) ? 'the demo lab is down' : 'no demo lab is up: nothing to do');
        return;
      }
      await runDemo(opts, out);
    });
}
