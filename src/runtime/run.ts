/**
 * `minictr run`: check every flag, create the container from its image, start it, and
 * either stay attached (exit with the command's status, as docker run) or print its id (-d).
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { limitsFromFlags } from '../cgroup/apply.js';
import { ConflictError, UsageError } from '../errors.js';
import { ipToInt } from '../network/container/cidr.js';
import type { PortMapping } from '../network/container/firewall.js';
import { formatNetworkMode, MAX_NETWORKS, parseNetworkFlags, type ExtraNetwork, type NetworkMode } from '../network/container/mode.js';
import { checkPortsFree, parsePortMapping } from '../network/container/ports.js';
import { paths, stateRoot } from '../paths.js';
import { createExplainer, silent, type Explainer } from '../util/explain.js';
import { withLock } from '../util/lock.js';
import { profileMark } from '../util/profile.js';
import { hostSecurityFacts, oomScoreAdjAllowed } from './host-facts.js';
import { parseEnv, parseLabels, parseMount, parseNetworkAliases, parseStopFlags, parseTmpfs, parseVolume, parseWorkdir, type RunOptions } from './options.js';
import { parseSecurityFlags, type SecurityConfig } from './security-options.js';
import { containerCapabilities, containerSeccomp } from './security-spec.js';
import { deleteVolumeFiles, volumeData } from '../volume/store.js';
import { mergeHealthcheck, parseHealthFlags } from './healthcheck.js';
import { parseRestartPolicy } from './restart-policy.js';
import { destroyContainer } from './destroy.js';
import { startContainer, startDetached } from './start.js';
import { createContainer, deleteContainerFiles, listContainers, saveConfig, type Container, type VolumeMount } from './store.js';
import { checkUsernsNetwork, checkUsernsSecurity, chownToContainerRoot, letContainerRootThrough, parseUsernsMode, remapIds, type UsernsConfig } from './userns.js';
import { prepareMounts, removeUnusedVolumes, withVolumesLock, type PreparedMounts } from './volumes.js';
import { awaitNameFree } from './pending-removal.js';

export { ContainerStartError } from './start.js';

/** --userns=remap: minictr's (or root's) subordinate ids; minictr's dirs must let them through. */
async function remappedIds(explain: Explainer): Promise<UsernsConfig> {
  const u = await remapIds(explain, (line) => writeSync(2, `minictr: ${line}\n`));
  letContainerRootThrough([stateRoot(), paths.containers()], u, explain);
  return u;
}

