/**
 * The one core that starts a container's first process from its OCI spec, for both
 * `minictr run` and `minictr-oci create`/`run`:
 *   limits checked -> cgroup made and limited -> C child cloned into its namespaces (and
 *   cgroup), waiting -> id maps written (user namespace) -> (run --userns=remap: its root
 *   made of idmapped layers, native/src/idmap.c) -> (v1 cgroup placement, only when there are
 *   host-side hooks to see it) -> oom_score_adj -> prestart/createRuntime hooks -> host-side
 *   wiring (the caller's: a bridge network) -> "go": the child joins its v1 cgroups itself,
 *   builds the container and execs (or, for OCI create, waits on its exec fifo for `start`).
 * A failure at any step kills the child and removes the cgroup it made.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { checkLimitsSupported } from '../cgroup/apply.js';
import { createCgroup, removeCgroup, type Cgroup } from '../cgroup/cgroup.js';
import { applyDeviceRules, DEFAULT_DEVICE_RULES, deviceCgroupTarget } from '../cgroup/devices.js';
import { limitsFromResources } from '../cgroup/resources.js';
import { MinictrError } from '../errors.js';
import { CLONE, initBinaryPath, isStepError, native, type DetachRecord, type NativeAddon, type NativeStepError, type NetConfigRecord, type SpawnRecord } from '../native/index.js';
import { runHostHooks } from './hooks.js';
import type { StepName, StepPauser } from './step-pause.js';
import type { OciIdMapping, OciSpec, OciState } from '../spec/config.js';
import type { Explainer } from '../util/explain.js';
import { profileMark } from '../util/profile.js';
import { toSpawnRecord } from './native-spec.js';
import { signalProcess } from './signals.js';

/** A failure of the runtime itself, or of a step of the container's set-up (exit status
 * 125, as docker run): the message names the step and its errno. */
export class ContainerStartError extends MinictrError {
  constructor(message: string, exitCode = 125) {
    super(message, exitCode);
  }

  /** From a failed step: a command not found is 127, one not executable 126 (docker's codes). */
  static fromStep(err: NativeStepError | { step: string; errno: number; message: string }): ContainerStartError {
    const exec = err.step.startsWith('exec:');
    return new ContainerStartError(err.message, exec && err.errno === 2 ? 127 : exec && err.errno === 13 ? 126 : 125);
  }
}

export interface LaunchOptions {
  id: string;
  /** where the spec came from (root.path and bind sources may be relative to it) */
  bundle: string;
  spec: OciSpec;
  /** the cgroup, below a minictr-owned top (minictr/<id>, minictr-oci/...) */
  cgroupName: string;
  /** a leftover cgroup of this name with processes: kill them (minictr run) or refuse (OCI) */
  killLeftoverCgroup?: boolean;
  /** minictr run: the overlay mounted at root.path */
  overlay?: string;
  /** minictr run --userns=remap, instead of overlay: its parts, for an overlay of idmapped
   * clones of the layers made outside the user namespace and handed to the child */
  idmappedOverlay?: { layers: string[]; upperdir: string; workdir: string; rootfs: string };
  /** minictr run: bind mounts (by destination) of empty volumes, filled with the image's files */
  volumeCopyUp?: string[];
  initMode: 'pid1' | 'exec';
  stdio: [number, number, number];
  explain: Explainer;
  explainFd: number;
  dieWithParent: boolean;
  noPivot?: boolean;
  preserveFds?: number;
  /** join a fresh session keyring (runc's default; --no-new-keyring turns it off) */
  newKeyring: boolean;
  /** minictr run: compiled seccomp filters are kept under MINICTR_ROOT/cache/seccomp
   * (security/seccomp-cache.ts); minictr-oci, whose state is the engine's, compiles each time */
  seccompCache?: boolean;
  /** OCI create: the child waits on this fifo until `start` */
  execFifo?: string;
  netConfig?: NetConfigRecord;
  detach?: DetachRecord;
  /** the state hooks are given (status "creating" during create) */
  state: (pid: number) => OciState;
  /** host-side work while the child waits (wiring the bridge network's veth) */
  beforeStart?: (pid: number) => Promise<void>;
  /** run --step: wait before each step, the parent's here and the child's (it stops in C) */
  pause?: StepPauser;
}

