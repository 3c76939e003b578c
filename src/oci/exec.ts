/**
 * `minictr-oci exec`: another process in a running container, from `--process FILE` (an OCI
 * process object, as containerd and conmon pass it) or from arguments on top of the
 * container's own process. It joins every namespace of the container's process and its
 * cgroup, and gets the container's seccomp filter. With --detach this command returns once
 * it runs: the process is adopted by the caller's subreaper, which waits for it.
 */
import { isAbsolute, resolve } from 'node:path';
import { joinCgroup } from '../cgroup/cgroup.js';
import { CLONE, initBinaryPath, native } from '../native/index.js';
import { lastCap } from '../runtime/launch.js';
import { toEnterRecord } from '../runtime/native-spec.js';
import { attachTerminal } from '../runtime/terminal.js';
import { forwardSignals } from '../runtime/signals.js';
import { readBoundedFile } from '../util/bounded-read.js';
import type { Explainer } from '../util/explain.js';
import { writeFileAtomic } from '../util/json-file.js';
import { OciError } from './errors.js';
import { parseSpec, SpecError } from '../spec/parse.js';
import type { NamespaceType, OciProcess, OciSpec } from '../spec/config.js';
import { statusOf } from './status.js';
import { loadRecord } from './store.js';

export interface ExecOptions {
  root: string;
  id: string;
  processFile?: string;
  args: string[];
  cwd?: string;
  env: string[];
  user?: string;
  caps: string[];
  tty: boolean;
  noNewPrivs?: boolean;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  explain: Explainer;
}

const NS_FLAG: Record<Exclude<NamespaceType, 'time'>, number> = {
  user: CLONE.NEWUSER, cgroup: CLONE.NEWCGROUP, ipc: CLONE.NEWIPC, uts: CLONE.NEWUTS, network: CLONE.NEWNET, pid: CLONE.NEWPID, mount: CLONE.NEWNS,
};

/** The process to run: the file's, or the container's own with the arguments' changes. */
export function execProcess(spec: OciSpec, o: Pick<ExecOptions, 'processFile' | 'args' | 'cwd' | 'env' | 'user' | 'caps' | 'tty' | 'noNewPrivs'>): OciProcess {
  if (o.processFile) {
    const text = readBoundedFile(o.processFile, 4 * 1024 * 1024, '--process');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new OciError(`--process ${o.processFile}: invalid JSON (${(err as Error).message})`);
    }
    // checked as the process of a config.json would be
    return parseSpec({ ociVersion: spec.ociVersion || '1.0.0', process: json }, `--process ${o.processFile}`).process!;
  }
  if (!o.args.length) throw new OciError('exec needs a command (or --process FILE)', 'usage');
  const base = spec.process!;
  let user = base.user;
  if (o.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(o.user);
    if (!m) throw new OciError(`invalid --user "${o.user}": expected UID[:GID]`, 'usage');
    user = { uid: Number(m[1]), gid: Number(m[2] ?? 0) };
  }
  const env = new Map((base.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv]));
  for (const kv of o.env) {
    if (!kv.includes('=')) throw new OciError(`invalid --env "${kv}": expected KEY=VALUE`, 'usage');
    env.set(kv.slice(0, kv.indexOf('=')), kv);
  }
  const caps = base.capabilities ?? {};
  const add = (set: string[] | undefined): string[] => [...new Set([...(set ?? []), ...o.caps])];
  const p: OciProcess = {
    ...base,
    args: o.args,
    cwd: o.cwd ?? base.cwd,
    env: [...env.values()],
    user,
    terminal: o.tty,
    ...(o.caps.length ? { capabilities: { ...caps, bounding: add(caps.bounding), effective: add(caps.effective), permitted: add(caps.permitted) } } : {}),
    ...(o.noNewPrivs ? { noNewPrivileges: true } : {}),
  };
  delete p.consoleSize;
  if (!isAbsolute(p.cwd)) throw new SpecError(`--cwd ${p.cwd} is not an absolute path`);
  return p;
}

export async function execInContainer(o: ExecOptions): Promise<number> {
  const r = loadRecord(o.root, o.id);
  const status = statusOf(o.root, r);
  if (status !== 'running' && status !== 'created') throw new OciError(`cannot exec in a ${status} container`, status === 'stopped' ? 'not-running' : 'failed');
  const p = execProcess(r.spec, o);
  if (p.terminal && !o.consoleSocket) throw new OciError('a terminal was asked for: --console-socket is required to hand it over');
  let nsFlags = 0;
  for (const ns of r.spec.linux?.namespaces ?? []) if (ns.type !== 'time') nsFlags |= NS_FLAG[ns.type];
  let seccomp;
  if (r.spec.linux?.seccomp) {
    const { compileSeccomp } = await import('../security/seccomp.js');
    const c = compileSeccomp(r.spec.linux.seccomp);
    seccomp = { filter: c.filter, flags: c.flags };
  }
  const cgroup = joinCgroup(r.cgroupName);
  const addon = native();
  const entered = addon.enter(toEnterRecord(p, {
    pid: r.pid!,
    nsFlags,
    stdio: [0, 1, 2],
    detach: o.detach,
    preserveFds: o.preserveFds,
    cgroupFd: cgroup.cloneFd,
    cgroupProcs: cgroup.procsFiles,
    explainFd: o.explain.enabled ? 2 : -1,
    initPath: initBinaryPath(),
    seccomp,
    lastCap: lastCap(),
  }));
  const middle = addon.wait(entered.pid);
  if (entered.error) {
    await middle;
    throw new OciError(entered.error);
  }
  const inner = entered.innerPid > 0 ? entered.innerPid : entered.pid;
  if (entered.ptyMaster >= 0 && o.consoleSocket) {
    try {
      addon.sendFdToSocket(o.consoleSocket, entered.ptyMaster);
    } finally {
      if (o.detach) addon.close(entered.ptyMaster);
    }
  }
  if (o.pidFile) writeFileAtomic(isAbsolute(o.pidFile) ? o.pidFile : resolve(o.pidFile), String(inner));
  if (o.detach) {
    await middle;
    return 0;
  }
  const stop = forwardSignals(inner);
  const terminal = entered.ptyMaster >= 0 && !o.consoleSocket ? attachTerminal(entered.ptyMaster, true) : undefined;
  try {
    return (await middle).exitCode;
  } finally {
    terminal?.restore();
    stop();
    if (entered.ptyMaster >= 0 && o.consoleSocket) addon.close(entered.ptyMaster);
  }
}
