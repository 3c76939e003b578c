/**
 * `minictr net`: the network-namespace toolkit. One file per subcommand under ./net; this
 * file only groups them.
 */
import type { Command } from 'commander';
import { register as demo } from './net/demo.js';
import { register as ns } from './net/ns.js';
import { register as up } from './net/up.js';
import { register as down } from './net/down.js';
import { register as status } from './net/status.js';
import { register as exec } from './net/exec.js';
import { register as pingall } from './net/pingall.js';
import { register as graph } from './net/graph.js';
import { register as capture } from './net/capture.js';
import { register as save } from './net/save.js';

export function register(program: Command): void {
  const net = program
    .command('net')
    .description('network namespace lab: demo, namespaces, topologies, pictures')
    .addHelpText(
      'after',
      `
Examples:
  minictr net demo                      red/green lab with every ip/ovs-vsctl command shown
  minictr net demo --keep               ...and leave it up: ip netns exec red ping 10.0.0.2
  minictr net up examples/router.yaml   build a topology from a file
  minictr net up examples/two-machines/lab.yaml --machine vm1
                                        this machine's part of a lab across machines (VXLAN/GRE)
  minictr net exec h1 -- ping -c1 h2    run a command in a lab host (names resolve)
  minictr net exec --all -- ip -br addr every lab host, each line prefixed by its host
  minictr net capture h1:eth0 -w h1.pcap tcpdump in h1's namespace, into a pcap
  minictr net graph --live -o lab.svg   draw what the kernel has now
  minictr net save lab1 saved/          the lab as it is now; minictr net up saved/ rebuilds it`,
    );
  for (const r of [demo, ns, up, down, status, exec, pingall, graph, capture, save]) r(net);
}
