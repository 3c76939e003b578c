/**
 * Pinging from inside a namespace. iputils ping is preferred; busybox's ping is a fallback on
 * minimal machines (their reply lines share the "time=X ms" shape we parse).
 */
import { NotFoundError } from '../../errors.js';
import { haveTool, runTool } from '../../util/tool.js';

let pingBinary: string[] | undefined;

export async function pingCommand(): Promise<string[]> {
  if (pingBinary) return pingBinary;
  if (await haveTool('ping')) return (pingBinary = ['ping']);
  if (await haveTool('busybox')) return (pingBinary = ['busybox', 'ping']);
  throw new NotFoundError('no ping command: apt-get install iputils-ping');
}

export interface PingResult {
  from: string;
  to: string;
  sent: number;
  received: number;
  rtts: number[];
  /** Why it failed, in ping's own words, when nothing came back. */
  error?: string;
}

/** The ping command line run inside the namespace (also what explain output shows). */
export async function pingArgv(to: string, count = 1, intervalSec = 0.2): Promise<string[]> {
  return [...(await pingCommand()), '-c', String(count), '-W', '1', ...(count > 1 ? ['-i', String(intervalSec)] : []), to];
}

export async function ping(ns: string, to: string, count = 1): Promise<PingResult> {
  const argv = await pingArgv(to, count);
  const res = await runTool('ip', ['netns', 'exec', ns, ...argv], { allowFailure: true });
  const rtts = [...res.stdout.matchAll(/time[=<]([\d.]+) ?ms/g)].map((m) => Number(m[1]));
  const result: PingResult = { from: ns, to, sent: count, received: rtts.length, rtts };
  if (rtts.length === 0) {
    const why = `${res.stderr}\n${res.stdout}`
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /unreachable|error|fail|unknown|bad address|packet loss|not known|cannot/i.test(l));
    result.error = why.pop() ?? `exit status ${res.exitCode}`;
  }
  return result;
}

export function summarize(rtts: readonly number[]): string {
  if (rtts.length === 0) return 'no replies';
  const min = Math.min(...rtts);
  const max = Math.max(...rtts);
  const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
  return `rtt min/avg/max ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)} ms`;
}