export async function runContainer(opts: RunOptions): Promise<number> {
  // everything the user typed is checked before anything is created
  const userEnv = parseEnv(opts.env);
  const mountRequests = [...opts.volumes.map(parseVolume), ...(opts.mounts ?? []).map(parseMount)];
  const tmpfs = opts.tmpfs.map(parseTmpfs);
  const targets = [...mountRequests.map((m) => m.target), ...tmpfs];
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice) throw new UsageError(`duplicate mount point: ${twice}`);
  const workdir = parseWorkdir(opts.workdir);
  const replicas = opts.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1) throw new UsageError(`invalid --replicas ${opts.replicas}: expected a positive integer`);
  if (replicas > 1 && !opts.detach) throw new UsageError('--replicas needs -d: replicas run detached');
  if (opts.step && opts.detach) throw new UsageError('--step needs an attached run (not -d): it waits for Enter before each step');
  const networks = parseNetworkFlags(typeof opts.network === 'string' ? [opts.network] : (opts.network ?? []));
  const mode = networks.mode;
  const ports = (opts.publish ?? []).map(parsePortMapping);
  const labels = parseLabels(opts.labels ?? []);
  const aliases = parseNetworkAliases([...networks.aliases, ...(opts.networkAliases ?? [])]);
  if (aliases && (mode.kind !== 'bridge' || mode.network === 'bridge')) throw new UsageError('--network-alias needs a user network (--network NAME)');
  const more = networks.more.map((m) => ({ network: m.network, aliases: parseNetworkAliases(m.aliases) ?? [] }));
  for (const m of more) if (m.aliases.length && m.network === 'bridge') throw new UsageError('--network name=bridge,alias=...: aliases need a user network');
  if (more.length >= MAX_NETWORKS) throw new UsageError(`a container is on at most ${MAX_NETWORKS} networks (eth0..eth${MAX_NETWORKS - 1})`);
  if (ports.length && mode.kind !== 'bridge') throw new UsageError(`-p needs a bridge network, not --network ${formatNetworkMode(mode)}`);
  if (replicas > 1 && ports.length) throw new UsageError('-p cannot be used with --replicas: the host port can be published once');
  for (const d of opts.dns ?? []) if (ipToInt(d) === undefined) throw new UsageError(`invalid --dns "${d}": expected an IPv4 address`);
  const driver = opts.bridgeDriver;
  if (driver !== undefined && driver !== 'linux' && driver !== 'ovs') throw new UsageError(`invalid --bridge-driver "${driver}": linux or ovs`);
  const resources = limitsFromFlags(opts.limits);
  const usernsMode = parseUsernsMode(opts.userns);
  checkUsernsNetwork(usernsMode, mode);
  const restartPolicy = parseRestartPolicy(opts.restart);
  if (restartPolicy.Name !== 'no' && opts.rm) throw new UsageError('conflicting options: --restart and --rm');
  const stop = parseStopFlags(opts);
  const healthFlags = parseHealthFlags(opts.health ?? {});
  // --restart / --health-* without -d (as Docker): the container still runs under a monitor,
  // which carries them out; run follows its output and returns at its first exit
  const monitoredFlag = restartPolicy.Name !== 'no' ? '--restart' : Object.keys(healthFlags.config).length ? '--health-cmd' : undefined;
  const followFirstRun = !opts.detach && monitoredFlag !== undefined;
  if (followFirstRun && (opts.interactive || opts.tty)) throw new UsageError(`${monitoredFlag} without -d cannot be used with -i or -t: the monitor that carries it out keeps no terminal (run it with -d, then minictr exec -it)`);
  const host = hostSecurityFacts();
  const security = parseSecurityFlags(opts.security ?? {}, mode, host, oomScoreAdjAllowed);
  await checkSeccompFile(security, host);
  checkUsernsSecurity(usernsMode, security);
  await checkPorts(ports);

  // like docker run: a missing image is pulled (progress on stderr: process.stderr is made
  // only then, its stream modules are ~2 ms of a run that pulls nothing)
  const { resolveOrPullImage } = await import('../image/resolve.js');
  const image = await resolveOrPullImage(opts.image);
  profileMark('image-resolved');
  // --entrypoint as Docker: the image's ENTRYPOINT and CMD both give way ("" leaves none)
  const entrypoint = opts.entrypoint === undefined ? (image.config.Entrypoint ?? []) : opts.entrypoint ? [opts.entrypoint] : [];
  const command = [...entrypoint, ...(opts.command.length ? opts.command : opts.entrypoint !== undefined ? [] : (image.config.Cmd ?? []))];
  if (command.length === 0) throw new UsageError(opts.entrypoint === '' ? 'no command given: --entrypoint "" clears the image\'s ENTRYPOINT and CMD (give the command after the image)' : `no command given and image ${opts.image} has none`);
  // an attached run has no monitor to run the image's HEALTHCHECK: it has none
  const healthcheck = opts.detach || followFirstRun ? mergeHealthcheck(healthFlags, image.config.Healthcheck) : undefined;
  if (security.groupAdd.length) {
    // --group-add names must be groups of the image's /etc/group (looked up again at start)
    const [{ layerDirs }, { supplementaryGroups }] = await Promise.all([import('../image/store.js'), import('./users.js')]);
    supplementaryGroups(undefined, security.groupAdd, { layers: layerDirs(image) });
  }
  const explaining = opts.explain || Boolean(opts.step);
  const explain = createExplainer(explaining, (s) => writeSync(2, s));
  const userns = usernsMode === 'remap' ? await remappedIds(explain) : undefined;

  const newContainer = (name: string | undefined, volumes: VolumeMount[]): Container =>
    createContainer({
      name,
      hostname: opts.hostname,
      image: opts.image,
      imageId: image.id,
      command,
      env: userEnv,
      cwd: workdir ?? image.config.WorkingDir ?? '/',
      user: opts.user ?? image.config.User ?? undefined,
      tty: opts.tty,
      interactive: opts.interactive,
      autoRemove: opts.rm,
      volumes,
      tmpfs,
      network: { mode: formatNetworkMode(mode), ports, dns: opts.dns?.length ? opts.dns : undefined, ...(aliases ? { aliases } : {}) },
      resources,
      ...(userns ? { userns } : {}),
      ...(restartPolicy.Name !== 'no' ? { restartPolicy } : {}),
      ...(healthcheck ? { healthcheck } : {}),
      security,
      ...(labels ? { labels } : {}),
      ...((stop.signal ?? image.config.StopSignal) ? { stopSignal: stop.signal ?? image.config.StopSignal } : {}),
      ...(stop.timeout !== undefined ? { stopTimeout: stop.timeout } : {}),
    });
  const prepared = new Map<string, PreparedMounts>();
  const create = async (name: string | undefined): Promise<Container> => {
    try {
      return await createOnce(name);
    } catch (err) {
      // the name's holder may be a --rm container that ended, its rm under way: waited for
      // here, outside the volumes lock its rm may need (pending-removal.ts)
      if (name === undefined || !(err instanceof ConflictError) || !(await awaitNameFree(name))) throw err;
      return createOnce(name);
    }
  };
  const createOnce = async (name: string | undefined): Promise<Container> => {
    // volumes made (or found) and the container's record written under the volumes lock: no
    // `volume rm` in between; ports checked again under their lock: two runs cannot both take one.
    // A run without volumes has nothing `volume rm` could take away: no lock (4 syscalls and a
    // /proc read of the holder's start time, every run)
    const usesVolumes = mountRequests.some((r) => r.type === 'volume');
    const container = await (usesVolumes ? withVolumesLock : <T>(fn: () => Promise<T>): Promise<T> => fn())(async () => {
      const mounts = prepareMounts(mountRequests, explain);
      try {
        const c = !ports.length
          ? newContainer(name, mounts.mounts)
          : await withLock(join(paths.locks(), 'ports.lock'), async () => {
            await checkPorts(ports);
            return newContainer(name, mounts.mounts);
          });
        prepared.set(c.config.id, mounts);
        return c;
      } catch (err) {
        for (const v of mounts.created) deleteVolumeFiles(v);
        throw err;
      }
    });
    if (userns) {
      try {
        letContainerRootThrough([container.dir], userns, explain);
        // what the container writes belongs to its root on the host: its upper dir, and the
        // volumes this run made (Docker's userns-remap does the same), so that its root can
        // write them and the child can copy the image's files up into them
        const madeVolumes = (prepared.get(container.config.id)?.created ?? []).map(volumeData);
        chownToContainerRoot([join(container.dir, 'upper'), join(container.dir, 'work'), ...madeVolumes], userns);
      } catch (err) {
        deleteContainerFiles(container);
        await removeUnusedVolumes(prepared.get(container.config.id)?.created ?? []);
        throw err;
      }
    }
    try {
      return await reserveBridgeAddress(container, mode, driver as 'linux' | 'ovs' | undefined, more);
    } catch (err) {
      // the volumes this run made go too: a failed run leaves nothing behind
      await removeUnusedVolumes(prepared.get(container.config.id)?.created ?? []);
      throw err;
    }
  };

  if (followFirstRun) {
    const container = await create(opts.name);
    await startContainer(container, { detach: true, explain: opts.explain, image, host, copyUp: prepared.get(container.config.id)?.copyUp });
    const { showLogs } = await import('./logs.js');
    const ended = await showLogs(container.config.id, { follow: true, firstRun: true });
    return ended?.state.exitCode ?? 0;
  }
  if (!opts.detach) {
    const container = await create(opts.name);
    profileMark('container-created');
    return (await startContainer(container, { detach: false, explain: explaining, explainFull: opts.explainFull, step: opts.step, image, host, copyUp: prepared.get(container.config.id)?.copyUp })) ?? 0;
  }
  // -d, and --replicas N: NAME-1..NAME-N from this one process, made first, then cloned under
  // one monitor (start.ts startDetached) and started one after the other
  const made: Container[] = [];
  try {
    for (let i = 1; i <= replicas; i++) made.push(await create(replicas > 1 && opts.name ? `${opts.name}-${i}` : opts.name));
  } catch (err) {
    // none runs yet: the ones made go too, the run leaves nothing
    for (const c of made) {
      await destroyContainer(c, silent, { volumes: true });
      await removeUnusedVolumes(prepared.get(c.config.id)?.created ?? []);
    }
    throw err;
  }
  const failures = await startDetached(made.map((c) => ({ container: c, image, copyUp: prepared.get(c.config.id)?.copyUp })), { explain: opts.explain, explainFull: opts.explainFull, host });
  for (const [k, c] of made.entries()) {
    if (failures[k]) continue;
    if (opts.onStarted) opts.onStarted(c);
    else writeSync(1, `${c.config.id}\n`);
  }
  const failed = failures.find((f) => f !== undefined);
  if (failed) throw failed;
  return 0;
}

