/**
 * Starting a container's first process, shared by `run` and `start`: cgroup, spec, the C
 * child (spawn -> host-side work -> start), then either staying attached (relay stdio and
 * signals, wait, report the status) or handing the container to minictr-monitor (-d).
 */
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MINICTR_BIN } from '../util/self.js';
import { ConflictError, InterruptedError, NotFoundError } from '../errors.js';
import { oomKilled, removeCgroup } from '../cgroup/cgroup.js';
import { resolveImage } from '../image/resolve.js';
import { layerDirs, type ImageRecord } from '../image/store.js';
import { isStepError, monitorBinaryPath, native, type DetachRecord } from '../native/index.js';
import { parseNetworkMode, type NetworkMode } from '../network/container/mode.js';
import { NETNS_DIR } from '../network/host/state.js';
import { OCI_VERSION, type OciSpec } from '../spec/config.js';
import { removeStateFile, writeJsonFileSync } from '../util/json-file.js';
import { isoTime } from '../util/clock.js';
import { processStartTime } from '../util/proc.js';
import { profileMark } from '../util/profile.js';
import { containerNames, createExplainer, type Explainer } from '../util/explain.js';
import { writeEtcFiles } from './etc-files.js';
import { healthTiming } from './healthcheck.js';
import type { HostSecurityFacts } from './host-facts.js';
import { ContainerStartError, launch, launchDetached, MONITOR_MAX_CONTAINERS, type Launched, type LaunchOptions } from './launch.js';
import { createStepPauser, type StepPauser } from './step-pause.js';
import { buildContainerSpec } from './spec.js';
import { destroyContainer, hostsEntry, type LeftForLater } from './destroy.js';
import { carriedState, cgroupName, exitFile, healthFile, findContainer, isRunning, logFile, saveState, specFile, type Container } from './store.js';
import { attachTerminal, terminalSize, type TerminalSession } from './terminal.js';
import { forwardSignals, signalProcess } from './signals.js';
import { resolveUser, supplementaryGroups } from './users.js';
import { chownToContainerRoot } from './userns.js';

export { ContainerStartError };

export interface StartOptions {
  /** hand the container to minictr-monitor and return at once */
  detach: boolean;
  explain: boolean;
  /** --explain=full: every path written out (otherwise the container's id, dir and layers
   * are named once, $ID, $C, $L1...) */
  explainFull?: boolean;
  /** run --step: wait for Enter before each kernel step; Ctrl-C at a pause removes the
   * container (attached runs only) */
  step?: boolean;
  /** the container's image, when the caller (run) has just resolved it */
  image?: ImageRecord;
  /** what this process may hand a container, when the caller (run) has just read it to check
   * the flags: the spec is built from the same facts (not a second read of /proc/self) */
  host?: HostSecurityFacts;
  /** run, at a container's first start: the targets of empty volumes, filled by the C child
   * with the image's files at that path (Docker's copy-up) */
  copyUp?: string[];
  /** minictr build: the container's stdout and stderr (its log), in place of ours */
  output?: number;
  /** minictr build: keep the container's files after it exits, even when it is --rm (the
   * caller turns its upper dir into a layer, then removes it) */
  keepFiles?: boolean;
}

/** Start the container's first process. Attached: resolves to its exit status. Detached:
 * resolves to undefined once the command has been exec'd (one case of startDetached). A
 * failure before exec removes what the start made (and the container itself if it was run
 * with --rm). */
export async function startContainer(container: Container, opts: StartOptions): Promise<number | undefined> {
  if (opts.detach) {
    const [failed] = await startDetached([{ container, image: opts.image, copyUp: opts.copyUp }], opts);
    if (failed) throw failed;
    return undefined;
  }
  const explain = createExplainer(opts.explain, (s) => writeSync(2, s));
  const pause = opts.step ? createStepPauser(cgroupName(container.config.id), (s) => writeSync(2, s)) : undefined;
  let plan: StartPlan | undefined;
  try {
    plan = await prepareStart(container, opts, explain, pause);
    return await run(plan);
  } catch (err) {
    throw await failStart(container, err, pause);
  } finally {
    if (plan && plan.devNull >= 0) closeSync(plan.devNull);
  }
}

/** One container of startDetached: run -d's, or one of run -d --replicas N's. */
export interface DetachedStart {
  container: Container;
  image?: ImageRecord;
  copyUp?: string[];
}

