/**
 * `minictr compose` carried out: the plan (plan.ts) run through the same library calls the
 * plain commands use (`network create`, `run -d`, `start`, `stop`, `rm -f`), each printed
 * with --explain as the minictr command it amounts to, right before it is done. A project's
 * containers are found by their labels (com.docker.compose.project / .service /
 * .container-number / .config-hash), so `up` knows what already runs: a container whose
 * service's resolved config hash is unchanged is left running, a changed one is recreated.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stringify } from 'yaml';
import { ConflictError, DependencyFailedError, MinictrError, NotFoundError } from '../errors.js';
import type { RunOptions } from '../runtime/options.js';
import { findContainer, isRestarting, isRunning, listContainers, readHealth, type Container } from '../runtime/store.js';
import { silent, type Explainer } from '../util/explain.js';
import { table } from '../util/format.js';
import { shellLine } from '../util/shell.js';
import { healthWaitMs } from './mapping.js';
import type { ComposeModel } from './model.js';
import { buildArgv, buildPlan, LABEL, pullTargets, networkArgv, parseScale, runArgv, selectServices, volumeArgv, volumeLabels, type Plan, type PlannedService } from './plan.js';

export interface ComposeContext {
  model: ComposeModel;
  /** the merged, interpolated file, for `config` */
  tree: Record<string, unknown>;
  /** `minictr run ARGV` parsed by the real run command line */
  parseRun: (argv: string[]) => RunOptions;
  explain: Explainer;
  /** progress lines (stderr) */
  say: (line: string) => void;
}

const label = (c: Container, k: string): string | undefined => c.config.labels?.[k];

/** The project's containers (one-offs of `compose run` included only when asked). */
export function projectContainers(project: string, opts: { oneOff?: boolean } = {}): Container[] {
  return listContainers()
    .filter((c) => label(c, LABEL.project) === project && (opts.oneOff || label(c, LABEL.oneoff) !== 'True'))
    .sort((a, b) => a.config.name.localeCompare(b.config.name, 'en', { numeric: true }));
}

function step(ctx: ComposeContext, what: string, argv: string[]): void {
  ctx.explain.step(what, shellLine(['minictr', ...argv]));
}

async function runPlanned(ctx: ComposeContext, argv: string[], onStarted?: (c: Container) => void): Promise<number> {
  const { runContainer } = await import('../runtime/run.js');
  return runContainer({ ...ctx.parseRun(argv.slice(1)), ...(onStarted ? { onStarted } : {}) });
}

async function removeOne(ctx: ComposeContext, c: Container, why: string, volumes = false): Promise<void> {
  const { removeContainer } = await import('../runtime/remove.js');
  step(ctx, `${why}: remove container ${c.config.name}`, ['rm', '-f', ...(volumes ? ['-v'] : []), c.config.name]);
  await removeContainer(c.config.id, true, { volumes });
  ctx.say(`Container ${c.config.name}  Removed`);
}

export interface UpOptions {
  detach: boolean;
  /** --build: build every service with build: first (else only those whose image is missing) */
  build?: boolean;
  services: string[];
  scale: string[];
  removeOrphans: boolean;
}

export async function composeUp(ctx: ComposeContext, o: UpOptions): Promise<number> {
  const { model } = ctx;
  const plan = buildPlan(model, { scale: parseScale(o.scale, model.services), only: selectServices(model, o.services) });
  // every command line is built and parsed, and every image found, before anything is made
  for (const s of plan.services) {
    ctx.parseRun(runArgv(plan, s, { number: 1 }).slice(1));
    s.config.volumes.forEach((v, i) => {
      if (v.type === 'bind' && !existsSync(v.source!)) throw new NotFoundError(`${plan.source}: services.${s.config.name}.volumes[${i}]: the bind source ${v.source} does not exist`);
    });
  }
  // a service with build: is built when asked (--build) or when its image is missing; the others' images are pulled when missing
  const { findImage } = await import('../image/store.js');
  const toBuild: PlannedService[] = [];
  for (const s of plan.services) if (s.config.build && (o.build || !(await findImage(s.config.image)))) toBuild.push(s);
  await buildServices(ctx, toBuild);
  const { resolveOrPullImage } = await import('../image/resolve.js');
  const imageIds = new Map<string, string>();
  for (const image of new Set(plan.services.map((s) => s.config.image))) imageIds.set(image, (await resolveOrPullImage(image, { output: process.stderr })).id);

  const made: Made = { networks: [], volumes: [], containers: [] };
  try {
    await ensureNetworks(ctx, plan, made.networks);
    await ensureVolumes(ctx, plan, made.volumes);
    const existing = projectContainers(model.project);
    for (const s of plan.services) {
      await waitForDependencies(ctx, plan, s);
      await upService(ctx, plan, s, existing, made.containers, imageIds.get(s.config.image));
    }
    const orphans = existing.filter((c) => !model.services.some((s) => s.name === label(c, LABEL.service)));
    for (const c of orphans) {
      if (o.removeOrphans) await removeOne(ctx, c, 'orphan');
      else ctx.say(`minictr: found orphan container ${c.config.name} (service ${label(c, LABEL.service)} is not in the file): --remove-orphans removes it`);
    }
  } catch (err) {
    // nothing half-made is left: what this up created goes again; but an unhealthy
    // dependency stops up with the started services left running, as Compose v2 does
    if (!(err instanceof DependencyFailedError)) await rollback(ctx, made);
    throw err;
  }
  if (o.detach) return 0;
  return followUntilInterrupted(ctx, plan);
}

