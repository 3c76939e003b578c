/**
 * Starting a container's first process, shared by `run` and `start`: cgroup, spec, the C
 * child (spawn -> host-side work -> start), then either staying attached (relay stdio and
 * signals, wait, report the status) or handing the container to minictr-monitor (-d).
 */
import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConflictError, MinictrError, NotFoundError } from '../errors.js';
import { createContainerCgroup, oomKilled, removeContainerCgroup, type ContainerCgroup } from '../cgroup/container-cgroup.js';
import { resolveImage, layerDirs, type ImageRecord } from '../image/store.js';
import { CLONE, isStepError, monitorBinaryPath, native, type NativeSpawnSpec } from '../native/index.js';
import { processStartTime } from '../util/proc.js';
import { createExplainer, type Explainer } from '../util/explain.js';
import { writeEtcFiles } from './etc-files.js';
import { buildSpawnSpec, containerEnv } from './spec.js';
import { destroyContainer, hostsEntry } from './destroy.js';
import { exitFile, findContainer, isRunning, logFile, saveState, type Container } from './store.js';
import { attachTerminal, terminalSize, type TerminalSession } from './terminal.js';
import { forwardSignals, signalProcess } from './signals.js';
import { resolveUser } from './users.js';

/** A failure of the runtime itself (exit status 125, as docker run). */
export class ContainerStartError extends MinictrError {
  constructor(message: string) {
    super(message, 125);
  }
}

export interface StartOptions {
  /** hand the container to minictr-monitor and return at once */
  detach: boolean;
  explain: boolean;
  /** the container's image, when the caller (run) has just resolved it */
  image?: ImageRecord;
}

const BIN = fileURLToPath(new URL('../../bin/minictr', import.meta.url));

/** Start the container's first process. Attached: resolves to its exit status. Detached:
 * resolves to undefined once the command has been exec'd. A failure before exec removes
 * what the start made (and the container itself if it was run with --rm). */
export async function startContainer(container: Container, opts: StartOptions): Promise<number | undefined> {
  const explain = createExplainer(opts.explain, (s) => writeSync(2, s));
  const image = opts.image ?? (await resolveImage(container.config.imageId));
  const cfg = container.config;
  let cgroup: ContainerCgroup | undefined;
  let devNull = -1;
  try {
    rmSync(exitFile(container.dir), { force: true });
    cgroup = createContainerCgroup(cfg.id, explain, cfg.resources);
    const layers = layerDirs(image);
    const user = cfg.user ? resolveUser(cfg.user, layers) : undefined;
    if (!cfg.interactive && !cfg.tty) devNull = openSync('/dev/null', 'r');
    const spec: NativeSpawnSpec = {
      ...buildSpawnSpec({
        container,
        layers,
        argv: cfg.command,
        env: containerEnv(cfg.hostname, cfg.tty, image.config.Env ?? [], cfg.env),
        etcMounts: writeEtcFiles(container.dir, cfg.hostname, cfg.name, {
          ip: cfg.network?.ip,
          dns: cfg.network?.dns,
          hostNetwork: cfg.network?.mode === 'host',
        }),
        stdio: [cfg.interactive || devNull < 0 ? 0 : devNull, 1, 2],
        cgroupFd: cgroup.cloneFd,
        explainFd: opts.explain ? 2 : -1,
        ttySize: cfg.tty ? terminalSize() : undefined,
      }),
      ...(user ?? {}),
      ...networkNamespace(cfg.network?.mode),
    };
    if (cfg.network?.network) {
      const { containerInterface } = await import('../network/attach.js');
      spec.netConfig = await containerInterface(cfg.network);
    }
    if (opts.detach) spec.detach = detachSpec(container);
    return await launch(container, spec, cgroup, opts, explain);
  } catch (err) {
    if (cfg.autoRemove) await destroyContainer(container);
    else {
      await removeContainerCgroup(cfg.id);
      container.state = { status: 'exited', exitCode: 125, error: err instanceof Error ? err.message : String(err) };
      saveState(container);
    }
    if (isStepError(err)) throw new ContainerStartError(err.message);
    throw err;
  } finally {
    if (devNull >= 0) closeSync(devNull);
    cgroup?.release();
  }
}