/** `run -d` and `start`: the containers, each prepared (spec, /etc files, network config),
 * cloned under one minictr-monitor for each group of MONITOR_MAX_CONTAINERS, then each
 * started in turn (launchDetached). Resolves
 * to each one's failure (undefined: it runs), in the order given; a failed one is undone
 * as a failed startContainer is. */
export async function startDetached(items: DetachedStart[], opts: { explain: boolean; explainFull?: boolean; host?: HostSecurityFacts }): Promise<(Error | undefined)[]> {
  const failures: (Error | undefined)[] = new Array(items.length).fill(undefined);
  // a monitor's worth at a time: the fds of each plan (its /dev/null) are open only while
  // its group is cloned (launch.ts MONITOR_MAX_CONTAINERS)
  for (let at = 0; at < items.length; at += MONITOR_MAX_CONTAINERS) {
    const plans: { i: number; plan: StartPlan }[] = [];
    try {
      for (const [k, item] of items.slice(at, at + MONITOR_MAX_CONTAINERS).entries()) {
        try {
          const explain = createExplainer(opts.explain, (s) => writeSync(2, s));
          plans.push({ i: at + k, plan: await prepareStart(item.container, { ...opts, detach: true, image: item.image, copyUp: item.copyUp }, explain) });
        } catch (err) {
          failures[at + k] = await failStart(item.container, err);
        }
      }
      const { results, ctlFds } = await launchDetached(plans.map(({ plan }) => launchOptions(plan)));
      try {
        for (const [k, { i, plan }] of plans.entries()) {
          const launched = results[k]!;
          try {
            if (launched instanceof Error) throw launched;
            handToMonitor(plan, launched);
          } catch (err) {
            failures[i] = await failStart(plan.container, err);
          }
        }
      } finally {
        for (const fd of ctlFds) native().close(fd);
      }
    } finally {
      for (const { plan } of plans) if (plan.devNull >= 0) closeSync(plan.devNull);
    }
  }
  return failures;
}

/** Everything a container's start needs before its child is cloned. */
interface StartPlan {
  container: Container;
  spec: OciSpec;
  overlay?: string;
  idmappedOverlay?: LaunchOptions['idmappedOverlay'];
  stdio: [number, number, number];
  /** opened for stdin (closed by the caller once the child has it), or -1 */
  devNull: number;
  netConfig?: Awaited<ReturnType<typeof import('../network/container/attach.js').containerInterface>>;
  opts: StartOptions;
  explain: Explainer;
  pause?: StepPauser;
}

async function prepareStart(container: Container, opts: StartOptions, explain: Explainer, pause?: StepPauser): Promise<StartPlan> {
  const image = opts.image ?? (await resolveImage(container.config.imageId));
  const cfg = container.config;
  let devNull = -1;
  try {
    removeStateFile(exitFile(container.dir));
    removeStateFile(healthFile(container.dir)); // a new start is "starting" again
    const layers = layerDirs(image);
    if (!opts.explainFull) explain.nameLongPaths(containerNames(cfg.id, container.dir, layers));
    const user = cfg.user ? resolveUser(cfg.user, { layers }) : undefined;
    const groups = supplementaryGroups(cfg.user, cfg.security?.groupAdd ?? [], { layers });
    if (!cfg.interactive && !cfg.tty) devNull = openSync('/dev/null', 'r');
    const tty = cfg.tty ? terminalSize() : undefined;
    const network = parseNetworkMode(cfg.network?.mode);
    const etcMounts = writeEtcFiles(container.dir, cfg.hostname, cfg.name, {
      ip: cfg.network?.ip,
      dns: cfg.network?.dns,
      hostNetwork: cfg.network?.mode === 'host',
      aliases: cfg.network?.aliases,
    });
    // --userns=remap: the container's root may edit its /etc/hosts, as the host's root would
    if (cfg.userns) chownToContainerRoot(etcMounts.map((m) => m.source!), cfg.userns);
    const spec = buildContainerSpec({
      container,
      imageEnv: image.config.Env ?? [],
      user,
      groups,
      etcMounts,
      network,
      joinNetns: joinedNetns(network),
      ttySize: tty,
      host: opts.host,
    });
    writeJsonFileSync(specFile(container.dir), spec);
    profileMark('spec-written');
    let netConfig;
    if (cfg.network?.network) {
      const { containerInterface } = await import('../network/container/attach.js');
      netConfig = await containerInterface(cfg.network);
    }
    const [upperdir, workdir] = [join(container.dir, 'upper'), join(container.dir, 'work')];
    return {
      container,
      spec,
      // --userns=remap: the layers are idmapped for the container's root (launch.ts)
      ...(cfg.userns ? { idmappedOverlay: { layers, upperdir, workdir, rootfs: spec.root!.path } } : { overlay: `lowerdir=${layers.join(':')},upperdir=${upperdir},workdir=${workdir}` }),
      stdio: [cfg.interactive || devNull < 0 ? 0 : devNull, opts.output ?? 1, opts.output ?? 2],
      devNull,
      netConfig,
      opts,
      explain,
      pause,
    };
  } catch (err) {
    if (devNull >= 0) closeSync(devNull);
    throw err;
  }
}