async function ensureNetworks(ctx: ComposeContext, plan: Plan, made: string[]): Promise<void> {
  const { findNetwork } = await import('../network/container/store.js');
  const { createNetwork } = await import('../network/container/attach.js');
  for (const n of plan.networks) {
    if (findNetwork(n.name)) continue;
    if (n.external) throw new NotFoundError(`${plan.source}: networks.${n.key}: external network ${n.name} does not exist (create it with: minictr network create ${n.name})`);
    step(ctx, `create network ${n.name}`, networkArgv(n));
    await createNetwork(n.name, { subnet: n.subnet, driver: n.driver });
    made.push(n.name);
    ctx.say(`Network ${n.name}  Created`);
  }
}

/** The project's volumes: made with Compose's labels before any container mounts them (run
 * would make them too, but unlabelled); an external one must exist. */
async function ensureVolumes(ctx: ComposeContext, plan: Plan, made: string[]): Promise<void> {
  const { createVolume, findVolume } = await import('../volume/store.js');
  const { withVolumesLock } = await import('../runtime/volumes.js');
  for (const v of plan.volumes) {
    const found = findVolume(v.name);
    if (v.external) {
      if (!found) throw new NotFoundError(`${plan.source}: volumes.${v.key}: external volume ${v.name} does not exist (create it with: minictr volume create ${v.name})`);
      continue;
    }
    if (found) {
      if (found.Labels[LABEL.project] !== plan.project) ctx.say(`minictr: warning: volume ${v.name} already exists but was not made by compose for project ${plan.project}: it is used as it is`);
      continue;
    }
    step(ctx, `create volume ${v.name}`, volumeArgv(plan.project, v));
    const r = await withVolumesLock(async () => createVolume(v.name, { labels: volumeLabels(plan.project, v) }));
    if (r.created) made.push(v.name);
    ctx.say(`Volume ${v.name}  Created`);
  }
}

async function upService(ctx: ComposeContext, plan: Plan, s: PlannedService, existing: Container[], made: Container[], imageId?: string): Promise<void> {
  const mine = existing.filter((c) => label(c, LABEL.service) === s.config.name);
  for (let n = 1; n <= s.replicas; n++) {
    const found = mine.filter((c) => label(c, LABEL.number) === String(n));
    let keep: Container | undefined;
    for (const c of found) {
      if (!keep && label(c, LABEL.hash) === s.hash && (!imageId || c.config.imageId === imageId)) keep = c;
      else await removeOne(ctx, c, label(c, LABEL.hash) === s.hash ? `the image of ${s.config.name} changed` : `the configuration of ${s.config.name} changed`);
    }
    if (keep && isRunning(keep)) {
      ctx.say(`Container ${keep.config.name}  Running`);
      continue;
    }
    if (keep) {
      const { startExisting } = await import('../runtime/lifecycle.js');
      step(ctx, `start container ${keep.config.name}`, ['start', keep.config.name]);
      await startExisting(keep.config.id, { attach: false, explain: false });
      ctx.say(`Container ${keep.config.name}  Started`);
      continue;
    }
    const argv = runArgv(plan, s, { number: n });
    step(ctx, `create and start container ${argv[argv.indexOf('--name') + 1]}`, argv);
    await runPlanned(ctx, argv, (c) => {
      made.push(c);
      ctx.say(`Container ${c.config.name}  Started`);
    });
  }
  // scaled down: the highest numbers go
  for (const c of mine.filter((x) => Number(label(x, LABEL.number)) > s.replicas)) await removeOne(ctx, c, `${s.config.name} is scaled to ${s.replicas}`);
}

