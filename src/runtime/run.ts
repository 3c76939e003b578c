/**
 * `minictr run`: create a container from an image, start its first process through the C
 * child (spawn -> host-side work -> start), relay stdio and signals, and report its exit
 * status the way Docker does (the command's status, 128+N for signal N, 125 for our errors).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { MinictrError, UsageError } from '../errors.js';
import { createContainerCgroup, removeContainerCgroup, type ContainerCgroup } from '../cgroup/container-cgroup.js';
import { isStepError, native } from '../native/index.js';
import { createExplainer, type Explainer } from '../util/explain.js';
import { writeEtcFiles } from './etc-files.js';
import { parseEnv, parseTmpfs, parseVolume, parseWorkdir, type RunOptions } from './options.js';
import { buildSpawnSpec, containerEnv } from './spec.js';
import { createContainer, deleteContainerFiles, saveState, type Container } from './store.js';
import { attachTerminal, terminalSize, type TerminalSession } from './terminal.js';

/** A failure of the runtime itself (exit status 125, as docker run). */
export class ContainerStartError extends MinictrError {
  constructor(message: string) {
    super(message, 125);
  }
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export async function runContainer(opts: RunOptions): Promise<number> {
  // everything the user typed is checked before anything is created
  const userEnv = parseEnv(opts.env);
  const volumes = opts.volumes.map(parseVolume);
  const tmpfs = opts.tmpfs.map(parseTmpfs);
  const workdir = parseWorkdir(opts.workdir);
  const explain = createExplainer(opts.explain, (s) => writeSync(2, s));

  const { resolveImage, layerDirs } = await import('../image/store.js');
  const image = await resolveImage(opts.image);
  const entrypoint = image.config.Entrypoint ?? [];
  const command = [...entrypoint, ...(opts.command.length ? opts.command : (image.config.Cmd ?? []))];
  if (command.length === 0) throw new UsageError(`no command given and image ${opts.image} has none`);

  const container = createContainer({
    name: opts.name,
    hostname: opts.hostname,
    image: opts.image,
    imageId: image.id,
    command,
    env: userEnv,
    cwd: workdir ?? image.config.WorkingDir ?? '/',
    tty: opts.tty,
    interactive: opts.interactive,
    autoRemove: opts.rm,
    volumes,
    tmpfs,
  });
  explain.step(`container ${container.config.name} (${container.config.id.slice(0, 12)}): overlay dirs`, `mkdir -p ${container.dir}/{upper,work,merged}`);

  let cgroup: ContainerCgroup | undefined;
  let devNull = -1;
  try {
    cgroup = createContainerCgroup(container.config.id, explain);
    const env = containerEnv(container.config.hostname, opts.tty, image.config.Env ?? [], userEnv);
    if (!opts.interactive && !opts.tty) devNull = openSync('/dev/null', 'r');
    const spec = buildSpawnSpec({
      container,
      layers: layerDirs(image),
      argv: command,
      env,
      etcMounts: writeEtcFiles(container.dir, container.config.hostname, container.config.name),
      stdio: [opts.interactive ? 0 : devNull >= 0 ? devNull : 0, 1, 2],
      cgroupFd: cgroup.cloneFd,
      explainFd: opts.explain ? 2 : -1,
      ttySize: opts.tty ? terminalSize() : undefined,
    });
    return await startAndWait(container, spec, cgroup, opts, explain);
  } catch (err) {
    await cleanup(container, true);
    if (isStepError(err)) throw new ContainerStartError(err.message);
    throw err;
  } finally {
    if (devNull >= 0) closeSync(devNull);
    cgroup?.release();
  }
}

async function startAndWait(
  container: Container,
  spec: ReturnType<typeof buildSpawnSpec>,
  cgroup: ContainerCgroup,
  opts: RunOptions,
  explain: Explainer,
): Promise<number> {
  const addon = native();
  const child = addon.spawn(spec);
  const exited = addon.wait(child.pid);
  container.state = { status: 'running', pid: child.pid, startedAt: new Date().toISOString() };
  saveState(container);

  const forward = (sig: NodeJS.Signals): void => {
    try {
      process.kill(child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  const handlers = FORWARDED_SIGNALS.map((sig) => {
    const h = (): void => forward(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });

  let terminal: TerminalSession | undefined;
  try {
    try {
      cgroup.attach(child.pid, child.intoCgroup);
      const { ptyMaster } = addon.start(child.syncFd);
      if (opts.tty && ptyMaster >= 0) terminal = attachTerminal(ptyMaster, opts.interactive);
    } catch (err) {
      forward('SIGKILL');
      await exited;
      throw err;
    }
    explain.note(`container ${container.config.name} is running as host PID ${child.pid}`);
    const result = await exited;
    if (terminal) await Promise.race([terminal.drained, new Promise((r) => setTimeout(r, 500))]);
    container.state = { ...container.state, status: 'exited', exitCode: result.exitCode, finishedAt: new Date().toISOString() };
    saveState(container);
    if (opts.rm) await cleanup(container, true);
    else await removeContainerCgroup(container.config.id);
    return result.exitCode;
  } finally {
    terminal?.restore();
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

async function cleanup(container: Container, removeFiles: boolean): Promise<void> {
  await removeContainerCgroup(container.config.id);
  if (removeFiles) deleteContainerFiles(container);
}
