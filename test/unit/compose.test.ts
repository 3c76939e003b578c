/** minictr compose's pure layer: files, interpolation, validation, the plan (src/compose/). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { interpolateString, parseDotEnv, type Vars } from '../../src/compose/interpolate.js';
import { loadProject, normaliseProjectName, parseComposeYaml } from '../../src/compose/load.js';
import { healthWaitMs } from '../../src/compose/mapping.js';
import { buildArgv, buildPlan, LABEL, pullTargets, networkArgv, parseScale, runArgv, selectServices, startOrder, volumeArgv } from '../../src/compose/plan.js';
import { splitCommand, validateProject } from '../../src/compose/validate.js';
import { fieldPath } from '../../src/compose/schema.js';
import { parseStopFlags } from '../../src/runtime/options.js';
import { parseRunArgv } from '../../src/cli/commands/run.js';

const scratch = mkdtempSync(join(tmpdir(), 'minictr-compose-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
/** A project directory with these files; returns its path. */
function project(files: Record<string, string>, name = `My Proj.${n++}`): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

function model(yaml: string, o: { env?: Vars } = {}) {
  const dir = project({ 'compose.yaml': yaml });
  const l = loadProject({ files: [], cwd: dir, env: o.env ?? {}, project: 'p' });
  return validateProject(l.tree, { project: l.project, source: 'compose.yaml', dir: l.dir, vars: l.vars });
}
const fails = (yaml: string, msg: string | RegExp): void => {
  expect(() => buildPlan(model(yaml))).toThrow(msg);
  expect(() => buildPlan(model(yaml))).toThrow(UsageError);
};

describe('interpolation', () => {
  const ctx = (vars: Vars) => ({ vars, unset: new Set<string>() });
  it('$VAR, ${VAR}, defaults for unset (-) and unset-or-empty (:-), $$ a literal $', () => {
    const c = ctx({ A: 'a', E: '' });
    expect(interpolateString('$A ${A} ${E-d} ${E:-d} ${U-d} ${U:-d} $$A $$', c, 'f')).toBe('a a  d d d $A $');
    expect(interpolateString('${U:-${A}x}', c, 'f')).toBe('ax');
    expect(interpolateString('${A:+alt}|${E:+alt}|${E+alt}', c, 'f')).toBe('alt||alt');
    expect(c.unset.size).toBe(0);
  });
  it('an unset variable without default is "" and reported', () => {
    const c = ctx({});
    expect(interpolateString('x${NOPE}y$NOPE2', c, 'f')).toBe('xy');
    expect([...c.unset]).toEqual(['NOPE', 'NOPE2']);
  });
  it('required variables and bad syntax are one line naming the field', () => {
    expect(() => interpolateString('${X:?set X please}', ctx({}), 'compose.yaml: services.a.image')).toThrow('compose.yaml: services.a.image: required variable X is missing a value: set X please');
    expect(() => interpolateString('${X', ctx({}), 'f: services.a.image')).toThrow(/f: services.a.image: invalid interpolation format.*no closing/);
    expect(() => interpolateString('${1x}', ctx({}), 'f')).toThrow(/names no variable/);
  });
  it('.env: comments, export, quotes; a bad line names file and line', () => {
    expect(parseDotEnv('# c\nA=1\nexport B = two \nC="x\\ny"\nD=\'$lit\'\nE=v # note\n\n', '.env')).toEqual({ A: '1', B: 'two', C: 'x\ny', D: '$lit', E: 'v' });
    expect(() => parseDotEnv('A=1\nnot a line\n', '/p/.env')).toThrow('/p/.env:2: expected KEY=VALUE');
  });
});

