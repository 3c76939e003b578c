/**
 * What this process may hand a container, read from the kernel: the capabilities minictr
 * itself holds (a container can get no more: capset never raises above the caller's permitted
 * set), its hard resource limits (without CAP_SYS_RESOURCE a container's cannot be higher),
 * the kernel and architecture a seccomp profile is converted for, and for --privileged the
 * host's device nodes. The flag checks (security-options.ts) and the spec builder
 * (security-spec.ts) take these as an argument, so they stay pure and testable anywhere.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { machine, release } from 'node:os';
import { join } from 'node:path';
import type { OciDevice } from '../spec/config.js';
import { capabilitiesInMask, type CapabilityName } from './capabilities.js';

export interface HostSecurityFacts {
  /** CapPrm of this process */
  heldCaps: CapabilityName[];
  /** RLIMIT_NOFILE ... -> this process's hard limit; -1: unlimited */
  hardLimits: Record<string, number>;
  /** uname -m, uname -r */
  machine: string;
  kernel: string;
  /** --privileged: every char and block device of the host's /dev */
  hostDevices: () => OciDevice[];
}

/** /proc/self/limits' row names, as setrlimit(2) names them */
const LIMIT_ROWS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** The hard limits in a /proc/PID/limits text. */
export function parseHardLimits(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const row = Object.keys(LIMIT_ROWS).find((r) => line.startsWith(r));
    if (!row) continue;
    const [, hard] = line.slice(row.length).trim().split(/\s+/);
    out[LIMIT_ROWS[row]!] = hard === 'unlimited' ? -1 : Number(hard);
  }
  return out;
}

function statusField(name: string): string {
  const m = new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m?.[1] ?? '0';
}

/** Directories of /dev a privileged container does not get from the host (runc skips them
 * too: they are mounted or linked separately); ptmx and console: the container has its own. */
const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
const SKIP_NODES = new Set(['console', 'ptmx']);

/** dev_t as Linux encodes it (12 bits of major, 20 of minor) */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  return { major: Math.floor(rdev / 256) & 0xfff, minor: (rdev & 0xff) | (Math.floor(rdev / 4096) & 0xfff00) };
}

export function hostDevices(dir = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue; /* gone meanwhile */
    }
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...hostDevices(path));
    } else if ((st.isCharacterDevice() || st.isBlockDevice()) && !SKIP_NODES.has(name)) {
      out.push({
        type: st.isBlockDevice() ? 'b' : 'c', path, ...deviceNumbers(st.rdev), fileMode: st.mode & 0o777, uid: st.uid, gid: st.gid,
      });
    }
  }
  return out;
}

/** uname -r or -m from the kernel's /proc/sys/kernel/osrelease or arch, the same strings:
 * loading node:os (its module and binding, on first use) for them was ~0.7 M instructions of
 * each run's start (BENCHMARKS.md, "the run module's start, counted by module"). A kernel
 * without the file (older kernels have no kernel/arch) is asked through node:os (called in an
 * arrow: the bundle loads a lazy built-in at the first read of any of its names). */
function unameField(file: 'osrelease' | 'arch', fallback: () => string): string {
  try {
    return readFileSync(`/proc/sys/kernel/${file}`, 'utf8').trim();
  } catch {
    return fallback();
  }
}

export function hostSecurityFacts(): HostSecurityFacts {
  return {
    heldCaps: capabilitiesInMask(statusField('CapPrm')),
    hardLimits: parseHardLimits(readFileSync('/proc/self/limits', 'utf8')),
    machine: unameField('arch', () => machine()),
    kernel: unameField('osrelease', () => release()),
    hostDevices: () => hostDevices(),
  };
}

/** This process's oom_score_adj. */
export function ownOomScoreAdj(): number {
  return Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
}

/** Whether a child of this process may get this oom_score_adj: lowering it below the floor
 * the kernel keeps (oom_score_adj_min, not shown anywhere) needs CAP_SYS_RESOURCE, so a
 * throwaway child, which inherits both, tries it on itself. */
export function oomScoreAdjAllowed(value: number): boolean {
  if (value >= ownOomScoreAdj()) return true;
  return spawnSync('/bin/sh', ['-c', `echo ${value} > /proc/self/oom_score_adj`], { stdio: 'ignore' }).status === 0;
}
