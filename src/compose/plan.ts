/**
 * What `compose up` does, as plain minictr commands: the project's networks
 * (`network create PROJECT_NET`), then for each service in depends_on order its containers
 * PROJECT-SERVICE-1..N (`run -d --name ... --network ... --network-alias SERVICE -l ... IMAGE
 * CMD`; a service on several networks gets `--network name=NET,alias=SERVICE` for each
 * after the first, its eth1, eth2...). The argv built here is what runs (parsed by the real `run` command line) and what
 * --explain prints. Pure: no file or kernel object is touched.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { parsePortMapping, portsOverlap } from '../network/container/ports.js';
import type { PortMapping } from '../network/container/firewall.js';
import { MAX_NETWORKS } from '../network/container/mode.js';
import { healthFlags, restartFlags, volumeFlags } from './mapping.js';
import type { BuildConfig, ComposeModel, NetworkDecl, ServiceConfig, VolumeDecl } from './model.js';

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  hash: 'com.docker.compose.config-hash',
  oneoff: 'com.docker.compose.oneoff',
  volume: 'com.docker.compose.volume',
} as const;

export interface PlannedService {
  config: ServiceConfig;
  /** in the file's order: the first is the container's eth0 */
  networks: NetworkDecl[];
  /** of the resolved service (not of its replica count): unchanged means left running */
  hash: string;
  replicas: number;
}

export interface Plan {
  project: string;
  source: string;
  /** the networks the services use, in order */
  networks: NetworkDecl[];
  /** in start order: every service after those it depends on */
  services: PlannedService[];
  /** the top-level volumes the services mount, in order */
  volumes: VolumeDecl[];
}

export const containerName = (project: string, service: string, n: number): string => `${project}-${service}-${n}`;

/** Start order (depends_on first); a cycle is one line naming it. */
export function startOrder(services: ServiceConfig[], source: string): ServiceConfig[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const done = new Set<string>();
  const out: ServiceConfig[] = [];
  const visit = (s: ServiceConfig, path: string[]): void => {
    if (done.has(s.name)) return;
    const at = path.indexOf(s.name);
    if (at >= 0) throw new UsageError(`${source}: services: depends_on cycle: ${[...path.slice(at), s.name].join(' -> ')}`);
    for (const d of s.dependsOn) {
      const dep = byName.get(d.service);
      if (!dep) throw new UsageError(`${source}: services.${s.name}.depends_on: depends on undefined service ${JSON.stringify(d.service)}`);
      visit(dep, [...path, s.name]);
    }
    done.add(s.name);
    out.push(s);
  };
  for (const s of services) visit(s, []);
  return out;
}