/** depends_on conditions: service_started holds once its containers were started (they were,
 * in order); service_completed_successfully waits for each to exit with 0; service_healthy
 * for each to be healthy. */
async function waitForDependencies(ctx: ComposeContext, plan: Plan, s: PlannedService): Promise<void> {
  for (const d of s.config.dependsOn) {
    if (d.condition === 'service_healthy') {
      for (const c of projectContainers(plan.project).filter((x) => label(x, LABEL.service) === d.service)) await waitHealthy(ctx, s.config.name, c);
      continue;
    }
    if (d.condition !== 'service_completed_successfully') continue;
    const { waitForExit } = await import('../runtime/lifecycle.js');
    for (const c of projectContainers(plan.project).filter((x) => label(x, LABEL.service) === d.service)) {
      ctx.explain.note(`${s.config.name} waits for ${c.config.name} to complete (minictr wait ${c.config.name})`);
      const done = (await waitForExit(c.config.id))!;
      if (done.state.exitCode !== 0) throw new MinictrError(`service ${s.config.name}: dependency ${c.config.name} did not complete successfully (exit code ${done.state.exitCode})`);
    }
  }
}

/** Polls the container's health (what `minictr inspect` shows as .State.Health.Status) until
 * it is healthy. Unhealthy, exited or never decided within healthWaitMs: one line naming the
 * dependant and the container. */
