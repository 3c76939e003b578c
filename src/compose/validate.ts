/**
 * The subset of the Compose specification minictr carries out: first the file's shape,
 * against minictr's JSON schema (schema.ts, compose-schema.json: a key of the specification
 * minictr does not carry out is refused by name, "not supported yet", never ignored; any
 * other is "unknown"), then what a schema cannot say, here, key by key: port and volume
 * syntax, names, durations, undefined networks and services, depends_on cycles (plan.ts).
 * Every error is one line that names the file, the service and the field:
 * `compose.yaml: services.web.ports[0]: ...`.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { MinictrError, UsageError } from '../errors.js';
import { parsePortMapping } from '../network/container/ports.js';
import { isValidName } from '../names.js';
import { parseDotEnv, type Vars } from './interpolate.js';
import { ENV_FILE_MAX, listToMap } from './load.js';
import type { BuildConfig, ComposeModel, DependsCondition, HealthCheck, NetworkDecl, ServiceConfig, VolumeDecl, VolumeEntry } from './model.js';
import { readBoundedFile } from '../util/bounded-read.js';
import { parseGoDuration } from '../runtime/healthcheck.js';
import { parseStopFlags } from '../runtime/options.js';
import { checkSchema } from './schema.js';

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Where {
  constructor(
    readonly source: string,
    readonly path: string,
  ) {}
  at(key: string | number): Where {
    return new Where(this.source, typeof key === 'number' ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key);
  }
  fail(msg: string): never {
    throw new UsageError(`${this.source}: ${this.path}: ${msg}`);
  }
}

const TOP_KEYS = new Set(['version', 'name', 'services', 'networks', 'volumes']);
const SERVICE_KEYS = new Set([
  'image', 'command', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'tmpfs', 'networks', 'depends_on', 'deploy', 'hostname',
  'working_dir', 'user', 'cap_add', 'cap_drop', 'read_only', 'privileged', 'dns', 'labels', 'restart', 'healthcheck', 'build',
  'entrypoint', 'stop_signal', 'stop_grace_period', 'init',
]);

function str(v: unknown, w: Where): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return w.fail(`expected a string, got ${describe(v)}`);
}
function bool(v: unknown, w: Where): boolean {
  if (typeof v === 'boolean') return v;
  return w.fail(`expected true or false, got ${describe(v)}`);
}
function strList(v: unknown, w: Where): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return w.fail(`expected a list of strings, got ${describe(v)}`);
  return v.map((e, i) => str(e, w.at(i)));
}
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
/** A mapping of these keys (the schema has refused the others already: this is a backstop). */
function keys(v: unknown, w: Where, allowed: Set<string>): Record<string, unknown> {
  if (!isMap(v)) return w.fail(`expected a mapping, got ${describe(v)}`);
  for (const k of Object.keys(v)) {
    if (k.startsWith('x-') || allowed.has(k)) continue;
    w.at(k).fail(`unknown key (not in the Compose specification${allowed.size ? `; expected one of ${[...allowed].join(', ')}` : ''})`);
  }
  return v;
}

/** One line for a field the specification has and minictr compose does not carry out yet. */
export function notSupported(w: { source: string; path: string }, why = ''): never {
  throw new UsageError(`${w.source}: ${w.path}: not supported yet by minictr compose${why ? ` (${why})` : ''}`);
}

/** Shell-like splitting of a string command (`command: echo "a b"`), as Compose does. */
export function splitCommand(s: string, w: Where | { fail(m: string): never }): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === q) q = undefined;
      else if (c === '\\' && q === '"' && (s[i + 1] === '"' || s[i + 1] === '\\')) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (q) w.fail(`unterminated ${q} quote in ${JSON.stringify(s)}`);
  if (has || cur) out.push(cur);
  return out;
}

function command(v: unknown, w: Where): string[] {
  if (typeof v === 'string') return splitCommand(v, w);
  return strList(v, w);
}

