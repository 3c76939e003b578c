/**
 * Machines emulated on one host, for labs across machines: each is a network namespace the
 * test makes (with an underlay address of its own), and minictr runs *inside* it as on a VM:
 * its network namespace, a sysfs of that namespace in a mount namespace of its own (so
 * /sys/class/net is the machine's links), /run/netns still shared with the host (the lab's
 * namespaces are the host's), and its own state directory (MINICTR_RUN).
 */
import { execa } from 'execa';
import { join } from 'node:path';
import { BIN } from './cli.js';

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** minictr ARGS on the machine whose network namespace is ns (undefined: this host itself). */
export async function minictrOn(ns: string | undefined, state: string, args: string[]): Promise<Run> {
  const script = 'mount --make-rprivate /sys && mount -t sysfs none /sys && exec "$@"';
  const argv = ns === undefined ? [BIN, ...args] : ['nsenter', `--net=/run/netns/${ns}`, 'unshare', '-m', '--propagation', 'unchanged', 'sh', '-c', script, 'sh', BIN, ...args];
  const r = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    stdin: 'ignore',
    timeout: 150_000,
    env: { MINICTR_RUN: join(process.env.MINICTR_RUN ?? '/tmp', state) },
  });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The devices a tunnel module makes in every namespace as it loads (ip_gre, ip_tunnel, sit...). */
const FALLBACK = /^(gre0|gretap0|erspan0|ip6gre0|ip6tnl0|ip_vti0|ip6_vti0|sit0|tunl0)$/;

/** The links of a machine (a namespace) other than lo, the kernel's fallback tunnel devices and those starting with keep. */
export async function machineLinks(ns: string, keep: string): Promise<string[]> {
  const r = await execa('ip', ['-n', ns, '-o', 'link', 'show'], { reject: false });
  return String(r.stdout)
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter((n): n is string => !!n && n !== 'lo' && !FALLBACK.test(n) && !n.startsWith(keep));
}