describe('loading', () => {
  it('project names are normalised as Compose does', () => {
    expect(normaliseProjectName('My Proj.1')).toBe('myproj1');
    expect(normaliseProjectName('__A-b_C')).toBe('a-b_c');
  });
  it('finds compose.yaml, else docker-compose.yml; the directory names the project', () => {
    const a = project({ 'docker-compose.yml': 'services: {a: {image: busybox}}\n' }, 'Web App');
    expect(loadProject({ files: [], cwd: a, env: {} }).project).toBe('webapp');
    const b = project({ 'compose.yaml': 'name: fromfile\nservices: {a: {image: x}}\n', 'docker-compose.yml': 'services: {b: {image: y}}\n' });
    const l = loadProject({ files: [], cwd: b, env: {} });
    expect(l.project).toBe('fromfile');
    expect(Object.keys(l.tree.services as object)).toEqual(['a']);
    expect(loadProject({ files: [], cwd: b, env: { COMPOSE_PROJECT_NAME: 'ignored' }, project: 'cli' }).project).toBe('cli');
    expect(() => loadProject({ files: [], cwd: project({}), env: {} })).toThrow(NotFoundError);
    expect(() => loadProject({ files: [], cwd: b, env: {}, project: 'Bad Name' })).toThrow(/invalid project name "Bad Name"/);
  });
  it('the environment wins over .env; unset variables are warnings', () => {
    const dir = project({ '.env': 'TAG=fromdotenv\nPORT=8080\n', 'compose.yaml': 'services:\n  a:\n    image: "busybox:${TAG}"\n    ports: ["${PORT}:80"]\n    command: echo ${MISSING}\n' });
    const l = loadProject({ files: [], cwd: dir, env: { TAG: 'fromenv' } });
    const a = (l.tree.services as Record<string, Record<string, unknown>>).a!;
    expect(a.image).toBe('busybox:fromenv');
    expect(a.ports).toEqual(['8080:80']);
    expect(l.warnings).toEqual(['the MISSING variable is not set: defaulting to a blank string']);
  });
  it('-f files merge in order: maps by key, environment by variable, ports appended, volumes by target, command replaced', () => {
    const dir = project({
      'base.yaml': 'services:\n  a:\n    image: one\n    command: [sh, -c, base]\n    environment: [A=1, B=2]\n    ports: ["1000:80"]\n    volumes: ["/tmp:/data", "/srv:/srv"]\n',
      'over.yaml': 'services:\n  a:\n    image: two\n    command: echo over\n    environment: {B: "3", C: "4"}\n    ports: ["1001:81"]\n    volumes: ["/var:/data"]\n  b:\n    image: three\n',
    });
    const l = loadProject({ files: ['base.yaml', 'over.yaml'], cwd: dir, env: {} });
    const s = l.tree.services as Record<string, Record<string, unknown>>;
    expect(s.a).toEqual({ image: 'two', command: 'echo over', environment: { A: '1', B: '3', C: '4' }, ports: ['1000:80', '1001:81'], volumes: ['/var:/data', '/srv:/srv'] });
    expect(s.b).toEqual({ image: 'three' });
  });
  it('invalid YAML is one line with file, line and column', () => {
    expect(() => parseComposeYaml('services:\n  a: [\n', 'compose.yaml')).toThrow(/^compose\.yaml:\d+:\d+: invalid YAML: /);
    expect(() => parseComposeYaml('services:\n  a: {}\n  a: {}\n', 'c.yaml')).toThrow(/c\.yaml:3:3: invalid YAML: Map keys must be unique/);
    expect(() => parseComposeYaml('- a\n', 'c.yaml')).toThrow('c.yaml: the top level must be a mapping');
    expect(() => parseComposeYaml('', 'c.yaml')).toThrow('c.yaml: the file is empty');
  });
});