function environment(v: unknown, w: Where, vars: Vars): Record<string, string> {
  const m = listToMap(v);
  if (!isMap(m)) return w.fail(`expected a mapping or a list of KEY=VALUE, got ${describe(v)}`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(m)) {
    if (!k || /[\s=]/.test(k)) w.at(k).fail('not a valid variable name');
    if (x === null || x === undefined) {
      // a bare KEY takes the value from the environment, and is left out when unset
      if (vars[k] !== undefined) out[k] = vars[k]!;
    } else out[k] = str(x, w.at(k));
  }
  return out;
}

function envFiles(v: unknown, w: Where, dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, f] of strList(v, w).entries()) {
    const path = resolve(dir, f);
    if (!existsSync(path)) w.at(i).fail(`${path} does not exist`);
    let text: string;
    try {
      text = readBoundedFile(path, ENV_FILE_MAX, 'env file');
    } catch (e) {
      return w.at(i).fail((e as Error).message);
    }
    Object.assign(out, parseDotEnv(text, path));
  }
  return out;
}

function ports(v: unknown, w: Where): string[] {
  if (!Array.isArray(v)) return w.fail(`expected a list, got ${describe(v)}`);
  return v.map((p, i) => {
    const pw = w.at(i);
    let spec: string;
    if (isMap(p)) {
      keys(p, pw, new Set(['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol']));
      if (p.published === undefined) notSupported(pw, 'a published port is needed: minictr -p has no random host port');
      spec = `${p.host_ip !== undefined ? `${str(p.host_ip, pw.at('host_ip'))}:` : ''}${str(p.published, pw.at('published'))}:${str(p.target, pw.at('target'))}${p.protocol !== undefined ? `/${str(p.protocol, pw.at('protocol'))}` : ''}`;
    } else {
      spec = str(p, pw);
      if (/^\d+(\/\w+)?$/.test(spec)) notSupported(pw, `"${spec}": a container port alone needs a random host port, which minictr -p does not pick`);
      if (spec.includes('-')) notSupported(pw, `"${spec}": port ranges`);
    }
    try {
      parsePortMapping(spec);
    } catch (e) {
      pw.fail(e instanceof MinictrError ? e.message : String(e));
    }
    return spec;
  });
}

function volumes(v: unknown, w: Where, dir: string): { volumes: VolumeEntry[]; tmpfs: string[] } {
  if (!Array.isArray(v)) return w.fail(`expected a list, got ${describe(v)}`);
  const out: VolumeEntry[] = [];
  const tmpfs: string[] = [];
  for (const [i, e] of v.entries()) {
    const vw = w.at(i);
    let entry: VolumeEntry;
    if (typeof e === 'string') {
      const parts = e.split(':');
      if (parts.length === 1) notSupported(vw, `"${e}": anonymous volumes`);
      if (parts.length > 3 || !parts[0] || !parts[1]) vw.fail(`"${e}": expected SOURCE:TARGET[:ro|rw]`);
      const mode = parts[2];
      if (mode !== undefined && mode !== 'ro' && mode !== 'rw') vw.fail(`"${e}": the mode must be ro or rw`);
      const src = parts[0]!;
      const bind = src.startsWith('/') || src.startsWith('.') || src.startsWith('~');
      entry = { type: bind ? 'bind' : 'volume', source: src, target: parts[1]!, readOnly: mode === 'ro' };
    } else {
      const m = keys(e, vw, new Set(['type', 'source', 'target', 'read_only', 'bind', 'volume', 'tmpfs', 'consistency']));
      const type = str(m.type, vw.at('type'));
      if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') notSupported(vw.at('type'), `type ${type}`);
      entry = { type, source: m.source === undefined ? undefined : str(m.source, vw.at('source')), target: str(m.target, vw.at('target')), readOnly: m.read_only === undefined ? false : bool(m.read_only, vw.at('read_only')) };
      if (type !== 'tmpfs' && !entry.source) vw.at('source').fail(`a ${type} mount needs a source`);
    }
    if (!isAbsolute(entry.target)) vw.fail(`the target ${JSON.stringify(entry.target)} must be an absolute path`);
    if (entry.type === 'tmpfs') tmpfs.push(entry.target);
    else {
      if (entry.type === 'bind') entry.source = resolve(dir, entry.source!.replace(/^~(?=\/|$)/, process.env.HOME ?? '~'));
      else if (!isValidName('volume', entry.source!)) vw.fail(`${JSON.stringify(entry.source)} is not a valid volume name`);
      out.push(entry);
    }
  }
  return { volumes: out, tmpfs };
}