/** A seccomp=FILE profile is converted and compiled once here, so that a bad one is refused
 * before anything is made (the default profile is the repository's own). */
async function checkSeccompFile(security: SecurityConfig, host: ReturnType<typeof hostSecurityFacts>): Promise<void> {
  if (security.seccomp.mode !== 'file') return;
  const profile = containerSeccomp(security, containerCapabilities(security, host.heldCaps), host);
  if (!profile) return;
  const [{ compileSeccomp }, { renameSeccompError }] = await Promise.all([import('../security/seccomp.js'), import('../security/docker-profile.js')]);
  try {
    compileSeccomp(profile);
  } catch (e) {
    throw renameSeccompError(e, `--security-opt seccomp=${security.seccomp.path}`);
  }
}

/** -p: the host ports must be free (see network/container/ports.ts). The containers of this
 * state directory are named by name; the kernel's rules also show other directories'. */
async function checkPorts(ports: PortMapping[]): Promise<void> {
  if (!ports.length) return;
  const mine = listContainers();
  const ids = new Set(mine.map((c) => c.config.id.slice(0, 12)));
  const { selectFirewall } = await import('../network/container/firewall.js');
  const inKernel = (await (await selectFirewall(silent)).published()).filter((r) => !ids.has(r.ctr));
  checkPortsFree(ports, mine.map((c) => ({ owner: `container ${c.config.name}`, ports: c.config.network?.ports ?? [] })), inKernel);
}