describe('validation', () => {
  it('a full service resolves to what run needs', () => {
    const m = model(`
services:
  web:
    image: busybox
    command: sh -c "echo 'a b'"
    environment: [A=1, FROMHOST]
    ports: ["127.0.0.1:8080:80", {target: 53, published: 5353, protocol: udp}]
    volumes: ["./data:/data:ro", {type: tmpfs, target: /run/x}]
    tmpfs: /tmp
    working_dir: /srv
    user: "1000"
    cap_add: [NET_ADMIN]
    read_only: true
    labels: {tier: front}
    deploy: {replicas: 2}
    expose: ["80"]
    networks: {front: {aliases: [www]}}
networks:
  front: {driver: ovs, ipam: {config: [{subnet: 10.77.1.0/24}]}}
`, { env: { FROMHOST: 'h' } });
    const w = m.services[0]!;
    expect(w.command).toEqual(['sh', '-c', "echo 'a b'"]);
    expect(w.environment).toEqual({ A: '1', FROMHOST: 'h' });
    expect(w.ports).toEqual(['127.0.0.1:8080:80', '5353:53/udp']);
    expect(w.volumes).toEqual([{ type: 'bind', source: join(scratch, 'My Proj.' + (n - 1), 'data'), target: '/data', readOnly: true }]);
    expect(w.tmpfs).toEqual(['/run/x', '/tmp']);
    expect(w.replicas).toBe(2);
    expect(w.networks).toEqual([{ key: 'front', aliases: ['www'] }]);
    expect(m.networks).toEqual([{ key: 'front', name: 'p_front', external: false, driver: 'ovs', subnet: '10.77.1.0/24' }]);
  });
  it('the default network is PROJECT_default, made only when a service uses it', () => {
    expect(model('services: {a: {image: x}}').networks).toEqual([{ key: 'default', name: 'p_default', external: false }]);
    expect(model('services: {a: {image: x, networks: [n]}}\nnetworks: {n: {}, ext: {external: true}}').networks.map((x) => x.name)).toEqual(['p_n', 'ext']);
  });
  it.each([
    ['services: {a: {image: x, foo: 1}}', 'compose.yaml: services.a.foo: unknown key'],
    ['services: {a: {image: x}}\nfoo: {}', 'compose.yaml: foo: unknown key, not supported by minictr compose (supported here: version, name, services, networks, volumes)'],
    ['services: {a: {command: x}}', 'compose.yaml: services.a.image: missing: every service needs an image or a build'],
    ['services: {a: {image: x, ports: ["99999:80"]}}', 'compose.yaml: services.a.ports[0]: invalid port mapping "99999:80"'],
    ['services: {a: {image: x, ports: ["80"]}}', 'compose.yaml: services.a.ports[0]: not supported yet by minictr compose'],
    ['services: {a: {image: x, volumes: ["/d:rel"]}}', 'compose.yaml: services.a.volumes[0]: the target "rel" must be an absolute path'],
    ['services: {a: {image: x, read_only: "yes"}}', 'compose.yaml: services.a.read_only: must be true or false, got string "yes"'],
    ['services: {a: {image: x, depends_on: [nope]}}', 'compose.yaml: services.a.depends_on: depends on undefined service "nope"'],
    ['services: {a: {image: x, depends_on: {b: {condition: soon}}}, b: {image: x}}', 'compose.yaml: services.a.depends_on.b.condition: "soon": expected one of'],
    ['services: {a: {image: x, networks: [back]}}', 'compose.yaml: services.a.networks.back: the service uses network back, which the top-level networks do not declare'],
    ['services: {a: {image: x, build: {context: ., ssh: [default]}}}', 'compose.yaml: services.a.build.ssh: not supported yet by minictr compose'],
    ['services: {a: {image: x, build: {context: ., dockerfil: D}}}', 'compose.yaml: services.a.build.dockerfil: unknown key'],
    ['services: {a: {image: x, container_name: web}}', 'compose.yaml: services.a.container_name: not supported yet'],
    ['services: {a: {image: x}}\nnetworks: {default: {driver: overlay}}', 'compose.yaml: networks.default.driver: not supported yet by minictr compose (driver overlay'],
    ['services: {a: {image: x, restart: sometimes}}', 'compose.yaml: services.a.restart: "sometimes": expected no, always'],
    ['services: {a: {image: x, volumes: ["data:/d"]}}', 'compose.yaml: services.a.volumes[0]: named volume "data" is not declared in the top-level volumes'],
    ['services: {a: {image: x, command: "sh -c \'oops"}}', "compose.yaml: services.a.command: unterminated ' quote"],
    ['services: {"a b": {image: x}}', 'compose.yaml: services.a b: a service name uses only'],
  ])('%s', (yaml, msg) => {
    expect(() => model(yaml)).toThrow(msg);
    expect(() => model(yaml)).toThrow(UsageError);
  });
  it('build: a context string or {context, dockerfile, args, target}; the image is image: or PROJECT-SERVICE', () => {
    const m = model('services:\n  web: {build: ./app}\n  api: {image: reg/api:v2, build: {context: src, dockerfile: Dockerfile.dev, args: {V: "1", E: null}, target: prod}}\n  db: {image: busybox}\n', { env: { E: 'from-env' } });
    const [web, api, db] = m.services;
    expect(web!.image).toBe('p-web');
    expect(web!.imageGiven).toBe(false);
    expect(web!.build).toEqual({ context: join(m.dir, 'app'), args: {} });
    expect(api!.image).toBe('reg/api:v2');
    expect(api!.build).toEqual({ context: join(m.dir, 'src'), dockerfile: join(m.dir, 'src', 'Dockerfile.dev'), args: { V: '1', E: 'from-env' }, target: 'prod' });
    expect(db!.build).toBeUndefined();
    expect(buildArgv(api!.image, api!.build!)).toEqual(['build', '-t', 'reg/api:v2', '-f', join(m.dir, 'src', 'Dockerfile.dev'), '--build-arg', 'V=1', '--build-arg', 'E=from-env', '--target', 'prod', join(m.dir, 'src')]);
    const plan = buildPlan(m);
    expect(runArgv(plan, plan.services.find((s) => s.config.name === 'web')!, { number: 1 }).at(-1)).toBe('p-web');
  });
  it('pull: each image once; a service with build: and no image: is skipped; an unknown service is one line', () => {
    const m = model('services:\n  a: {image: busybox}\n  b: {image: busybox}\n  c: {build: .}\n  d: {build: ., image: reg/d:v1}\n');
    expect(pullTargets(m, [])).toEqual({ pull: [{ service: 'a', image: 'busybox' }, { service: 'd', image: 'reg/d:v1' }], skipped: ['c'] });
    expect(pullTargets(m, ['b', 'c'])).toEqual({ pull: [{ service: 'b', image: 'busybox' }], skipped: ['c'] });
    expect(() => pullTargets(m, ['nope'])).toThrow('no such service: nope');
  });
  it('entrypoint, stop_signal, stop_grace_period map onto run --entrypoint, --stop-signal, --stop-timeout; init: true is accepted', () => {
    const m = model('services:\n  a: {image: x, entrypoint: [sh, -c], command: ["echo hi"], stop_signal: usr1, stop_grace_period: 1m30.5s, init: true}\n  b: {image: x, entrypoint: "", command: id}\n  c: {image: x, entrypoint: "/bin/echo \'a b\'"}\n');
    const plan = buildPlan(m);
    const argv = (svc: string): string[] => runArgv(plan, plan.services.find((s) => s.config.name === svc)!, { number: 1 });
    expect(argv('a').slice(-9)).toEqual(['--stop-signal', 'SIGUSR1', '--stop-timeout', '91', '--entrypoint', 'sh', 'x', '-c', 'echo hi']);
    expect(argv('b').slice(-4)).toEqual(['--entrypoint', '', 'x', 'id']);
    expect(argv('c').slice(-4)).toEqual(['--entrypoint', '/bin/echo', 'x', 'a b']);
    expect(argv('c')).not.toContain('--stop-signal');
    const one = runArgv(plan, plan.services.find((s) => s.config.name === 'a')!, { oneOff: { name: 'p-a-run-1', command: ['echo bye'], rm: true } });
    expect(one.slice(-3)).toEqual(['x', '-c', 'echo bye']);
    // what run's own command line makes of them ("" stays an empty entrypoint)
    expect(parseRunArgv(argv('a').slice(1))).toMatchObject({ entrypoint: 'sh', stopSignal: 'SIGUSR1', stopTimeout: '91', image: 'x', command: ['-c', 'echo hi'] });
    expect(parseRunArgv(argv('b').slice(1))).toMatchObject({ entrypoint: '', image: 'x', command: ['id'] });
    expect(parseRunArgv(argv('c').slice(1)).stopSignal).toBeUndefined();
  });
  it.each([
    ['services: {web: {image: x, ports: [[80]]}}', 'compose.yaml: services.web.ports[0]: must be a string, a number or a mapping, got a list'],
    ['services: {web: {image: x, ports: [{target: 80, published: {}}]}}', 'compose.yaml: services.web.ports[0].published: must be a string or number, got a mapping'],
    ['services: {web: {image: x, ports: [{target: 80, published: 8080, protocol: sctp}]}}', 'compose.yaml: services.web.ports[0].protocol: "sctp": expected one of tcp, udp'],
    ['services: {web: {image: x, ports: [{published: 8080}]}}', 'compose.yaml: services.web.ports[0].target: missing'],
    ['services: {web: {image: x, environment: {A: {b: 1}}}}', 'compose.yaml: services.web.environment.A: must be a string, a number, a boolean or null, got a mapping'],
    ['services: {web: {image: x, command: 3}}', 'compose.yaml: services.web.command: must be a string, a list or null, got number 3'],
    ['services: {web: {image: x, deploy: {replicas: -1}}}', 'compose.yaml: services.web.deploy.replicas: must be >= 0'],
    ['services: {web: {image: x, networks: {n: {aliases: [a], ipv4_address: 10.0.0.2}}}}\nnetworks: {n: {}}', 'compose.yaml: services.web.networks.n.ipv4_address: not supported yet by minictr compose (addresses are handed out by minictr)'],
    ['services: {web: {image: x}}\nnetworks: {n: {ipam: {config: [{subnet: 10.1.0.0/24, gateway: 10.1.0.1}]}}}', 'compose.yaml: networks.n.ipam.config[0].gateway: not supported yet by minictr compose (the gateway is the subnet\'s first address)'],
    ['services: {web: {image: x}}\nsecrets: {s: {file: ./s}}', 'compose.yaml: secrets: not supported yet by minictr compose'],
    ['services: {web: {image: x, x-note: {any: thing}}}\nx-common: [1]\nservices2: {}', 'compose.yaml: services2: unknown key, not supported by minictr compose (supported here: version, name, services, networks, volumes)'],
    ['services: [web]', 'compose.yaml: services: must be a mapping, got a list'],
    ['name: p', 'compose.yaml: services: missing'],
  ])('the schema (compose-schema.json): %s', (yaml, msg) => {
    expect(() => model(yaml)).toThrow(new UsageError(msg));
  });
  it('field paths: an index where the value is a list, ~1 and ~0 unescaped', () => {
    const tree = { services: { 'a/b': { ports: ['1:1', '2:2'] } } };
    expect(fieldPath('/services/a~1b/ports/1', tree)).toBe('services.a/b.ports[1]');
    expect(fieldPath('', tree)).toBe('');
    expect(fieldPath('/x~0y', {})).toBe('x~y');
  });
  it.each([
    ['services: {a: {image: x, stop_signal: SIGNOPE}}', 'compose.yaml: services.a.stop_signal: "SIGNOPE" is not a signal'],
    ['services: {a: {image: x, stop_grace_period: soon}}', 'compose.yaml: services.a.stop_grace_period: "soon" is not a duration'],
    ['services: {a: {image: x, init: false}}', 'compose.yaml: services.a.init: not supported yet by minictr compose (every minictr container has minictr-init as PID 1)'],
    ['services: {a: {image: x, init: "yes"}}', 'compose.yaml: services.a.init: must be true or false, got string "yes"'],
  ])('%s', (yaml, msg) => {
    expect(() => model(yaml)).toThrow(msg);
    expect(() => model(yaml)).toThrow(UsageError);
  });
  it('run --stop-signal and --stop-timeout are checked as Docker\'s', () => {
    expect(parseStopFlags({ stopSignal: 'usr1', stopTimeout: '3' })).toEqual({ signal: 'SIGUSR1', timeout: 3 });
    expect(parseStopFlags({ stopSignal: 'SIGKILL', stopTimeout: '-1' })).toEqual({ signal: 'SIGKILL', timeout: -1 });
    expect(parseStopFlags({ stopSignal: '10' })).toEqual({ signal: '10' });
    expect(parseStopFlags({})).toEqual({});
    expect(() => parseStopFlags({ stopSignal: 'SIGWHAT' })).toThrow('invalid --stop-signal "SIGWHAT"');
    expect(() => parseStopFlags({ stopSignal: '99' })).toThrow(UsageError);
    expect(() => parseStopFlags({ stopTimeout: '1.5' })).toThrow('invalid --stop-timeout "1.5": expected whole seconds (or -1)');
  });
  it('command strings split like a shell', () => {
    const w = { fail: (m: string): never => { throw new Error(m); } };
    expect(splitCommand(`sh -c "echo \\"hi\\" there" 'x y' a\\ b ""`, w)).toEqual(['sh', '-c', 'echo "hi" there', 'x y', 'a b', '']);
  });
});