const CONDITIONS = new Set<DependsCondition>(['service_started', 'service_healthy', 'service_completed_successfully']);

function dependsOn(v: unknown, w: Where): ServiceConfig['dependsOn'] {
  if (Array.isArray(v)) return strList(v, w).map((service) => ({ service, condition: 'service_started' }));
  if (!isMap(v)) return w.fail(`expected a list or a mapping, got ${describe(v)}`);
  return Object.entries(v).map(([service, d]) => {
    const dw = w.at(service);
    const m = keys(d ?? {}, dw, new Set(['condition', 'required', 'restart']));
    const condition = m.condition === undefined ? 'service_started' : str(m.condition, dw.at('condition'));
    if (!CONDITIONS.has(condition as DependsCondition)) dw.at('condition').fail(`${JSON.stringify(condition)}: expected one of ${[...CONDITIONS].join(', ')}`);
    return { service, condition: condition as DependsCondition };
  });
}

function serviceNetworks(v: unknown, w: Where): ServiceConfig['networks'] {
  if (Array.isArray(v)) return strList(v, w).map((key) => ({ key, aliases: [] }));
  if (!isMap(v)) return w.fail(`expected a list or a mapping, got ${describe(v)}`);
  return Object.entries(v).map(([key, n]) => {
    const nw = w.at(key);
    const m = keys(n ?? {}, nw, new Set(['aliases']));
    const aliases = m.aliases === undefined ? [] : strList(m.aliases, nw.at('aliases'));
    for (const [i, a] of aliases.entries()) if (!isValidName('container', a)) nw.at('aliases').at(i).fail(`${JSON.stringify(a)} is not a valid host name`);
    return { key, aliases };
  });
}