/** How the container gets its network namespace: its own (bridge, none), the host's, or
 * another's (container:NAME, netns:NAME, joined with setns in the C child). */
function networkNamespace(mode: string | undefined): Partial<NativeSpawnSpec> {
  const ownNetns = { cloneFlags: CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWPID };
  if (mode === 'host') return { ...ownNetns, loopbackUp: false };
  if (mode?.startsWith('container:')) {
    const other = findContainer(mode.slice('container:'.length));
    if (!isRunning(other)) throw new ConflictError(`--network ${mode}: container ${other.config.name} is not running`);
    return { ...ownNetns, loopbackUp: false, joinNetns: `/proc/${other.state.pid}/ns/net` };
  }
  if (mode?.startsWith('netns:')) {
    const path = `/run/netns/${mode.slice('netns:'.length)}`;
    if (!existsSync(path)) throw new NotFoundError(`--network ${mode}: no network namespace ${path} (see minictr net ns ls)`);
    return { ...ownNetns, loopbackUp: false, joinNetns: path };
  }
  return {};
}

function detachSpec(container: Container): NonNullable<NativeSpawnSpec['detach']> {
  const cfg = container.config;
  return {
    monitorPath: monitorBinaryPath(),
    logPath: logFile(container.dir),
    exitPath: exitFile(container.dir),
    keepStdin: cfg.interactive,
    // run -d --rm: once the container is gone the monitor runs `minictr rm` for it
    onExit: cfg.autoRemove
      ? ['/usr/bin/env', `MINICTR_ROOT=${process.env.MINICTR_ROOT ?? ''}`, `MINICTR_RUN=${process.env.MINICTR_RUN ?? ''}`, process.execPath, BIN, 'rm', '-f', cfg.id]
      : undefined,
  };
}

/** Bridge networks: the host side is wired while the child waits (see network/attach.ts). */
async function wireNetwork(container: Container, pid: number, explain: Explainer): Promise<void> {
  const n = container.config.network;
  if (!n?.network) return;
  const { connectContainer, refreshHosts } = await import('../network/attach.js');
  await connectContainer(container.config.id, pid, n, explain);
  refreshHosts(n.network, hostsEntry);
}

async function launch(
  container: Container,
  spec: NativeSpawnSpec,
  cgroup: ContainerCgroup,
  opts: StartOptions,
  explain: Explainer,
): Promise<number | undefined> {
  const addon = native();
  const child = addon.spawn(spec);
  const exited = opts.detach ? undefined : addon.wait(child.pid);
  container.state = {
    status: 'running',
    pid: child.pid,
    pidStart: processStartTime(child.pid),
    startedAt: new Date().toISOString(),
    detached: opts.detach,
  };
  saveState(container);

  const stopForwarding = opts.detach ? undefined : forwardSignals(child.pid);

  let terminal: TerminalSession | undefined;
  try {
    try {
      cgroup.attach(child.pid, child.intoCgroup);
      await wireNetwork(container, child.pid, explain);
      const { ptyMaster } = addon.start(child.syncFd);
      if (opts.detach) {
        // the monitor keeps the pty master: the shell lives on, its output goes to the log
        if (ptyMaster >= 0) {
          addon.sendFd(child.ctlFd, ptyMaster);
          addon.close(ptyMaster);
        }
      } else if (spec.tty && ptyMaster >= 0) {
        terminal = attachTerminal(ptyMaster, container.config.interactive);
      }
    } catch (err) {
      signalProcess(child.pid, 'SIGKILL');
      if (exited) await exited;
      throw err;
    } finally {
      if (child.ctlFd >= 0) addon.close(child.ctlFd);
    }
    explain.note(`container ${container.config.name} is running as host PID ${child.pid}`);
    if (!exited) return undefined;

    const result = await exited;
    if (terminal) await Promise.race([terminal.drained, new Promise((r) => setTimeout(r, 500))]);
    container.state = { ...container.state, status: 'exited', exitCode: result.exitCode, finishedAt: new Date().toISOString(), OOMKilled: oomKilled(container.config.id) };
    saveState(container);
    if (container.config.autoRemove) await destroyContainer(container);
    else await removeContainerCgroup(container.config.id);
    return result.exitCode;
  } finally {
    terminal?.restore();
    stopForwarding?.();
  }
}