describe('the plan', () => {
  const app = `
services:
  proxy: {image: busybox, depends_on: [backend], ports: ["127.0.0.1:8080:80"], command: httpd -f}
  backend: {image: busybox, depends_on: {db: {condition: service_started}}, environment: {DB: db}}
  db: {image: busybox, volumes: ["/tmp:/data"]}
`;
  it('services start after what they depend on; networks are PROJECT_NET', () => {
    const plan = buildPlan(model(app));
    expect(plan.services.map((s) => s.config.name)).toEqual(['db', 'backend', 'proxy']);
    expect(plan.networks.map((x) => x.name)).toEqual(['p_default']);
    expect(networkArgv(plan.networks[0]!)).toEqual(['network', 'create', 'p_default']);
  });
  it('a run argv per container: name, network, service alias, labels, flags, image, command', () => {
    const plan = buildPlan(model(app));
    const proxy = plan.services[2]!;
    expect(runArgv(plan, proxy, { number: 1 })).toEqual([
      'run', '-d', '--name', 'p-proxy-1', '--network', 'p_default', '--network-alias', 'proxy',
      '-l', `${LABEL.project}=p`, '-l', `${LABEL.service}=proxy`, '-l', `${LABEL.number}=1`, '-l', `${LABEL.oneoff}=False`, '-l', `${LABEL.hash}=${proxy.hash}`,
      '-p', '127.0.0.1:8080:80', 'busybox', 'httpd', '-f',
    ]);
    const one = runArgv(plan, proxy, { oneOff: { name: 'p-proxy-run-x', command: ['echo', 'hi'], rm: true } });
    expect(one.slice(0, 4)).toEqual(['run', '--rm', '--name', 'p-proxy-run-x']);
    expect(one).not.toContain('-p');
    expect(one.slice(-3)).toEqual(['busybox', 'echo', 'hi']);
  });
  it('a service on several networks: --network for the first, --network name=NET,alias=... for each other, its name an alias on all', () => {
    const plan = buildPlan(model('services:\n  web:\n    image: x\n    networks: {front: {aliases: [www]}, back: {}}\n  db: {image: x, networks: [back]}\nnetworks: {front: {}, back: {}}\n'));
    const web = plan.services.find((s) => s.config.name === 'web')!;
    expect(web.networks.map((n) => n.name)).toEqual(['p_front', 'p_back']);
    expect(plan.networks.map((n) => n.name)).toEqual(['p_front', 'p_back']);
    const argv = runArgv(plan, web, { number: 1 });
    expect(argv.slice(4, 12)).toEqual(['--network', 'p_front', '--network-alias', 'web', '--network-alias', 'www', '--network', 'name=p_back,alias=web']);
    // it is what run accepts
    expect(parseRunArgv(argv.slice(1)).network).toEqual(['p_front', 'name=p_back,alias=web']);
    // one network more is a changed service
    const one = buildPlan(model('services:\n  web:\n    image: x\n    networks: {front: {aliases: [www]}}\nnetworks: {front: {}, back: {}}\n'));
    expect(one.services[0]!.hash).not.toBe(web.hash);
  });
  it('the config hash changes with the service, not with its replica count or another service', () => {
    const base = buildPlan(model(app));
    const scaled = buildPlan(model(app), { scale: { backend: 3 } });
    const edited = buildPlan(model(app.replace('environment: {DB: db}', 'environment: {DB: other}')));
    const hash = (p: typeof base, s: string) => p.services.find((x) => x.config.name === s)!.hash;
    expect(scaled.services[1]!.replicas).toBe(3);
    expect(hash(scaled, 'backend')).toBe(hash(base, 'backend'));
    expect(hash(edited, 'backend')).not.toBe(hash(base, 'backend'));
    expect(hash(edited, 'db')).toBe(hash(base, 'db'));
  });
  it('a depends_on cycle is one line naming it', () => {
    fails('services: {a: {image: x, depends_on: [b]}, b: {image: x, depends_on: [c]}, c: {image: x, depends_on: [a]}}', 'compose.yaml: services: depends_on cycle: a -> b -> c -> a');
    expect(() => startOrder(model('services: {a: {image: x, depends_on: [a]}}').services, 'f')).toThrow('f: services: depends_on cycle: a -> a');
  });
  it('a host port published by two services, or by replicas of one, is refused', () => {
    fails('services: {a: {image: x, ports: ["8080:80"]}, b: {image: x, ports: ["127.0.0.1:8080:81"]}}', 'compose.yaml: services.b.ports: host port 8080/tcp is published by service a too');
    fails('services: {a: {image: x, ports: ["8080:80"], deploy: {replicas: 2}}}', 'compose.yaml: services.a.ports: 2 replicas cannot all publish host port 8080');
    expect(() => buildPlan(model('services: {a: {image: x, ports: ["8080:80"]}, b: {image: x, ports: ["8080:80/udp"]}}'))).not.toThrow();
  });
  it('--scale and selected services are checked; a selection brings its dependencies', () => {
    const m = model(app);
    expect(parseScale(['backend=3'], m.services)).toEqual({ backend: 3 });
    expect(() => parseScale(['nope=1'], m.services)).toThrow('invalid --scale "nope=1": no such service: nope');
    expect(() => parseScale(['backend'], m.services)).toThrow('expected SERVICE=N');
    expect([...selectServices(m, ['proxy'])].sort()).toEqual(['backend', 'db', 'proxy']);
    expect(() => selectServices(m, ['x'])).toThrow('no such service: x');
  });
});

