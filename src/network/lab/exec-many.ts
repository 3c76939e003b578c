/**
 * `net exec --all` / `--hosts h1,h2`: one command on many lab hosts at once (Mininet's
 * `px`, containerlab's `exec --label`), each as `ip netns exec HOST CMD` (so the lab's host
 * names resolve), its output kept whole and printed host by host, every line prefixed by its
 * host, in the order the hosts were named.
 */
import { NotFoundError, UsageError } from '../../errors.js';
import { mapLimited } from '../../util/limited.js';
import { runTool } from '../../util/tool.js';
import { checkNetnsName } from '../host/names.js';
import { netnsExists } from '../host/netns.js';

export interface HostOutput {
  host: string;
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** --hosts h1,h2: each name checked and existing, none twice. */
export function parseHostList(list: string): string[] {
  const hosts = list.split(',').map((h) => h.trim());
  for (const h of hosts) {
    if (!h) throw new UsageError(`--hosts ${JSON.stringify(list.slice(0, 40))}: an empty name (expected h1,h2,...)`);
    checkNetnsName(h, '--hosts');
  }
  return [...new Set(hosts)];
}

/** Run argv on every host, at most `width` at a time; results in the hosts' order. */
export async function execOnHosts(hosts: readonly string[], argv: readonly string[], width = 16): Promise<HostOutput[]> {
  if (argv.length === 0) throw new UsageError('exec on many hosts needs a command (after --)');
  const missing = hosts.filter((h) => !netnsExists(h));
  if (missing.length) throw new NotFoundError(`no namespace ${missing.join(', ')} (see minictr net status)`);
  return mapLimited(hosts, width, async (host) => ({ host, ...(await runTool('ip', ['netns', 'exec', host, ...argv], { allowFailure: true })) }));
}

/** Each line as "HOST: line"; a last line without its newline gets one. */
export function prefixed(host: string, text: string): string {
  if (!text) return '';
  return text.replace(/\n$/, '').split('\n').map((l) => `${host}: ${l}\n`).join('');
}

/**
 * The command line's `exec --all | --hosts`: the hosts (--hosts as listed; --all every host of
 * every lab that is up), the outputs printed host by host. The status is 0 when every host's
 * command succeeded, else the first failure's, each failure also named on stderr.
 */
export async function runOnMany(opts: { all?: boolean; hosts?: string }, argv: readonly string[]): Promise<number> {
  if (opts.all && opts.hosts !== undefined) throw new UsageError('net exec: --all or --hosts, not both');
  let hosts: string[];
  if (opts.hosts !== undefined) hosts = parseHostList(opts.hosts);
  else {
    const { labTopologies } = await import('./topology/target.js');
    hosts = [...new Set((await labTopologies(undefined)).flatMap((t) => t.hosts.map((h) => h.name)))];
  }
  let status = 0;
  for (const r of await execOnHosts(hosts, argv)) {
    process.stdout.write(prefixed(r.host, r.stdout));
    process.stderr.write(prefixed(r.host, r.stderr));
    if (r.exitCode !== 0) {
      process.stderr.write(`minictr: ${r.host}: exit status ${r.exitCode}\n`);
      status ||= r.exitCode;
    }
  }
  return status;
}