/**
 * Create a container's record and, on a bridge network, reserve its address (undone if that
 * fails). minictr build uses it for each RUN step.
 */
export function createAttached(config: Parameters<typeof createContainer>[0], mode: NetworkMode, driver?: 'linux' | 'ovs'): Promise<Container> {
  return reserveBridgeAddress(createContainer(config), mode, driver);
}

/** On a bridge network, reserve the container's address (and one on each further network,
 * eth1...) and record them; on failure the addresses taken are freed and the container's
 * files go. */
async function reserveBridgeAddress(container: Container, mode: NetworkMode, driver?: 'linux' | 'ovs', more: ExtraNetwork[] = []): Promise<Container> {
  if (mode.kind !== 'bridge') return container;
  const { releaseAddress } = await import('../network/container/ipam.js');
  const taken: { network: string; ip: string }[] = [];
  try {
    const { reserveAddress } = await import('../network/container/attach.js');
    await (await import('./lease-sweep.js')).sweepLeases(mode.network); // what interrupted runs left on it (lease-sweep.ts)
    const { ip } = await reserveAddress(mode.network, container.config.id, driver);
    taken.push({ network: mode.network, ip });
    const attached = [];
    for (const [i, m] of more.entries()) {
      const r = await reserveAddress(m.network, container.config.id);
      taken.push({ network: m.network, ip: r.ip });
      attached.push({ network: m.network, ip: r.ip, ifname: `eth${i + 1}`, ...(m.aliases.length ? { aliases: m.aliases } : {}) });
    }
    container.config.network = { ...container.config.network!, network: mode.network, ip, ...(attached.length ? { more: attached } : {}) };
    saveConfig(container);
    return container;
  } catch (err) {
    for (const t of taken) releaseAddress(t.network, t.ip, container.config.id);
    deleteContainerFiles(container);
    throw err;
  }
}