function healthcheck(v: unknown, w: Where): HealthCheck {
  const m = keys(v, w, new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable']));
  const h: HealthCheck = {};
  if (m.test !== undefined) h.test = typeof m.test === 'string' ? ['CMD-SHELL', m.test] : strList(m.test, w.at('test'));
  if (m.interval !== undefined) h.interval = str(m.interval, w.at('interval'));
  if (m.timeout !== undefined) h.timeout = str(m.timeout, w.at('timeout'));
  if (m.start_period !== undefined) h.startPeriod = str(m.start_period, w.at('start_period'));
  if (m.retries !== undefined) {
    if (!Number.isInteger(m.retries) || (m.retries as number) < 0) w.at('retries').fail('expected a whole number');
    h.retries = m.retries as number;
  }
  if (m.disable !== undefined) h.disable = bool(m.disable, w.at('disable'));
  return h;
}

/** stop_signal (checked as run's --stop-signal) and stop_grace_period (a duration, rounded up
 * to whole seconds for run's --stop-timeout); init: true is what every minictr container has. */
function stopKeys(m: Record<string, unknown>, w: Where): Pick<ServiceConfig, 'stopSignal' | 'stopGracePeriod'> {
  const out: Pick<ServiceConfig, 'stopSignal' | 'stopGracePeriod'> = {};
  if (m.init !== undefined && !bool(m.init, w.at('init'))) notSupported(w.at('init'), 'every minictr container has minictr-init as PID 1');
  if (m.stop_signal !== undefined) {
    try {
      out.stopSignal = parseStopFlags({ stopSignal: str(m.stop_signal, w.at('stop_signal')) }).signal;
    } catch {
      w.at('stop_signal').fail(`${JSON.stringify(m.stop_signal)} is not a signal (expected a name such as SIGTERM or a number)`);
    }
  }
  if (m.stop_grace_period !== undefined) {
    const ns = parseGoDuration(str(m.stop_grace_period, w.at('stop_grace_period')));
    if (ns === undefined || ns < 0) w.at('stop_grace_period').fail(`${JSON.stringify(m.stop_grace_period)} is not a duration (expected e.g. 10s, 1m30s)`);
    out.stopGracePeriod = Math.ceil(ns! / 1e9);
  }
  return out;
}

/** `build: DIR` or `build: {context, dockerfile, args, target}`. */
function buildConfig(v: unknown, w: Where, dir: string, vars: Vars): BuildConfig {
  if (typeof v === 'string') return { context: resolve(dir, v), args: {} };
  const m = keys(v, w, new Set(['context', 'dockerfile', 'args', 'target']));
  const context = resolve(dir, m.context === undefined ? '.' : str(m.context, w.at('context')));
  const out: BuildConfig = { context, args: m.args !== undefined ? environment(m.args, w.at('args'), vars) : {} };
  if (m.dockerfile !== undefined) out.dockerfile = resolve(context, str(m.dockerfile, w.at('dockerfile')));
  if (m.target !== undefined) out.target = str(m.target, w.at('target'));
  return out;
}

function service(name: string, v: unknown, w: Where, dir: string, vars: Vars, project: string): ServiceConfig {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) w.fail('a service name uses only [a-zA-Z0-9_.-], starting with a letter or digit');
  const m = keys(v, w, SERVICE_KEYS);
  if (m.image === undefined && m.build === undefined) w.at('image').fail('missing: every service needs an image or a build');
  const build = m.build !== undefined ? buildConfig(m.build, w.at('build'), dir, vars) : undefined;
  const env = { ...(m.env_file !== undefined ? envFiles(m.env_file, w.at('env_file'), dir) : {}), ...(m.environment !== undefined ? environment(m.environment, w.at('environment'), vars) : {}) };
  const vol = m.volumes !== undefined ? volumes(m.volumes, w.at('volumes'), dir) : { volumes: [], tmpfs: [] };
  let replicas = 1;
  if (m.deploy !== undefined) {
    const d = keys(m.deploy, w.at('deploy'), new Set(['replicas']));
    if (d.replicas !== undefined) {
      if (!Number.isInteger(d.replicas) || (d.replicas as number) < 0) w.at('deploy').at('replicas').fail('expected a whole number');
      replicas = d.replicas as number;
    }
  }
  if (m.expose !== undefined) for (const [i, e] of strList(m.expose, w.at('expose')).entries()) if (!/^\d+(-\d+)?(\/(tcp|udp))?$/.test(e)) w.at('expose').at(i).fail(`"${e}" is not a port`);
  const s: ServiceConfig = {
    name,
    // Compose tags a built image without image: as PROJECT-SERVICE
    image: m.image !== undefined ? str(m.image, w.at('image')) : `${project}-${name}`.toLowerCase(),
    imageGiven: m.image !== undefined,
    ...(build ? { build } : {}),
    command: m.command === undefined || m.command === null ? undefined : command(m.command, w.at('command')),
    ...(m.entrypoint === undefined || m.entrypoint === null ? {} : { entrypoint: command(m.entrypoint, w.at('entrypoint')) }),
    ...stopKeys(m, w),
    environment: env,
    ports: m.ports !== undefined ? ports(m.ports, w.at('ports')) : [],
    volumes: vol.volumes,
    tmpfs: [...vol.tmpfs, ...(m.tmpfs !== undefined ? strList(m.tmpfs, w.at('tmpfs')) : [])],
    networks: m.networks !== undefined ? serviceNetworks(m.networks, w.at('networks')) : [{ key: 'default', aliases: [] }],
    dependsOn: m.depends_on !== undefined ? dependsOn(m.depends_on, w.at('depends_on')) : [],
    replicas,
    hostname: m.hostname !== undefined ? str(m.hostname, w.at('hostname')) : undefined,
    workingDir: m.working_dir !== undefined ? str(m.working_dir, w.at('working_dir')) : undefined,
    user: m.user !== undefined ? str(m.user, w.at('user')) : undefined,
    capAdd: m.cap_add !== undefined ? strList(m.cap_add, w.at('cap_add')) : [],
    capDrop: m.cap_drop !== undefined ? strList(m.cap_drop, w.at('cap_drop')) : [],
    readOnly: m.read_only !== undefined ? bool(m.read_only, w.at('read_only')) : false,
    privileged: m.privileged !== undefined ? bool(m.privileged, w.at('privileged')) : false,
    dns: m.dns !== undefined ? strList(m.dns, w.at('dns')) : [],
    labels: {},
    restart: m.restart !== undefined ? str(m.restart, w.at('restart')) : undefined,
    healthcheck: m.healthcheck !== undefined ? healthcheck(m.healthcheck, w.at('healthcheck')) : undefined,
  };
  if (m.labels !== undefined) {
    const l = listToMap(m.labels);
    if (!isMap(l)) return w.at('labels').fail(`expected a mapping or a list of KEY=VALUE, got ${describe(m.labels)}`);
    for (const [k, x] of Object.entries(l)) s.labels[k] = x === null ? '' : str(x, w.at('labels').at(k));
  }
  if (s.restart !== undefined && !/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(s.restart)) w.at('restart').fail(`${JSON.stringify(s.restart)}: expected no, always, on-failure[:N] or unless-stopped`);
  return s;
}