async function waitHealthy(ctx: ComposeContext, service: string, dep: Container): Promise<void> {
  const name = dep.config.name;
  const failed = (why: string): DependencyFailedError => new DependencyFailedError(`service ${service}: dependency failed to start: container ${name} ${why}`);
  if (!dep.config.healthcheck) throw failed('has no healthcheck configured');
  const limitMs = healthWaitMs(dep.config.healthcheck);
  ctx.explain.note(`${service} waits for ${name} to be healthy (minictr inspect ${name}: .State.Health.Status, at most ${Math.ceil(limitMs / 1000)} s)`);
  const end = Date.now() + limitMs;
  for (;;) {
    const c = findContainer(dep.config.id);
    const status = readHealth(c)?.Status;
    if (status === 'healthy') return;
    if (status === 'unhealthy') throw failed('is unhealthy');
    if (!isRunning(c) && !isRestarting(c)) throw failed(`exited (${c.state.exitCode ?? '?'})`);
    if (Date.now() > end) throw failed(`did not become healthy within ${Math.ceil(limitMs / 1000)} s (its health is still "${status ?? 'starting'}")`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Made {
  networks: string[];
  volumes: string[];
  containers: Container[];
}

async function rollback(ctx: ComposeContext, made: Made): Promise<void> {
  const { removeContainer } = await import('../runtime/remove.js');
  const { removeNetwork } = await import('../network/container/attach.js');
  for (const c of made.containers.reverse()) await removeContainer(c.config.id, true).catch(() => undefined);
  const ids = new Set(listContainers().map((c) => c.config.id));
  for (const n of made.networks.reverse()) await removeNetwork(n, false, silent, (id) => ids.has(id)).catch(() => undefined);
  const { removeUnusedVolumes } = await import('../runtime/volumes.js');
  await removeUnusedVolumes(made.volumes).catch(() => undefined);
}

/** `up` without -d: every container's output, `SERVICE-N | ` before each line, until all
 * have exited or Ctrl-C (SIGINT/SIGTERM), which stops them. */
async function followUntilInterrupted(ctx: ComposeContext, plan: Plan): Promise<number> {
  const { showLogs } = await import('../runtime/logs.js');
  const { stopContainer } = await import('../runtime/lifecycle.js');
  const wanted = new Set(plan.services.map((s) => s.config.name));
  const containers = projectContainers(plan.project).filter((c) => wanted.has(label(c, LABEL.service) ?? ''));
  const width = Math.max(...containers.map((c) => prefixOf(c).length));
  let interrupted = false;
  const stopAll = (): void => {
    if (interrupted) return;
    interrupted = true;
    ctx.say('Gracefully stopping... (press Ctrl+C again to force)');
    void Promise.all([...containers].reverse().map((c) => stopContainer(c.config.id).catch(() => undefined)));
  };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  try {
    await Promise.all(containers.map((c) => showLogs(c.config.id, { follow: true, prefix: `${prefixOf(c).padEnd(width)} | ` })));
  } finally {
    process.off('SIGINT', stopAll);
    process.off('SIGTERM', stopAll);
  }
  return interrupted ? 130 : 0;
}

const prefixOf = (c: Container): string => `${label(c, LABEL.service)}-${label(c, LABEL.number)}`;

export async function composeDown(ctx: ComposeContext, o: { removeOrphans: boolean; volumes?: boolean }): Promise<void> {
  const { model } = ctx;
  const services = new Set(model.services.map((s) => s.name));
  const all = projectContainers(model.project, { oneOff: true });
  for (const c of all.reverse()) {
    if (!services.has(label(c, LABEL.service) ?? '') && !o.removeOrphans) {
      ctx.say(`minictr: found orphan container ${c.config.name}: --remove-orphans removes it`);
      continue;
    }
    await removeOne(ctx, c, 'down', o.volumes);
  }
  const { findNetwork } = await import('../network/container/store.js');
  const { removeNetwork } = await import('../network/container/attach.js');
  const ids = new Set(listContainers().map((c) => c.config.id));
  for (const n of model.networks) {
    if (n.external || !findNetwork(n.name)) continue;
    step(ctx, `remove network ${n.name}`, ['network', 'rm', n.name]);
    try {
      await removeNetwork(n.name, false, silent, (id) => ids.has(id));
      ctx.say(`Network ${n.name}  Removed`);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      ctx.say(`minictr: network ${n.name} kept: ${err.message}`);
    }
  }
  if (o.volumes) await removeProjectVolumes(ctx);
}

/** `down -v`: the project's own named volumes (declared, not external, labelled with this
 * project), never another project's or a volume made by hand under the same name. */
async function removeProjectVolumes(ctx: ComposeContext): Promise<void> {
  const { findVolume } = await import('../volume/store.js');
  const { removeVolume } = await import('../runtime/volumes.js');
  for (const v of ctx.model.volumes) {
    if (v.external) continue;
    const found = findVolume(v.name);
    if (!found) continue;
    if (found.Labels[LABEL.project] !== ctx.model.project) {
      ctx.say(`minictr: volume ${v.name} kept: it was not made by compose for project ${ctx.model.project}`);
      continue;
    }
    step(ctx, `remove volume ${v.name}`, ['volume', 'rm', v.name]);
    try {
      await removeVolume(v.name, false);
      ctx.say(`Volume ${v.name}  Removed`);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      ctx.say(`minictr: volume ${v.name} kept: ${err.message}`);
    }
  }
}

/** `minictr build` of each service (the library function, not a subprocess), tagged with
 * the service's image: its `image:`, or PROJECT-SERVICE. */
async function buildServices(ctx: ComposeContext, services: PlannedService[]): Promise<void> {
  if (!services.length) return;
  const { buildImage } = await import('../build/build.js');
  const { writeSync } = await import('node:fs');
  for (const s of services) {
    const b = s.config.build!;
    step(ctx, `build the image of ${s.config.name}`, buildArgv(s.config.image, b));
    ctx.say(`Service ${s.config.name}  Building`);
    await buildImage({
      context: b.context,
      file: b.dockerfile,
      tags: [s.config.image],
      buildArgs: new Map(Object.entries(b.args)),
      target: b.target,
      noCache: false,
      progress: 'plain',
      explain: false,
      write: (x) => writeSync(2, x),
    });
    ctx.say(`Service ${s.config.name}  Built`);
  }
}

/** `compose build [SVC...]`: every (named) service with build:, whether its image exists or not. */
export async function composeBuild(ctx: ComposeContext, services: string[]): Promise<void> {
  for (const n of services) if (!ctx.model.services.some((x) => x.name === n)) throw new NotFoundError(`no such service: ${n}`);
  const plan = buildPlan(ctx.model, { ...(services.length ? { only: new Set(services) } : {}) });
  await buildServices(ctx, plan.services.filter((s) => s.config.build));
}

/** `compose pull [SVC...]`: the services' images from their registries (pullTargets). */
export async function composePull(ctx: ComposeContext, services: string[]): Promise<void> {
  const { pullImage } = await import('../image/pull.js');
  const t = pullTargets(ctx.model, services);
  for (const s of t.skipped) ctx.say(`Service ${s}  Skipped (it is built: minictr compose build ${s})`);
  for (const { service, image } of t.pull) {
    step(ctx, `pull the image of ${service}`, ['pull', image]);
    ctx.say(`Service ${service}  Pulling ${image}`);
    await pullImage(image, { output: process.stderr });
    ctx.say(`Service ${service}  Pulled`);
  }
}

/** The project's containers of these services (all when none are named). */
function containersOf(ctx: ComposeContext, services: string[]): Container[] {
  for (const s of services) if (!ctx.model.services.some((x) => x.name === s)) throw new NotFoundError(`no such service: ${s}`);
  return projectContainers(ctx.model.project).filter((c) => !services.length || services.includes(label(c, LABEL.service) ?? ''));
}

export function composePs(ctx: ComposeContext, o: { all: boolean }): string {
  const rows = projectContainers(ctx.model.project, { oneOff: true })
    .filter((c) => o.all || isRunning(c))
    .map((c) => {
      const st = isRunning(c) ? 'running' : `exited (${c.state.exitCode ?? '?'})`;
      const ports = (c.config.network?.ports ?? []).map((p) => `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.proto}`).join(', ');
      return [c.config.name, label(c, LABEL.service) ?? '', c.config.image, st, ports];
    });
  return table(['NAME', 'SERVICE', 'IMAGE', 'STATUS', 'PORTS'], rows);
}

export async function composeLogs(ctx: ComposeContext, services: string[], o: { follow: boolean }): Promise<void> {
  const { showLogs } = await import('../runtime/logs.js');
  const cs = containersOf(ctx, services);
  const width = Math.max(0, ...cs.map((c) => prefixOf(c).length));
  await Promise.all(cs.map((c) => showLogs(c.config.id, { follow: o.follow, prefix: `${prefixOf(c).padEnd(width)} | ` })));
}

export async function composeExec(ctx: ComposeContext, service: string, command: string[], o: { index: number; env: string[]; workdir?: string; user?: string; explain: boolean }): Promise<number> {
  const c = containersOf(ctx, [service]).find((x) => label(x, LABEL.number) === String(o.index));
  if (!c) throw new NotFoundError(`service ${service} has no container number ${o.index} (is the project up?)`);
  const { execInContainer } = await import('../runtime/exec.js');
  step(ctx, `run a command in ${c.config.name}`, ['exec', c.config.name, ...command]);
  return execInContainer(c.config.id, command, { interactive: false, tty: false, env: o.env, workdir: o.workdir, user: o.user, explain: false });
}

/** `compose run [--rm] SVC CMD...`: a one-off container of the service (named
 * PROJECT-SVC-run-XXXXXX, no published ports), attached, after `up -d` of what it depends on
 * (as Compose does); its exit status is returned. */
export async function composeRun(ctx: ComposeContext, service: string, command: string[], o: { rm: boolean }): Promise<number> {
  const deps = [...selectServices(ctx.model, [service])].filter((s) => s !== service);
  const plan = buildPlan(ctx.model, { only: new Set([service]) });
  const s = plan.services[0]!;
  if (deps.length) await composeUp(ctx, { detach: true, services: deps, scale: [], removeOrphans: false });
  const { findImage } = await import('../image/store.js');
  if (s.config.build && !(await findImage(s.config.image))) await buildServices(ctx, [s]);
  await ensureNetworks(ctx, plan, []);
  const name = `${plan.project}-${service}-run-${randomBytes(3).toString('hex')}`;
  const argv = runArgv(plan, s, { oneOff: { name, command, rm: o.rm } });
  step(ctx, `run a one-off container of ${service}`, argv);
  return runPlanned(ctx, argv);
}

export async function composeStop(ctx: ComposeContext, services: string[]): Promise<void> {
  const { stopContainer } = await import('../runtime/lifecycle.js');
  for (const c of containersOf(ctx, services).reverse()) {
    step(ctx, `stop container ${c.config.name}`, ['stop', c.config.name]);
    await stopContainer(c.config.id);
    ctx.say(`Container ${c.config.name}  Stopped`);
  }
}

export async function composeStart(ctx: ComposeContext, services: string[]): Promise<void> {
  const { startExisting } = await import('../runtime/lifecycle.js');
  const order = buildPlan(ctx.model).services.map((s) => s.config.name);
  const cs = containersOf(ctx, services).sort((a, b) => order.indexOf(label(a, LABEL.service)!) - order.indexOf(label(b, LABEL.service)!));
  for (const c of cs) {
    if (isRunning(c)) continue;
    step(ctx, `start container ${c.config.name}`, ['start', c.config.name]);
    await startExisting(c.config.id, { attach: false, explain: false });
    ctx.say(`Container ${c.config.name}  Started`);
  }
}

export async function composeRestart(ctx: ComposeContext, services: string[]): Promise<void> {
  await composeStop(ctx, services);
  await composeStart(ctx, services);
}

/** The resolved file: merged, interpolated, with its project name. */
export function composeConfig(ctx: ComposeContext): string {
  const { name: _name, version: _version, ...rest } = ctx.tree;
  return stringify({ name: ctx.model.project, ...rest });
}