/** A start that failed before its command ran: what it made goes (the container too with
 * --rm, or when run --step was called off), else its record says exited 125. The error to
 * throw. */
async function failStart(container: Container, err: unknown, pause?: StepPauser): Promise<Error> {
  const cfg = container.config;
  // Ctrl-C at a run --step pause: the run is called off, nothing of it is left
  if (cfg.autoRemove || (pause && err instanceof InterruptedError)) await destroyContainer(container);
  else {
    await removeCgroup(cgroupName(cfg.id));
    container.state = { ...carriedState(container.state), status: 'exited', exitCode: 125, error: err instanceof Error ? err.message : String(err) };
    saveState(container);
  }
  if (isStepError(err)) return new ContainerStartError(err.message);
  return err instanceof Error ? err : new Error(String(err));
}

/** --rm: the container has left the store; its port's release (network) and its files (its
 * upper dir can be large) are done by the addon's cleaner, one detached C process that
 * outlives this one, so the exit status is not held up by them (no node:child_process, no
 * fork of node for an rm). A dir it does not remove is swept by the next system prune (or
 * pull, import), a lease it does not free by system prune. */
function cleanAfterExit(left: LeftForLater): void {
  if (!left.dir && !left.network) return;
  try {
    native().cleanAfterExit(left.network ?? null, left.dir ?? null);
  } catch {
    /* left to sweepStaleTemp and system prune */
  }
}

/** --network container:NAME / netns:NAME: the namespace the C child joins with setns. */
function joinedNetns(mode: NetworkMode): string | undefined {
  if (mode.kind === 'container') {
    const other = findContainer(mode.ref);
    if (!isRunning(other)) throw new ConflictError(`--network container:${mode.ref}: container ${other.config.name} is not running`);
    return `/proc/${other.state.pid}/ns/net`;
  }
  if (mode.kind === 'netns') {
    const path = `${NETNS_DIR}/${mode.name}`;
    if (!existsSync(path)) throw new NotFoundError(`--network netns:${mode.name}: no network namespace ${path} (see minictr net ns ls)`);
    return path;
  }
  return undefined;
}

function detachRecord(container: Container): DetachRecord {
  const cfg = container.config;
  return {
    monitorPath: monitorBinaryPath(),
    logPath: logFile(container.dir),
    exitPath: exitFile(container.dir),
    keepStdin: cfg.interactive,
    // run -d --rm: once the container is gone the monitor runs `minictr rm` for it;
    // --restart: `minictr restart-policy`, which decides and restarts (lifecycle.ts)
    ...(cfg.autoRemove ? { onExit: minictrCommand('rm', '-f', cfg.id) } : {}),
    // --health-cmd: the monitor runs `minictr health-probe` on the interval (health-probe.ts)
    ...(cfg.healthcheck ? { healthProbe: minictrCommand('health-probe', cfg.id), healthIntervalMs: healthTiming(cfg.healthcheck).intervalMs } : {}),
    ...(!cfg.autoRemove && cfg.restartPolicy && cfg.restartPolicy.Name !== 'no' ? { onExit: minictrCommand('restart-policy', cfg.id) } : {}),
  };
}

/** This minictr, with this state root, as the monitor runs it (its environment is empty). */
function minictrCommand(...args: string[]): string[] {
  return ['/usr/bin/env', `MINICTR_ROOT=${process.env.MINICTR_ROOT ?? ''}`, `MINICTR_RUN=${process.env.MINICTR_RUN ?? ''}`, process.execPath, MINICTR_BIN, ...args];
}