function network(key: string, v: unknown, w: Where, project: string): NetworkDecl {
  const m = keys(v ?? {}, w, new Set(['driver', 'external', 'name', 'ipam', 'labels', 'attachable']));
  const external = m.external === undefined ? false : bool(m.external, w.at('external'));
  const name = m.name !== undefined ? str(m.name, w.at('name')) : external ? key : `${project}_${key}`;
  if (!isValidName('network', name)) w.fail(`the network name ${JSON.stringify(name)} is not valid for minictr (1-32 of [a-zA-Z0-9_.-]; a shorter -p PROJECT or name: helps)`);
  let driver: NetworkDecl['driver'];
  if (m.driver !== undefined) {
    const d = str(m.driver, w.at('driver'));
    if (d === 'bridge' || d === 'linux') driver = 'linux';
    else if (d === 'ovs') driver = 'ovs';
    else notSupported(w.at('driver'), `driver ${d}: minictr has linux (bridge) and ovs`);
  }
  let subnet: string | undefined;
  if (m.ipam !== undefined) {
    const ipam = keys(m.ipam, w.at('ipam'), new Set(['config', 'driver']));
    if (ipam.config !== undefined) {
      if (!Array.isArray(ipam.config) || ipam.config.length > 1) notSupported(w.at('ipam').at('config'), 'one subnet per network');
      const c = keys(ipam.config[0] ?? {}, w.at('ipam').at('config').at(0), new Set(['subnet']));
      if (c.subnet !== undefined) subnet = str(c.subnet, w.at('ipam').at('config').at(0).at('subnet'));
    }
  }
  return { key, name, external, driver, subnet };
}

