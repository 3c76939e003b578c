/**
 * Running host tools (ip, tc, ovs-vsctl, ethtool, nft, sysctl). Every failure becomes a
 * CommandError naming the command line, so the user sees which step broke and can rerun it
 * by hand. Used by the net lab and by container networking (src/util/host-command.ts).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { CommandError, NotFoundError } from '../errors.js';
import { shellLine } from './shell.js';

export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ToolOptions {
  /** Text fed on stdin (batch mode). */
  input?: string;
  /** Return a non-zero exit instead of throwing. */
  allowFailure?: boolean;
  /** the environment (default: ours) */
  env?: NodeJS.ProcessEnv;
  /** argv[0] when it is not cmd (OCI hooks give both) */
  argv0?: string;
  /** kill it with SIGKILL after this long; the failure says so */
  timeoutMs?: number;
}

/**
 * Spawn with node:child_process rather than execa: these run on the hot paths (`minictr net
 * up` racing a shell script, the network setup of every `minictr run`), where loading execa
 * cost more than the commands themselves. execa remains for tar and the tests.
 */
export function runTool(cmd: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.argv0 ? { argv0: opts.argv0 } : {}),
    });
    let timedOut = false;
    const timer = opts.timeoutMs ? setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), opts.timeoutMs) : undefined;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new NotFoundError(`${cmd} is not installed`) : new NotFoundError(`${cmd}: cannot run it (${e.message})`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) return reject(new CommandError(shellLine([cmd, ...args]), `timed out after ${opts.timeoutMs! / 1000} s`));
      const res: ToolResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: code ?? (signal ? 128 : 1),
      };
      if (res.exitCode !== 0 && !opts.allowFailure) reject(new CommandError(shellLine([cmd, ...args]), res.stderr || res.stdout));
      else resolve(res);
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined); // the tool may exit before reading it all
      child.stdin!.end(opts.input);
    }
  });
}

/**
 * Is `cmd` on PATH? Used to pick OVS vs Linux bridge and iputils vs busybox ping. Looked up
 * in-process: a `command -v` per check cost more than the lab's own commands.
 */
export async function haveTool(cmd: string): Promise<boolean> {
  for (const dir of (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try {
      accessSync(join(dir || '.', cmd), constants.X_OK);
      return true;
    } catch {
      /* not in this directory */
    }
  }
  return false;
}