/** `--scale SVC=N` flags, checked against the file's services. */
export function parseScale(flags: string[], services: ServiceConfig[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of flags) {
    const m = /^([^=]+)=(\d+)$/.exec(f);
    if (!m) throw new UsageError(`invalid --scale "${f}": expected SERVICE=N`);
    if (!services.some((s) => s.name === m[1])) throw new UsageError(`invalid --scale "${f}": no such service: ${m[1]}`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** The services asked for on the command line, and every service they depend on. */
export function selectServices(model: ComposeModel, names: string[]): Set<string> {
  const byName = new Map(model.services.map((s) => [s.name, s]));
  const out = new Set<string>();
  const add = (n: string): void => {
    if (out.has(n)) return;
    const s = byName.get(n);
    if (!s) throw new UsageError(`no such service: ${n}`);
    out.add(n);
    for (const d of s.dependsOn) add(d.service);
  };
  for (const n of names.length ? names : model.services.map((s) => s.name)) add(n);
  return out;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

export function serviceHash(s: ServiceConfig, networks: NetworkDecl[]): string {
  const { replicas: _replicas, dependsOn: _dependsOn, ...rest } = s;
  return createHash('sha256').update(canonical({ ...rest, network: networks.map((n) => n.name).join(',') })).digest('hex');
}

/** No host port published twice: by two services, or by the replicas of one. */
export function checkPortClashes(services: PlannedService[], source: string): void {
  const taken: { service: string; port: PortMapping; spec: string }[] = [];
  for (const s of services) {
    if (s.replicas === 0) continue;
    for (const spec of s.config.ports) {
      const p = parsePortMapping(spec);
      if (s.replicas > 1) throw new UsageError(`${source}: services.${s.config.name}.ports: ${s.replicas} replicas cannot all publish host port ${p.hostPort}`);
      const other = taken.find((t) => portsOverlap(t.port, p));
      if (other) throw new UsageError(`${source}: services.${s.config.name}.ports: host port ${p.hostPort}/${p.proto} is published by service ${other.service} too`);
      taken.push({ service: s.config.name, port: p, spec });
    }
  }
}

export function buildPlan(model: ComposeModel, opts: { scale?: Record<string, number>; only?: Set<string> } = {}): Plan {
  const ordered = startOrder(model.services, model.source);
  const services: PlannedService[] = [];
  for (const s of ordered) {
    if (opts.only && !opts.only.has(s.name)) continue;
    if (s.networks.length > MAX_NETWORKS) throw new UsageError(`${model.source}: services.${s.name}.networks: a minictr container is on at most ${MAX_NETWORKS} networks`);
    const networks = s.networks.map((sn) => model.networks.find((n) => n.key === sn.key)!);
    services.push({ config: s, networks, hash: serviceHash(s, networks), replicas: opts.scale?.[s.name] ?? s.replicas });
  }
  checkPortClashes(services, model.source);
  const used = model.networks.filter((n) => services.some((s) => s.networks.some((x) => x.key === n.key)));
  const volumes = model.volumes.filter((d) => services.some((s) => s.config.volumes.some((v) => v.type === 'volume' && v.source === d.key)));
  return { project: model.project, source: model.source, networks: used, services, volumes };
}

/** `minictr volume create` of a project volume, with Compose's labels. */
export const volumeLabels = (project: string, v: VolumeDecl): Record<string, string> => ({ ...v.labels, [LABEL.project]: project, [LABEL.volume]: v.key });

export function volumeArgv(project: string, v: VolumeDecl): string[] {
  return ['volume', 'create', ...Object.entries(volumeLabels(project, v)).flatMap(([k, x]) => ['--label', `${k}=${x}`]), v.name];
}

/** What `compose pull [SVC...]` fetches: each named (or every) service's image once; a
 * service with build: and no image: is skipped, as Compose does (build makes its image). */
export function pullTargets(model: ComposeModel, names: string[]): { pull: { service: string; image: string }[]; skipped: string[] } {
  for (const n of names) if (!model.services.some((s) => s.name === n)) throw new UsageError(`no such service: ${n}`);
  const out: { pull: { service: string; image: string }[]; skipped: string[] } = { pull: [], skipped: [] };
  for (const s of model.services) {
    if (names.length && !names.includes(s.name)) continue;
    if (s.build && !s.imageGiven) out.skipped.push(s.name);
    else if (!out.pull.some((p) => p.image === s.image)) out.pull.push({ service: s.name, image: s.image });
  }
  return out;
}

/** `minictr build` of a service's image, as --explain prints it. */
export function buildArgv(image: string, b: BuildConfig): string[] {
  return ['build', '-t', image, ...(b.dockerfile ? ['-f', b.dockerfile] : []), ...Object.entries(b.args).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), ...(b.target ? ['--target', b.target] : []), b.context];
}

export function networkArgv(n: NetworkDecl): string[] {
  return ['network', 'create', ...(n.driver ? ['--driver', n.driver] : []), ...(n.subnet ? ['--subnet', n.subnet] : []), n.name];
}

export interface RunArgvOptions {
  /** the replica's number (its name is PROJECT-SERVICE-N), or a one-off's own name */
  number?: number;
  oneOff?: { name: string; command: string[]; rm: boolean };
}

/** `minictr run ...` for one container of a service (without the leading `minictr`). */
export function runArgv(plan: Plan, s: PlannedService, o: RunArgvOptions): string[] {
  const c = s.config;
  const name = o.oneOff ? o.oneOff.name : containerName(plan.project, c.name, o.number!);
  const labels: Record<string, string> = {
    ...c.labels,
    [LABEL.project]: plan.project,
    [LABEL.service]: c.name,
    ...(o.oneOff ? { [LABEL.oneoff]: 'True' } : { [LABEL.number]: String(o.number), [LABEL.oneoff]: 'False' }),
    [LABEL.hash]: s.hash,
  };
  // the service's name (and the file's aliases) on every network it is on, as Compose's DNS
  const aliases = (i: number): string[] => [...new Set([c.name, ...(c.networks[i]?.aliases ?? [])])];
  const argv = ['run', ...(o.oneOff ? (o.oneOff.rm ? ['--rm'] : []) : ['-d']), '--name', name, '--network', s.networks[0]!.name];
  for (const a of aliases(0)) argv.push('--network-alias', a);
  s.networks.slice(1).forEach((n, i) => argv.push('--network', [`name=${n.name}`, ...aliases(i + 1).map((a) => `alias=${a}`)].join(',')));
  if (c.hostname) argv.push('-h', c.hostname);
  for (const [k, v] of Object.entries(labels)) argv.push('-l', `${k}=${v}`);
  for (const [k, v] of Object.entries(c.environment)) argv.push('-e', `${k}=${v}`);
  if (!o.oneOff) for (const p of c.ports) argv.push('-p', p);
  for (const v of c.volumes) argv.push(...volumeFlags(plan.project, v, plan.volumes));
  for (const t of c.tmpfs) argv.push('--tmpfs', t);
  if (c.workingDir) argv.push('-w', c.workingDir);
  if (c.user) argv.push('-u', c.user);
  for (const cap of c.capAdd) argv.push('--cap-add', cap);
  for (const cap of c.capDrop) argv.push('--cap-drop', cap);
  if (c.readOnly) argv.push('--read-only');
  if (c.privileged) argv.push('--privileged');
  for (const d of c.dns) argv.push('--dns', d);
  // a one-off (compose run) is a task: no restart policy (and --rm could not have one)
  argv.push(...(o.oneOff ? [] : restartFlags(c.restart)), ...healthFlags(c.healthcheck));
  if (c.stopSignal) argv.push('--stop-signal', c.stopSignal);
  if (c.stopGracePeriod !== undefined) argv.push('--stop-timeout', String(c.stopGracePeriod));
  // entrypoint: its first word is run's --entrypoint (one word, as Docker's), the rest go before the command
  if (c.entrypoint) argv.push('--entrypoint', c.entrypoint[0] ?? '');
  argv.push(c.image, ...(c.entrypoint?.slice(1) ?? []), ...(o.oneOff?.command.length ? o.oneOff.command : (c.command ?? [])));
  return argv;
}