function volume(key: string, v: unknown, w: Where, project: string): VolumeDecl {
  if (!isValidName('volume', key)) w.fail('not a valid volume name');
  const m = keys(v ?? {}, w, new Set(['driver', 'external', 'name', 'labels']));
  if (m.driver !== undefined && str(m.driver, w.at('driver')) !== 'local') notSupported(w.at('driver'), `driver ${str(m.driver, w.at('driver'))}: minictr has local volumes`);
  const external = m.external === undefined ? false : bool(m.external, w.at('external'));
  const name = m.name !== undefined ? str(m.name, w.at('name')) : external ? key : `${project}_${key}`;
  if (!isValidName('volume', name)) w.fail(`the volume name ${JSON.stringify(name)} is not valid for minictr`);
  const labels: Record<string, string> = {};
  if (m.labels !== undefined) {
    const l = listToMap(m.labels);
    if (!isMap(l)) return w.at('labels').fail(`expected a mapping or a list of KEY=VALUE, got ${describe(m.labels)}`);
    for (const [k, x] of Object.entries(l)) labels[k] = x === null ? '' : str(x, w.at('labels').at(k));
  }
  return { key, name, external, labels };
}

export function validateProject(tree: Record<string, unknown>, opts: { project: string; source: string; dir: string; vars: Vars }): ComposeModel {
  const top = new Where(opts.source, '');
  checkSchema(tree, opts.source);
  for (const k of Object.keys(tree)) {
    if (k.startsWith('x-') || TOP_KEYS.has(k)) continue;
    top.at(k).fail(`unknown top-level key (expected ${[...TOP_KEYS].join(', ')})`);
  }
  if (tree.services === undefined || tree.services === null) top.at('services').fail('missing: a compose file needs services');
  const svcs = keys(tree.services, top.at('services'), new Set(Object.keys(isMap(tree.services) ? tree.services : {})));
  const networks: NetworkDecl[] = [];
  const declared = tree.networks === undefined || tree.networks === null ? {} : keys(tree.networks, top.at('networks'), new Set(Object.keys(isMap(tree.networks) ? tree.networks : {})));
  for (const [key, n] of Object.entries(declared)) networks.push(network(key, n, top.at('networks').at(key), opts.project));
  const services = Object.entries(svcs).map(([name, s]) => service(name, s, top.at('services').at(name), opts.dir, opts.vars, opts.project));
  // the default network exists when a service uses it (declaring it only changes its options)
  if (services.some((s) => s.networks.some((n) => n.key === 'default')) && !networks.some((n) => n.key === 'default')) {
    networks.unshift({ key: 'default', name: `${opts.project}_default`, external: false });
  }
  for (const s of services) {
    for (const n of s.networks) if (!networks.some((d) => d.key === n.key)) top.at('services').at(s.name).at('networks').at(n.key).fail(`the service uses network ${n.key}, which the top-level networks do not declare`);
    for (const d of s.dependsOn) if (!(d.service in svcs)) top.at('services').at(s.name).at('depends_on').fail(`depends on undefined service ${JSON.stringify(d.service)}`);
    const containerName = `${opts.project}-${s.name}-${Math.max(1, s.replicas)}`;
    if (!isValidName('container', containerName)) top.at('services').at(s.name).fail(`the container name ${containerName} would be longer than 64 characters`);
  }
  const declaredVolumes = tree.volumes === undefined || tree.volumes === null ? {} : keys(tree.volumes, top.at('volumes'), new Set(Object.keys(isMap(tree.volumes) ? tree.volumes : {})));
  const volumes = Object.entries(declaredVolumes).map(([key, v]) => volume(key, v, top.at('volumes').at(key), opts.project));
  for (const s of services) {
    for (const [i, v] of s.volumes.entries()) {
      if (v.type === 'volume' && !volumes.some((d) => d.key === v.source)) top.at('services').at(s.name).at('volumes').at(i).fail(`named volume ${JSON.stringify(v.source)} is not declared in the top-level volumes`);
    }
  }
  return { project: opts.project, source: opts.source, dir: opts.dir, services, networks, volumes };
}