/** Bridge networks: the host side is wired while the child waits (see network/container/attach.ts). */
async function wireNetwork(container: Container, pid: number, explain: Explainer, pause?: StepPauser): Promise<void> {
  const n = container.config.network;
  if (!n?.network) return;
  if (pause) await pause.before('veth', pid);
  const { attachments, connectContainer, refreshHosts } = await import('../network/container/attach.js');
  await connectContainer(container.config.id, pid, n, explain);
  for (const a of attachments(n)) refreshHosts(a.network, hostsEntry);
}

/** The launch of a planned start; attached, beforeStart also waits for the child's exit and
 * forwards our signals to it (onAttached). */
function launchOptions(p: StartPlan, onAttached?: (pid: number) => void): LaunchOptions {
  const { container, spec, opts, explain } = p;
  const cfg = container.config;
  return {
    id: cfg.id,
    bundle: container.dir,
    spec,
    cgroupName: cgroupName(cfg.id),
    killLeftoverCgroup: true,
    overlay: p.overlay,
    idmappedOverlay: p.idmappedOverlay,
    initMode: 'pid1',
    stdio: p.stdio,
    explain,
    explainFd: opts.explain ? 2 : -1,
    dieWithParent: !opts.detach,
    newKeyring: true,
    seccompCache: true,
    volumeCopyUp: opts.copyUp,
    netConfig: p.netConfig,
    detach: opts.detach ? detachRecord(container) : undefined,
    state: (pid) => ({ ociVersion: OCI_VERSION, id: cfg.id, status: 'creating', pid, bundle: container.dir, annotations: spec.annotations }),
    pause: p.pause,
    beforeStart: async (pid) => {
      onAttached?.(pid);
      container.state = { ...carriedState(container.state), status: 'running', pid, pidStart: processStartTime(pid), startedAt: isoTime(), detached: opts.detach };
      saveState(container);
      await wireNetwork(container, pid, explain, p.pause);
    },
  };
}

/** A detached container has exec'd: its monitor gets the pty master (-t: the shell lives on,
 * its output goes to the log); the parent's end of the cgroup is let go. */
function handToMonitor(p: StartPlan, launched: Launched): void {
  const addon = native();
  try {
    if (launched.ptyMaster >= 0) {
      addon.sendFd(launched.ctlFd, launched.ptyMaster, launched.monitorIndex);
      addon.close(launched.ptyMaster);
    }
  } catch (err) {
    signalProcess(launched.pid, 'SIGKILL');
    throw err;
  } finally {
    launched.cgroup.release();
  }
  p.explain.note(`container ${p.container.config.name} is running as host PID ${launched.pid}`);
}

/** Attached: the container runs as our child; its exit status once it has exited. */
async function run(p: StartPlan): Promise<number> {
  const { container, spec, opts, explain } = p;
  const cfg = container.config;
  const addon = native();
  let stopForwarding: (() => void) | undefined;
  let terminal: TerminalSession | undefined;
  let exited: Promise<{ exitCode: number }> | undefined;
  try {
    const launched = await launch(launchOptions(p, (pid) => {
      exited = addon.wait(pid);
      // should the child fail a step, launch() reaps it itself and this waitpid may be the
      // one that finds no child (ECHILD): nobody awaits it then, and it must not crash us
      exited.catch(() => undefined);
      stopForwarding = forwardSignals(pid);
    }));
    const { ptyMaster, pid, cgroup } = launched;
    try {
      if (spec.process?.terminal && ptyMaster >= 0) terminal = attachTerminal(ptyMaster, cfg.interactive);
    } catch (err) {
      signalProcess(pid, 'SIGKILL');
      if (exited) await exited;
      throw err;
    } finally {
      cgroup.release();
    }
    explain.note(`container ${cfg.name} is running as host PID ${pid}`);

    const result = await exited!;
    profileMark('exited');
    if (terminal) await Promise.race([terminal.drained, new Promise((r) => setTimeout(r, 500))]);
    container.state = { ...container.state, status: 'exited', exitCode: result.exitCode, finishedAt: isoTime(), OOMKilled: oomKilled(cgroupName(cfg.id)) };
    saveState(container);
    if (cfg.autoRemove && !opts.keepFiles) cleanAfterExit(await destroyContainer(container, undefined, { deferDir: true, afterExit: true }));
    else await removeCgroup(cgroupName(cfg.id));
    profileMark('torn-down');
    return result.exitCode;
  } catch (err) {
    // launch has killed and reaped a child that failed before exec
    if (exited) await exited.catch(() => undefined);
    throw err;
  } finally {
    terminal?.restore();
    stopForwarding?.();
  }
}
