/**
 * `net capture HOST:IFACE`: tcpdump on one interface of a lab, in the namespace it lives in
 * (`ip netns exec HOST tcpdump ...`; a bare IFACE is the host's own, such as a switch port).
 * The argv is built once: printed as the command it is, then run with the terminal attached,
 * so Ctrl-C ends tcpdump (which writes what it has and its counts) and not us.
 */
import { UsageError, NotFoundError } from '../../errors.js';
import { shellLine } from '../../util/shell.js';
import { haveTool, runInteractive, runTool } from '../../util/tool.js';
import { checkIfName, checkNetnsName } from '../host/names.js';
import { netnsExists } from '../host/netns.js';
import type { NetOutput } from '../host/output.js';

export interface CaptureRequest {
  /** HOST:IFACE, or IFACE in the host's namespace */
  target: string;
  /** -w FILE: a pcap (Wireshark opens it); without it, live text */
  write?: string;
  /** -c N: stop after N packets */
  count?: string;
  /** the pcap-filter(7) expression, word by word */
  filter: string[];
}

export interface CapturePlan {
  ns?: string;
  ifname: string;
  argv: string[];
}

/** The command, checked: names by their rules, N a positive whole number. Pure. */
export function planCapture(req: CaptureRequest): CapturePlan {
  const parts = req.target.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new UsageError(`capture ${JSON.stringify(req.target.slice(0, 40))}: expected HOST:IFACE (or IFACE on the host)`);
  const [ns, ifname] = parts.length === 2 ? [parts[0], parts[1]!] : [undefined, parts[0]!];
  if (ns !== undefined) checkNetnsName(ns, 'capture');
  checkIfName(ifname, 'capture');
  if (req.count !== undefined && !/^[1-9]\d{0,8}$/.test(req.count)) throw new UsageError(`capture -c ${JSON.stringify(req.count.slice(0, 20))}: expected a number of packets (1 or more)`);
  const tcpdump = [
    'tcpdump', '-i', ifname,
    // numbers, not names: a lab's addresses are in no DNS, and a lookup per packet stalls
    '-n',
    // to a file: each packet written as it comes (-U), so a capture ended by Ctrl-C or a kill
    // has them all; to the terminal: each line as it comes (-l)
    ...(req.write !== undefined ? ['-U', '-w', req.write] : ['-l']),
    ...(req.count !== undefined ? ['-c', req.count] : []),
    // the filter is tcpdump's expression, never more options
    ...(req.filter.length ? ['--', ...req.filter] : []),
  ];
  return { ns, ifname, argv: ns ? ['ip', 'netns', 'exec', ns, ...tcpdump] : tcpdump };
}

/** Checks what the machine has, prints the command, runs it; tcpdump's exit status. */
export async function runCapture(req: CaptureRequest, out: NetOutput): Promise<number> {
  const plan = planCapture(req);
  if (!(await haveTool('tcpdump'))) throw new NotFoundError('tcpdump is not installed (package tcpdump)');
  if (plan.ns && !netnsExists(plan.ns)) throw new NotFoundError(`capture: no namespace ${plan.ns} (see minictr net status, minictr net ns ls)`);
  const link = await runTool('ip', [...(plan.ns ? ['-n', plan.ns] : []), 'link', 'show', 'dev', plan.ifname], { allowFailure: true });
  if (link.exitCode !== 0) throw new NotFoundError(`capture: ${plan.ns ? `host ${plan.ns}` : 'the host'} has no interface ${plan.ifname}`);
  out.explain.step(`capture on ${plan.ns ? `${plan.ns}:` : ''}${plan.ifname}${req.write !== undefined ? ` into ${req.write}` : ''}`, shellLine(plan.argv));
  return runInteractive(plan.argv[0]!, plan.argv.slice(1));
}
