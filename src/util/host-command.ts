/**
 * Host commands with teaching output: each call can be explained (the exact command line, as
 * the student would type it, and its stdin) right where it runs. Failures are CommandErrors
 * naming the command (see tool.ts, which runs it).
 */
import type { Explainer } from './explain.js';
import { shellLine } from './shell.js';
import { runTool } from './tool.js';

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

export async function hostCommand(cmd: string, args: string[], opts: HostCommandOptions = {}): Promise<HostCommandResult> {
  if (opts.explain?.enabled) {
    const line = shellLine([cmd, ...args]);
    opts.explain.step(opts.why ?? line, opts.input !== undefined ? `${line} <<EOF\n${opts.input.trimEnd().replace(/^/gm, '      ')}\n      EOF` : line);
  }
  const r = await runTool(cmd, args, { input: opts.input, allowFailure: opts.allowFailure });
  return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr };
}
