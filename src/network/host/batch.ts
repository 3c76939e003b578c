/**
 * iproute2 batch mode. Spawning `ip` once per command dominates the cost of building a lab
 * (a 50-host chain is ~400 commands), so each namespace gets one `ip -n NS -batch -` and the
 * namespaces run in parallel. A failing line is mapped back to the action that produced it.
 */
import { CommandError } from '../../errors.js';
import { byNamespace, equivalent, type IpAction, type TcAction } from './actions.js';
import { runTool } from '../../util/tool.js';
import { quoteArg } from '../../util/shell.js';

type BatchAction = IpAction | TcAction;

/** One batch line: iproute2's batch parser splits on blanks and honours double quotes. */
function batchLine(args: readonly string[]): string {
  return args.map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)).join(' ');
}

export async function runBatch(tool: 'ip' | 'tc', ns: string | undefined, actions: readonly BatchAction[]): Promise<void> {
  if (actions.length === 0) return;
  const args = [...(ns ? ['-n', ns] : []), '-batch', '-'];
  const input = actions.map((a) => batchLine(a.args)).join('\n') + '\n';
  const res = await runTool(tool, args, { input, allowFailure: true });
  if (res.exitCode === 0) return;
  const text = `${res.stderr}\n${res.stdout}`;
  const m = /Command failed -:(\d+)/.exec(text);
  const failed = m ? actions[Number(m[1]) - 1] : undefined;
  const reason = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('Command failed'))
    .join('; ');
  if (failed) throw new CommandError(equivalent(failed), reason || 'failed');
  throw new CommandError([tool, ...args].map(quoteArg).join(' '), reason || 'failed');
}

/** Run a mixed list of ip (or tc) actions: grouped by namespace, namespaces in parallel. */
export async function runBatches(tool: 'ip' | 'tc', actions: readonly BatchAction[]): Promise<void> {
  const byNs = byNamespace(actions);
  // The host's commands go first: they create what the namespaces' commands then configure.
  const host = byNs.get('');
  if (host) await runBatch(tool, undefined, host);
  byNs.delete('');
  const results = await Promise.allSettled([...byNs].map(([ns, list]) => runBatch(tool, ns, list)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
