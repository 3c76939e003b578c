/**
 * Running host tools (ip, nft, iptables, ovs-vsctl, sysctl ...) with execa. Each call can be
 * explained (the exact command line, as the student would type it) right where it runs, and a
 * failure becomes a CommandError naming the command and its own last line of error.
 */
import { execa } from 'execa';
import { CommandError } from '../errors.js';
import type { Explainer } from './explain.js';

export interface HostCommandOptions {
  explain?: Explainer;
  /** what this step does, for --explain */
  why?: string;
  /** fed to the command's stdin (ip -batch -, nft -f -) */
  input?: string;
  /** return the failure instead of throwing */
  allowFailure?: boolean;
}

export interface HostCommandResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(cmd: string, args: string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

export async function hostCommand(cmd: string, args: string[], opts: HostCommandOptions = {}): Promise<HostCommandResult> {
  if (opts.explain?.enabled) {
    const line = commandLine(cmd, args);
    opts.explain.step(opts.why ?? line, opts.input !== undefined ? `${line} <<EOF\n${opts.input.trimEnd().replace(/^/gm, '      ')}\n      EOF` : line);
  }
  const r = await execa(cmd, args, { reject: false, input: opts.input, stdin: opts.input === undefined ? 'ignore' : undefined });
  const out = { ok: r.exitCode === 0 && !r.failed, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? r.shortMessage ?? '') };
  if (!out.ok && !opts.allowFailure) throw new CommandError(commandLine(cmd, args.slice(0, 6)), out.stderr || (r.shortMessage ?? 'failed'));
  return out;
}
