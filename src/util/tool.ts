/**
 * The one way minictr runs a host tool (ip, tc, ovs-vsctl, ethtool, nft, tar, getfattr, ps,
 * a hook). Every failure becomes a CommandError naming the command line, so the user sees
 * which step broke and can rerun it by hand; host-command.ts adds explain output on top.
 *
 * node:child_process rather than execa: these run on the hot paths (`minictr net up` racing
 * a shell script, the network setup of every `minictr run`), where loading execa cost more
 * than the commands themselves. execa remains for the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, createReadStream, openSync } from 'node:fs';
import { constants as os } from 'node:os';
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
  /** stdin streamed from this file (e.g. /proc/self/fd/N: an inode already checked). Through
   * a pipe, not the file itself: if minictr dies, the tool sees EOF and stops too. */
  stdinFile?: string;
  /** where stdout goes: kept (default), dropped, the caller's own, or into a file */
  stdout?: 'capture' | 'ignore' | 'inherit' | { file: string };
  /** Return a non-zero exit instead of throwing. */
  allowFailure?: boolean;
  /** the environment (default: ours) */
  env?: NodeJS.ProcessEnv;
  /** argv[0] when it is not cmd (OCI hooks give both) */
  argv0?: string;
  /** kill it with SIGKILL after this long; the failure says so */
  timeoutMs?: number;
  /** how the failure names the command (default: its command line) */
  label?: string;
  /** lines of stderr that say nothing (tar's "Exiting with failure status ...") */
  noise?: RegExp;
  /** Called with the child's pid as soon as it exists, before it can have done anything of
   * its own (a lab's journal records a `minictr run` by it). */
  onSpawn?: (pid: number) => void;
}

/** Debian packages of the tools a fresh machine may lack. */
const PACKAGE: Record<string, string> = { setfattr: 'attr', getfattr: 'attr', ethtool: 'ethtool', 'ovs-vsctl': 'openvswitch-switch', nft: 'nftables', iptables: 'iptables', zstd: 'zstd', xz: 'xz-utils', ps: 'procps', tcpdump: 'tcpdump' };

function notFound(cmd: string, e: NodeJS.ErrnoException): Error {
  const pkg = PACKAGE[cmd.slice(cmd.lastIndexOf('/') + 1)];
  return e.code === 'ENOENT' ? new NotFoundError(`${cmd} is not installed${pkg ? ` (package ${pkg})` : ''}`) : new NotFoundError(`${cmd}: cannot run it (${e.message})`);
}

/** The reason a tool gave: its stderr without the lines that say nothing. */
function reasonOf(stderr: string, stdout: string, noise?: RegExp): string {
  const text = stderr || stdout;
  if (!noise) return text;
  return text.split('\n').filter((l) => l.trim() && !noise.test(l)).join('\n');
}

export function runTool(cmd: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const files: number[] = [];
    const fileFd = (path: string, flags: string): number => {
      const fd = openSync(path, flags);
      files.push(fd);
      return fd;
    };
    let child: ChildProcess;
    try {
      const stdin = opts.stdinFile !== undefined || opts.input !== undefined ? 'pipe' : 'ignore';
      const out = opts.stdout ?? 'capture';
      const stdout = out === 'capture' ? 'pipe' : typeof out === 'object' ? fileFd(out.file, 'w') : out;
      child = spawn(cmd, args, { stdio: [stdin, stdout, 'pipe'], ...(opts.env ? { env: opts.env } : {}), ...(opts.argv0 ? { argv0: opts.argv0 } : {}) });
    } catch (e) {
      for (const fd of files) closeSync(fd);
      reject(notFound(cmd, e as NodeJS.ErrnoException));
      return;
    }
    for (const fd of files) closeSync(fd);
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let timedOut = false;
    const timer = opts.timeoutMs ? setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), opts.timeoutMs) : undefined;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => reject(notFound(cmd, e)));
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const label = opts.label ?? shellLine([cmd, ...args]);
      if (timedOut) return reject(new CommandError(label, `timed out after ${opts.timeoutMs! / 1000} s`));
      const res: ToolResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: code ?? (signal ? 128 + (os.signals[signal] ?? 0) : 1),
      };
      if (res.exitCode !== 0 && !opts.allowFailure) reject(new CommandError(label, reasonOf(res.stderr, res.stdout, opts.noise) || 'failed'));
      else resolve(res);
    });
    if (opts.input !== undefined || opts.stdinFile !== undefined) {
      child.stdin!.on('error', () => undefined); // the tool may exit before reading it all
      if (opts.stdinFile !== undefined) {
        const src = createReadStream(opts.stdinFile);
        src.on('error', () => child.stdin!.destroy());
        src.pipe(child.stdin!);
      } else child.stdin!.end(opts.input);
    }
  });
}

/** GNU tar's closing words, which repeat that it failed rather than why. */
export const TAR_NOISE = /Exiting with failure status|Error is not recoverable/;

/**
 * A tool whose stdin and stdout the caller streams (a decompressor in a pipeline); `done`
 * settles with its status and stderr once it has exited.
 */
export function streamTool(cmd: string, args: readonly string[]): { child: ChildProcess; done: Promise<ToolResult> } {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const err: Buffer[] = [];
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  const done = new Promise<ToolResult>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => reject(notFound(cmd, e)));
    child.on('close', (code, signal) => resolve({ stdout: '', stderr: Buffer.concat(err).toString('utf8'), exitCode: code ?? (signal ? 128 + (os.signals[signal] ?? 0) : 1) }));
  });
  return { child, done };
}

/**
 * A command on the user's terminal (ip netns exec NAME sh): its stdio are ours, Ctrl-C is
 * its, and its exit status (128+signal when killed) comes back, as a shell would report it.
 */
export function runInteractive(cmd: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit' });
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    child.on('error', (e: NodeJS.ErrnoException) => {
      process.off('SIGINT', ignore);
      reject(notFound(cmd, e));
    });
    child.on('close', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(signal ? 128 + (os.signals[signal] ?? 0) : (code ?? 1));
    });
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