describe('named volumes, restart and health checks', () => {
  const yaml = `
services:
  db:
    image: x
    volumes: ["data:/var/lib/db:ro"]
    restart: on-failure:2
    healthcheck: {test: [CMD, wget, -q, "http://localhost/"], interval: 5s, retries: 3}
  web: {image: x, depends_on: {db: {condition: service_healthy}}}
volumes: {data: {}}
`;
  it('map to -v PROJECT_NAME:/path, --restart and --health-*', () => {
    const plan = buildPlan(model(yaml));
    const argv = runArgv(plan, plan.services[0]!, { number: 1 });
    const at = argv.indexOf('-v');
    expect(argv.slice(at, at + 2)).toEqual(['-v', 'p_data:/var/lib/db:ro']);
    expect(argv.join(' ')).toContain('--restart on-failure:2 --health-cmd wget -q http://localhost/ --health-interval 5s --health-retries 3 x');
    const oneOff = runArgv(plan, plan.services[0]!, { oneOff: { name: 'p-db-run-1', command: [], rm: true } });
    expect(oneOff).not.toContain('--restart');
    expect(oneOff).toContain('--health-cmd');
  });
  it('up waits for a service_healthy dependency as long as its checks can take to decide, plus 10 s', () => {
    const s = 1e9;
    expect(healthWaitMs({ Test: ['CMD-SHELL', 'true'], Interval: 1 * s, Timeout: 1 * s, Retries: 3 })).toBe(4 * 2000 + 10_000);
    expect(healthWaitMs({ Test: ['CMD-SHELL', 'true'], Interval: 2 * s, Timeout: 1 * s, Retries: 1, StartPeriod: 5 * s })).toBe(5000 + 2 * 3000 + 10_000);
    // Docker's defaults: 30 s interval and timeout, 3 retries
    expect(healthWaitMs({ Test: ['CMD-SHELL', 'true'] })).toBe(4 * 60_000 + 10_000);
  });
  it('top-level volumes: PROJECT_KEY (or name:), created with Compose\'s labels; only those a planned service mounts', () => {
    const m = model('services:\n  a: {image: x, volumes: ["data:/d", "ext:/e", "named:/n"]}\n  b: {image: x}\nvolumes:\n  data: {labels: {tier: db}}\n  ext: {external: true}\n  named: {name: shared}\n  unused: {}\n');
    expect(m.volumes).toEqual([
      { key: 'data', name: 'p_data', external: false, labels: { tier: 'db' } },
      { key: 'ext', name: 'ext', external: true, labels: {} },
      { key: 'named', name: 'shared', external: false, labels: {} },
      { key: 'unused', name: 'p_unused', external: false, labels: {} },
    ]);
    const plan = buildPlan(m);
    expect(plan.volumes.map((v) => v.key)).toEqual(['data', 'ext', 'named']);
    expect(buildPlan(m, { only: new Set(['b']) }).volumes).toEqual([]);
    expect(runArgv(plan, plan.services[0]!, { number: 1 }).filter((_, i, a) => a[i - 1] === '-v')).toEqual(['p_data:/d', 'ext:/e', 'shared:/n']);
    expect(volumeArgv('p', m.volumes[0]!)).toEqual(['volume', 'create', '--label', 'tier=db', '--label', `${LABEL.project}=p`, '--label', 'com.docker.compose.volume=data', 'p_data']);
    fails('services: {a: {image: x}}\nvolumes: {d: {driver: nfs}}', 'compose.yaml: volumes.d.driver: not supported yet by minictr compose (driver nfs');
    fails('services: {a: {image: x}}\nvolumes: {d: {size: 1}}', 'compose.yaml: volumes.d.size: unknown key');
  });
});