export interface Launched {
  pid: number;
  /** the pty master when process.terminal (-1 otherwise) */
  ptyMaster: number;
  /** detached (run -d): the socket to hand the monitor the pty master (shared by the
   * containers of one monitor: launchDetached's caller closes it), else -1 */
  ctlFd: number;
  /** detached: the container's index among its monitor's, for sendFd */
  monitorIndex: number;
  cgroup: Cgroup;
}

export function lastCap(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return 40;
  }
}

const mapLines = (m: OciIdMapping[]): string => m.map((e) => `${e.containerID} ${e.hostID} ${e.size}`).join('\n') + '\n';

/** The parent's half of a user namespace: who container root is on the host. */
function writeIdMaps(pid: number, spec: OciSpec, explain: Explainer): void {
  const linux = spec.linux!;
  for (const [file, maps] of [['uid_map', linux.uidMappings!], ['gid_map', linux.gidMappings!]] as const) {
    const text = mapLines(maps);
    explain.step(`map ${file === 'uid_map' ? 'user' : 'group'} ids of the new user namespace to the host's`, `echo '${text.trim().replace(/\n/g, '\\n')}' > /proc/${pid}/${file}`);
    writeFileSync(`/proc/${pid}/${file}`, text);
  }
}

/**
 * The child's root as --userns=remap has it: image layers that keep their in-image owners
 * for the container's root (host uid 100000). Where the kernel, or the filesystem the layers
 * are on, has no idmapped mounts, the container is refused with what is missing: minictr does
 * not fall back to a chowned copy of the layers (README, "Security").
 */
function idmappedRoot(pid: number, parts: NonNullable<LaunchOptions['idmappedOverlay']>, explainFd: number): number {
  try {
    return native().idmappedOverlay({ pid, ...parts, explainFd }).mountFd;
  } catch (err) {
    if (isStepError(err) && /^(open_tree\(\S+\/diff,|mount_setattr|mount\(overlay of idmapped)/.test(err.step)) {
      throw new ContainerStartError(`--userns=remap needs idmapped image layers, which this host refuses: ${err.message} (they need kernel >= 5.12, overlayfs >= 5.19, and under MINICTR_ROOT a filesystem that allows them: ext4, xfs, btrfs, tmpfs >= 6.3)`);
    }
    throw err;
  }
}

/** A container made ready to clone: its cgroup made and limited, its spawn record built. */
interface PreparedLaunch {
  o: LaunchOptions;
  record: SpawnRecord;
  cgroup: Cgroup;
  childJoinsV1: boolean;
}

/** The child as the addon cloned it (spawn, or one of spawnDetached's children). */
interface SpawnedChild {
  pid: number;
  syncFd: number;
  intoCgroup: boolean;
}

/** The most containers one minictr-monitor keeps (CTR_MONITOR_MAX_CONTAINERS,
 * native/src/minictr.h, which says why 32): a bigger group is cloned under one monitor per
 * so many. */
export const MONITOR_MAX_CONTAINERS = 32;

export async function launch(o: LaunchOptions): Promise<Launched> {
  if (o.detach) {
    const { results, ctlFds } = await launchDetached([o]);
    const r = results[0]!;
    if (r instanceof Error) {
      for (const fd of ctlFds) native().close(fd);
      throw r;
    }
    return r;
  }
  const p = await prepareLaunch(o);
  let child: SpawnedChild;
  try {
    child = native().spawn(p.record);
  } catch (err) {
    throw await abortPrepared(p, err);
  }
  return finishLaunch(p, child, { fd: -1, index: 0 });
}

/** Containers of one `run -d --replicas N` (or one `run -d`), MONITOR_MAX_CONTAINERS at a
 * time: each prepared, all cloned by one process that then becomes their monitor, then each
 * started in turn. A container that fails is its own result (an Error, what it made undone);
 * the others go on. The caller closes ctlFds once it has handed the monitors their pty
 * masters. */
export async function launchDetached(os: LaunchOptions[]): Promise<{ results: (Launched | Error)[]; ctlFds: number[] }> {
  const results: (Launched | Error)[] = new Array(os.length);
  const ctlFds: number[] = [];
  // group by group: the cloning process inherits every fd node holds (see MONITOR_MAX_CONTAINERS)
  for (let at = 0; at < os.length; at += MONITOR_MAX_CONTAINERS) {
    const group: { i: number; p: PreparedLaunch }[] = [];
    for (const [k, o] of os.slice(at, at + MONITOR_MAX_CONTAINERS).entries()) {
      try {
        group.push({ i: at + k, p: await prepareLaunch(o) });
      } catch (err) {
        results[at + k] = asError(err);
      }
    }
    if (!group.length) continue;
    let spawned: ReturnType<NativeAddon['spawnDetached']>;
    try {
      spawned = native().spawnDetached(group.map(({ p }) => ({ ...p.record, detach: p.o.detach })));
    } catch (err) {
      for (const { i, p } of group) results[i] = await abortPrepared(p, err);
      continue;
    }
    ctlFds.push(spawned.ctlFd);
    for (const [k, { i, p }] of group.entries()) {
      try {
        results[i] = await finishLaunch(p, spawned.children[k]!, { fd: spawned.ctlFd, index: k });
      } catch (err) {
        results[i] = asError(err);
      }
    }
  }
  return { results, ctlFds };
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

async function prepareLaunch(o: LaunchOptions): Promise<PreparedLaunch> {
  const spec = o.spec;
  const limits = limitsFromResources(spec.linux?.resources);
  checkLimitsSupported(limits);
  let seccomp: { filter: Buffer; flags: number } | undefined;
  if (spec.linux?.seccomp) {
    const [{ compileSeccomp, describeSeccomp }, { compileSeccompCached }] = await Promise.all([import('../security/seccomp.js'), import('../security/seccomp-cache.js')]);
    const compiled = o.seccompCache ? compileSeccompCached(spec.linux.seccomp) : { ...compileSeccomp(spec.linux.seccomp), cached: false };
    o.explain.note(`${describeSeccomp(compiled)}; compiled to ${compiled.filter.length / 8} BPF instructions${compiled.cached ? ' (from the cache of compiled filters, by content hash)' : ''}, loaded by the child just before exec`);
    seccomp = { filter: compiled.filter, flags: compiled.flags };
  } else {
    o.explain.note('seccomp: none (unconfined): every system call reaches the kernel');
  }
  profileMark('seccomp-compiled');
  if (o.pause) await o.pause.before('cgroup'); // run --step (a plain run does not even await)
  const cgroup = createCgroup(o.cgroupName, o.explain, { limits, killLeftovers: o.killLeftoverCgroup });
  const p: PreparedLaunch = { o, cgroup, childJoinsV1: false, record: undefined as unknown as SpawnRecord };
  try {
    const rules = spec.linux?.resources?.devices;
    // as runc: the devices every container is given stay usable whatever the rules say
    if (rules?.length) applyDeviceRules(deviceCgroupTarget(o.cgroupName), [...rules, ...DEFAULT_DEVICE_RULES.slice(1)], o.explain);
    // The child joins its v1 cgroups itself, right after "go" (native/src/child.c: ~1 ms
    // against ~15 ms for the parent's writes of its pid), unless prestart/createRuntime hooks
    // run before "go": they must find the process in its cgroups (runc places it before them).
    p.childJoinsV1 = !spec.hooks?.prestart?.length && !spec.hooks?.createRuntime?.length;
    p.record = toSpawnRecord(spec, {
      bundle: o.bundle,
      overlay: o.overlay,
      rootFromParent: o.idmappedOverlay !== undefined,
      volumeCopyUp: o.volumeCopyUp,
      initMode: o.initMode,
      initPath: initBinaryPath(),
      stdio: o.stdio,
      cgroupFd: cgroup.cloneFd,
      cgroupTasks: p.childJoinsV1 ? cgroup.childTasksFiles : undefined,
      explainFd: o.explainFd,
      dieWithParent: o.dieWithParent,
      noPivot: o.noPivot,
      preserveFds: o.preserveFds,
      keyring: o.newKeyring ? o.id : undefined,
      execFifo: o.execFifo,
      netConfig: o.netConfig,
      seccomp,
      lastCap: lastCap(),
      cgroupName: o.cgroupName,
      explainNames: o.explain.names.length ? [...o.explain.names] : undefined,
      pauseSteps: o.pause !== undefined,
    });
    if (o.idmappedOverlay && !(p.record.cloneFlags & CLONE.NEWUSER)) throw new ContainerStartError('idmapped layers need a user namespace in the spec');
    profileMark('before-spawn');
    if (o.pause) await o.pause.before('clone');
    return p;
  } catch (err) {
    throw await abortPrepared(p, err);
  }
}

/** Undo a prepared launch whose child was never cloned; the error to throw. */
async function abortPrepared(p: PreparedLaunch, err: unknown): Promise<Error> {
  p.cgroup.release();
  await removeCgroup(p.o.cgroupName).catch(() => undefined);
  return isStepError(err) ? ContainerStartError.fromStep(err) : asError(err);
}

/** The parent's part once the child is cloned and waiting: id maps, cgroups, hooks, the
 * caller's host-side work, then "go". A failure kills the child and removes its cgroup. */
async function finishLaunch(p: PreparedLaunch, child: SpawnedChild, ctl: { fd: number; index: number }): Promise<Launched> {
  const { o, record, cgroup, childJoinsV1 } = p;
  const spec = o.spec;
  const addon = native();
  const pid = child.pid;
  let pausedFd = -1;
  try {
    profileMark('spawned');
    let rootFd = -1;
    try {
      if (record.cloneFlags & CLONE.NEWUSER) {
        if (o.pause) await o.pause.before('idmap', pid);
        writeIdMaps(pid, spec, o.explain);
      }
      if (o.idmappedOverlay) rootFd = idmappedRoot(pid, o.idmappedOverlay, o.explainFd);
      cgroup.attach(pid, child.intoCgroup, childJoinsV1);
      if (spec.process?.oomScoreAdj !== undefined) {
        o.explain.step('set how likely the OOM killer picks the container', `echo ${spec.process.oomScoreAdj} > /proc/${pid}/oom_score_adj`);
        writeFileSync(`/proc/${pid}/oom_score_adj`, String(spec.process.oomScoreAdj));
      }
      const state = o.state(pid);
      await runHostHooks('prestart', spec.hooks?.prestart, state, o.explain);
      await runHostHooks('createRuntime', spec.hooks?.createRuntime, state, o.explain);
      await o.beforeStart?.(pid);
      profileMark('before-start');
      let started = addon.start(child.syncFd, JSON.stringify(state), rootFd);
      let ptyMaster = started.ptyMaster;
      while (started.paused !== undefined) {
        // run --step: the child stopped before a step of its own; the socket stays open
        pausedFd = child.syncFd;
        await o.pause!.before(started.paused as StepName, pid);
        started = addon.resume(child.syncFd);
        pausedFd = -1;
        if (started.ptyMaster >= 0) ptyMaster = started.ptyMaster;
      }
      profileMark('execed');
      return { pid, ptyMaster, ctlFd: ctl.fd, monitorIndex: ctl.index, cgroup };
    } finally {
      // the child has its own reference (SCM_RIGHTS); a failed start drops the last one here
      if (rootFd >= 0) addon.close(rootFd);
    }
  } catch (err) {
    if (pausedFd >= 0) addon.close(pausedFd);
    signalProcess(pid, 'SIGKILL');
    if (!o.detach) await addon.wait(pid).catch(() => undefined);
    cgroup.release();
    await removeCgroup(o.cgroupName).catch(() => undefined);
    if (isStepError(err)) throw ContainerStartError.fromStep(err);
    throw err;
  }
}
