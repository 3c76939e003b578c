/**
 * minictr build, for real: every RUN is a container of this runtime, every COPY a layer from
 * the context. The built images are run and the facts asserted from inside them (files,
 * owners, env, user, workdir, command); the config and history are read from the store; the
 * cache is seen in the progress lines; bad input must fail with the file and line, a non-zero
 * status, and leave no tag, container, mount, cgroup, link or layer behind. The class's
 * Dockerfile (apt update, apt install nano) builds on the tests' Debian image through the
 * default network's NAT.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq, type CliResult } from './helpers/cli.js';
import { leftovers, newSince } from './helpers/container.js';
import { debianTarball } from './helpers/debian-image.js';
import { craftTar, scratchDir } from './helpers/image-fixtures.js';
import { resolveImage } from '../src/image/resolve.js';

const images: string[] = [];
let base: string;

beforeAll(async () => {
  base = await scratchDir('build-');
  // the built-in busybox image is made on first use: before any test snapshots the store
  const r = await minictr(['run', '--rm', '--network', 'none', 'busybox', 'true']);
  expect(r.exitCode, r.stderr).toBe(0);
});

afterAll(async () => {
  if (images.length) await minictr(['rmi', '-f', ...images]);
});

/** A context dir with these files (content strings; a trailing / makes a dir). */
function context(files: Record<string, string>): string {
  const dir = join(base, uniq('ctx-'));
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(join(p, '..'), { recursive: true });
    if (name.endsWith('/')) mkdirSync(p, { recursive: true });
    else writeFileSync(p, content);
  }
  return dir;
}

async function build(ctx: string, args: string[] = []): Promise<CliResult> {
  return minictr(['build', '--progress', 'plain', ...args, ctx]);
}

async function tagged(prefix: string): Promise<string> {
  const t = `${uniq(prefix)}:v1`;
  images.push(t);
  return t;
}

async function inImage(image: string, script: string): Promise<string> {
  const r = await minictr(['run', '--rm', image, 'sh', '-c', script]);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  return r.stdout;
}

/**
 * What a build left behind of its own: container dirs and names in this run's store, mounts
 * below it, and kernel objects named after the build's containers (their ids are in the
 * --explain output): other engineers' tests on this host make and remove their own meanwhile.
 */
function ownLeaks(before: Awaited<ReturnType<typeof leftovers>>, after: Awaited<ReturnType<typeof leftovers>>, explainOut: string): string[] {
  const ids = [...explainOut.matchAll(/RUN in container \S+ \(([0-9a-f]{12})\)/g)].map((m) => m[1]!.slice(0, 11));
  const roots = [process.env.MINICTR_ROOT!, process.env.MINICTR_RUN!];
  return newSince(before, after).filter((l) => l.startsWith('container ') || roots.some((r) => l.includes(r)) || ids.some((id) => l.includes(id)));
}

const stepLines = (stderr: string): string[] => stderr.split('\n').filter((l) => /^#\d+ \[/.test(l) && /(CACHED|\d+\.\d+s)$/.test(l));

/** The store as the bad-input tests check it: tags, layers, temp dirs, cache entries. */
function storeState(): { tags: string; layers: string[]; tmp: string[] } {
  const root = process.env.MINICTR_ROOT!;
  const tagsFile = join(root, 'images', 'tags.json');
  const ls = (d: string): string[] => (existsSync(d) ? readdirSync(d).sort() : []);
  // not the rm-* dirs: the retired dirs of earlier `run --rm`s and RUN steps, which their
  // detached cleaner removes on its own time (one went between two readings here, in CI)
  const tmp = ls(join(root, 'tmp')).filter((d) => !d.startsWith('rm-'));
  return { tags: existsSync(tagsFile) ? readFileSync(tagsFile, 'utf8') : '', layers: ls(join(root, 'layers')), tmp };
}

const NO_NETWORK = `# the no-network Dockerfile
ARG BASE=busybox
FROM \${BASE}
ARG WHO=world
ENV GREETING="hi there" \\
    APP_HOME=/app
WORKDIR \${APP_HOME}
COPY *.txt ./
COPY conf/ /etc/myapp/
COPY --chown=1234:2345 data /data
RUN echo "$GREETING $WHO" > greeting && \\
    mkdir -p /var/lib/app && echo "pid $$" > /var/lib/app/state && rm -f /etc/motd
LABEL org.example.course="containers" version=2
EXPOSE 8080/tcp 53/udp
USER nobody
CMD ["cat", "/app/greeting"]
`;

function noNetworkContext(): string {
  const ctx = context({
    'Dockerfile': NO_NETWORK,
    'a.txt': 'alpha\n',
    'b.txt': 'bravo\n',
    'notes.md': 'not copied\n',
    'conf/app.conf': 'port=8080\n',
    'conf/sub/deep.conf': 'deep\n',
    'conf/secret.key': 'do not ship\n',
    'data/one': '1\n',
    'data/two/three': '3\n',
    '.dockerignore': '# keys stay home\nconf/*.key\n',
  });
  return ctx;
}

describe('minictr build: the no-network Dockerfile', () => {
  let ctx: string;
  let tag: string;
  let first: CliResult;

  beforeAll(async () => {
    ctx = noNetworkContext();
    tag = await tagged('bld');
    first = await build(ctx, ['-t', tag, '--build-arg', 'WHO=class']);
  });

  it('builds: one progress line per step with its time, the image id on stdout', () => {
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^sha256:[0-9a-f]{64}$/);
    const lines = stepLines(first.stderr);
    expect(lines.map((l) => l.replace(/ (CACHED|\d+\.\d+s)$/, ''))).toEqual([
      '#1 [1/12] FROM busybox',
      '#2 [2/12] ARG WHO=world',
      '#3 [3/12] ENV GREETING="hi there" APP_HOME=/app',
      '#4 [4/12] WORKDIR ${APP_HOME}',
      '#5 [5/12] COPY *.txt ./',
      '#6 [6/12] COPY conf/ /etc/myapp/',
      '#7 [7/12] COPY --chown=1234:2345 data /data',
      expect.stringMatching(/^#8 \[8\/12\] RUN echo "\$GREETING \$WHO" > greeting && mkdir -p/),
      '#9 [9/12] LABEL org.example.course="containers" version=2',
      '#10 [10/12] EXPOSE 8080/tcp 53/udp',
      '#11 [11/12] USER nobody',
      '#12 [12/12] CMD ["cat", "/app/greeting"]',
    ]);
    // RUN's output would be here; this one prints nothing. The total comes last.
    expect(first.stderr).toMatch(/^#13 writing image sha256:[0-9a-f]{12}, naming to .* \d+\.\d+s$/m);
  });

  it('runs: the CMD, as USER, in WORKDIR, with ENV; ARG values reached RUN but not the image', async () => {
    const cmd = await minictr(['run', '--rm', tag]);
    expect(cmd.stdout).toBe('hi there class');
    const facts = await inImage(tag, 'id -u; id -g; pwd; echo "$GREETING|$APP_HOME|${WHO-unset}"');
    expect(facts.split('\n')).toEqual(['65534', '65534', '/app', 'hi there|/app|unset']);
  });

  it('COPY: wildcards, directories (their contents), --chown, .dockerignore; RUN changes and deletions', async () => {
    const out = await inImage(tag, [
      'ls /app',
      'cat /app/a.txt /app/b.txt',
      'find /etc/myapp | sort',
      'stat -c "%u:%g %a %n" /data /data/one /data/two /data/two/three /app/a.txt',
      'cat /var/lib/app/state',
      'test -e /etc/motd && echo motd || echo nomotd',
    ].join('; '));
    expect(out.split('\n')).toEqual([
      'a.txt', 'b.txt', 'greeting',
      'alpha', 'bravo',
      '/etc/myapp', '/etc/myapp/app.conf', '/etc/myapp/sub', '/etc/myapp/sub/deep.conf',
      '1234:2345 755 /data', '1234:2345 644 /data/one', '1234:2345 755 /data/two', '1234:2345 644 /data/two/three', '0:0 644 /app/a.txt',
      expect.stringMatching(/^pid \d+$/),
      'nomotd',
    ]);
  });

  it('the image config has every instruction; history has one row per instruction, with its command', async () => {
    const img = await resolveImage(tag);
    expect(img.config).toMatchObject({
      Cmd: ['cat', '/app/greeting'],
      WorkingDir: '/app',
      User: 'nobody',
      ExposedPorts: { '53/udp': {}, '8080/tcp': {} },
      Labels: { 'org.example.course': 'containers', version: '2' },
    });
    expect(img.config.Env).toEqual(expect.arrayContaining(['GREETING=hi there', 'APP_HOME=/app']));
    expect(img.config.Entrypoint).toBeUndefined();
    const base = await resolveImage('busybox');
    // the three COPYs and the RUN made layers; the rest only changed the config
    expect(img.layers.slice(0, base.layers.length)).toEqual(base.layers);
    expect(img.layers).toHaveLength(base.layers.length + 4);
    const h = await minictr(['history', '--no-trunc', tag]);
    expect(h.exitCode, h.stderr).toBe(0);
    const rows = h.stdout.split('\n').slice(1).map((l) => l.split(/\s{2,}/)[2]);
    expect(rows).toEqual([
      'CMD ["cat", "/app/greeting"]',
      'USER nobody',
      'EXPOSE 8080/tcp 53/udp',
      'LABEL org.example.course="containers" version=2',
      expect.stringMatching(/^RUN \/bin\/sh -c echo "\$GREETING \$WHO" > greeting/),
      'COPY --chown=1234:2345 data /data',
      'COPY conf/ /etc/myapp/',
      'COPY *.txt ./',
      'WORKDIR ${APP_HOME}',
      'ENV GREETING="hi there" APP_HOME=/app',
      'ARG WHO=world',
      expect.stringMatching(/busybox/),
    ]);
  });

  it('a second build comes from the cache; a changed context file misses from its COPY on; --no-cache reuses nothing', async () => {
    const tagsFile = join(process.env.MINICTR_ROOT!, 'images', 'tags.json');
    const tagsBefore = statSync(tagsFile);
    const again = await build(ctx, ['-t', tag, '--build-arg', 'WHO=class']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    const cached = stepLines(again.stderr).filter((l) => l.endsWith('CACHED')).map((l) => l.split(' ')[0]);
    expect(cached).toEqual(['#3', '#4', '#5', '#6', '#7', '#8', '#9', '#10', '#11', '#12']);
    // the tag already named this image: tags.json was not written again (a write is a new
    // file renamed over it: another inode)
    const tagsAfter = statSync(tagsFile);
    expect([tagsAfter.ino, tagsAfter.mtimeMs]).toEqual([tagsBefore.ino, tagsBefore.mtimeMs]);
    // the same cached image under one more name: that tag is made
    const tag2 = await tagged('bld2');
    const named = await build(ctx, ['-t', tag, '-t', tag2, '--build-arg', 'WHO=class']);
    expect(named.exitCode, named.stderr).toBe(0);
    expect(named.stdout).toBe(first.stdout);
    expect(stepLines(named.stderr).filter((l) => l.endsWith('CACHED')).map((l) => l.split(' ')[0])).toEqual(cached);
    const tags = JSON.parse(readFileSync(tagsFile, 'utf8')) as Record<string, string>;
    expect([tags[tag], tags[tag2]]).toEqual([first.stdout.trim().replace(/^sha256:/, ''), first.stdout.trim().replace(/^sha256:/, '')]);

    const tagsNamed = statSync(tagsFile);
    writeFileSync(join(ctx, 'conf', 'app.conf'), 'port=9090\n');
    const changed = await build(ctx, ['-t', tag, '--build-arg', 'WHO=class']);
    expect(changed.exitCode, changed.stderr).toBe(0);
    const hit = stepLines(changed.stderr).filter((l) => l.endsWith('CACHED')).map((l) => l.split(' ')[0]);
    expect(hit).toEqual(['#3', '#4', '#5']);
    expect(changed.stdout).not.toBe(first.stdout);
    expect(await inImage(changed.stdout.trim(), 'cat /etc/myapp/app.conf')).toBe('port=9090');
    // the tag moved to the new image: written
    expect(statSync(tagsFile).ino).not.toBe(tagsNamed.ino);
    expect((JSON.parse(readFileSync(tagsFile, 'utf8')) as Record<string, string>)[tag]).toBe(changed.stdout.trim().replace(/^sha256:/, ''));

    // another build arg: the RUN (which sees it) runs again
    const other = await build(ctx, ['--build-arg', 'WHO=others']);
    expect(stepLines(other.stderr).filter((l) => l.endsWith('CACHED')).map((l) => l.split(' ')[0])).toEqual(['#3', '#4', '#5', '#6', '#7']);
    images.push(other.stdout.trim());

    const none = await build(ctx, ['--no-cache', '--build-arg', 'WHO=class']);
    expect(none.exitCode, none.stderr).toBe(0);
    expect(none.stderr).not.toContain('CACHED');
  });
});

describe('minictr build: multi-stage, ADD, --target', () => {
  it('COPY --from a stage and an image, ADD unpacks a local tarball; --target builds only what it needs', async () => {
    const ctx = context({
      'Dockerfile': `FROM busybox AS builder
RUN mkdir -p /out && echo built > /out/artifact && echo "app:x:1234:1234::/home/app:/bin/sh" >> /etc/passwd && echo "app:x:1234:" >> /etc/group
COPY --chown=app:app src/*.txt /data/
ADD site.tar.gz /unpacked/

FROM builder AS never
RUN echo this stage is not needed && exit 9

FROM busybox AS final
COPY --from=builder /out/artifact /srv/
COPY --from=0 /data /data
COPY --from=builder /unpacked/ /u/
COPY --from=busybox /bin/busybox /opt/bb
WORKDIR /work
RUN pwd > here
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /srv/artifact"]

FROM final AS last
RUN exit 7
`,
      'src/one.txt': 'one\n',
      'src/two.txt': 'two\n',
      'src/skip.md': 'skip\n',
    });
    const site = join(ctx, 'site');
    mkdirSync(join(site, 'html'), { recursive: true });
    writeFileSync(join(site, 'html', 'index.html'), '<p>hi</p>\n');
    await execa('tar', ['-czf', join(ctx, 'site.tar.gz'), '-C', site, '.']);
    const tag = await tagged('ms');
    const r = await build(ctx, ['-t', tag, '--target', 'final']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('not needed');
    expect(r.stderr).not.toContain('[last');
    const run = await minictr(['run', '--rm', tag]);
    expect(run.stdout).toBe('built');
    const out = await minictr(['run', '--rm', tag, 'cat /work/here; stat -c "%u:%g %n" /data /data/one.txt; ls /data; cat /u/html/index.html; cmp /opt/bb /bin/busybox && echo same']);
    expect(out.stdout.split('\n')).toEqual(['/work', '0:0 /data', '1234:1234 /data/one.txt', 'one.txt', 'two.txt', '<p>hi</p>', 'same']);
  });

  it('ADD refuses a hostile tarball (an entry climbing out of its dir) and stores nothing', async () => {
    const ctx = context({ 'Dockerfile': 'FROM busybox\nADD evil.tar /x/\n' });
    await craftTar(join(ctx, 'evil.tar'), [{ name: '../../etc/evil', content: 'x' }]);
    const before = storeState();
    const r = await build(ctx, ['-t', `${uniq('evil')}:v1`]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/ADD: refusing .*evil\.tar/);
    expect(storeState()).toEqual(before);
  });
});

describe('minictr build: SHELL, USER for RUN, and the config-only instructions kept in the image', () => {
  it('RUN goes through SHELL as USER; VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL are in the config', async () => {
    const ctx = context({
      Dockerfile: `FROM busybox
SHELL ["/bin/sh", "-e", "-u", "-c"]
USER nobody
RUN id -u > /tmp/ran-as && echo "$-" | grep -q e && echo "$-" | grep -q u && echo strict > /tmp/shell
USER root
VOLUME ["/data", "/logs"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --retries=2 CMD ["true"]
`,
    });
    const tag = await tagged('cfg');
    const r = await build(ctx, ['-t', tag]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await inImage(tag, 'cat /tmp/ran-as /tmp/shell')).toBe('65534\nstrict');
    const img = await resolveImage(tag);
    expect(img.config).toMatchObject({
      Shell: ['/bin/sh', '-e', '-u', '-c'],
      Volumes: { '/data': {}, '/logs': {} },
      StopSignal: 'SIGINT',
      Healthcheck: { Test: ['CMD', 'true'], Interval: 30e9, Timeout: 5e9, Retries: 2 },
      User: 'root',
    });
  });
});

describe('minictr build: bad input fails with a reason and leaves nothing behind', () => {
  const cases: [string, Record<string, string>, RegExp, string[]?][] = [
    ['a syntax error names the file and line', { Dockerfile: 'FROM busybox\n\nENV A="unterminated\n' }, /^minictr: Dockerfile:3: unmatched " /m],
    ['an unknown instruction', { Dockerfile: 'FROM busybox\nRUN true\nRUNN echo hi\n' }, /^minictr: Dockerfile:3: unknown instruction: RUNN$/m],
    ['-f names its file', { 'my.dockerfile': 'FROM busybox\nCOPY\n' }, /^minictr: my\.dockerfile:2: COPY needs a source and a destination/m, ['-f', 'MYFILE']],
    ['a COPY source outside the context', { Dockerfile: 'FROM busybox\nCOPY ../outside.txt /x\n' }, /^minictr: Dockerfile:2: \.\.\/outside\.txt leads outside the build context$/m],
    ['a symlink out of the context', { Dockerfile: 'FROM busybox\nCOPY link/passwd /x\n' }, /^minictr: Dockerfile:2: link\/passwd: link is a symlink to \/etc, outside the build context$/m],
    ['a missing COPY source', { Dockerfile: 'FROM busybox\nCOPY nothere.txt /x\n' }, /^minictr: Dockerfile:2: COPY nothere\.txt: not found in the build context/m],
    ['a missing base image', { Dockerfile: 'FROM minictr-no-such-image:1\nRUN true\n' }, /^minictr: Dockerfile:1: FROM minictr-no-such-image:1: image not found/m],
    ['a missing --from stage', { Dockerfile: 'FROM busybox\nCOPY --from=nostage /x /x\n' }, /^minictr: Dockerfile:2: COPY --from=nostage: no stage of that name, and no image nostage/m],
    ['a --target no stage has', { Dockerfile: 'FROM busybox AS one\nRUN true\n' }, /^minictr: Dockerfile:1: --target two: no stage of that name/m, ['--target', 'two']],
    ['a failing RUN: its status and last output lines', { Dockerfile: 'FROM busybox\nCOPY f /f\nRUN echo "last words of the step" && exit 3\n', f: 'f\n' }, /^minictr: Dockerfile:3: RUN echo "last words of the step" && exit 3: the command exited with status 3$/m],
  ];

  for (const [what, files, message, extra] of cases) {
    it(what, async () => {
      const ctx = context(files);
      if (what.includes('symlink')) symlinkSync('/etc', join(ctx, 'link'));
      const args = (extra ?? []).map((a) => (a === 'MYFILE' ? join(ctx, 'my.dockerfile') : a));
      // an existing tag must not move
      const tag = await tagged('bad');
      const good = await build(context({ Dockerfile: 'FROM busybox\nLABEL good=yes\n' }), ['-t', tag]);
      expect(good.exitCode, good.stderr).toBe(0);
      const beforeStore = storeState();
      const before = await leftovers();
      const r = await build(ctx, ['--explain', '-t', tag, ...args]);
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).toBe('');
      const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('minictr: '));
      expect(errorLines).toHaveLength(1);
      expect(r.stderr.replace(join(ctx, 'my.dockerfile'), 'my.dockerfile')).toMatch(message);
      if (what.includes('failing RUN')) expect(r.stderr).toMatch(/^#3 last words of the step$/m);
      const after = await leftovers();
      expect(ownLeaks(before, after, r.stderr)).toEqual([]);
      if (what.includes('failing RUN')) expect(r.stderr).toMatch(/RUN in container/);
      const afterStore = storeState();
      expect(afterStore.tags).toBe(beforeStore.tags);
      expect(afterStore.tmp).toEqual(beforeStore.tmp);
      // the failing RUN's COPY before it stays as cache (as Docker keeps it); nothing else
      const newLayers = afterStore.layers.filter((l) => !beforeStore.layers.includes(l));
      expect(newLayers).toHaveLength(what.includes('failing RUN') ? 1 : 0);
      expect((await resolveImage(tag)).config.Labels).toEqual({ good: 'yes' });
    });
  }

  it('-f of a FIFO, /dev/zero or a directory, and a .dockerignore that is a FIFO: one line at once, nothing read', async () => {
    const ctx = context({ Dockerfile: 'FROM busybox\n' });
    const fifo = join(ctx, 'pipe');
    await execa('mkfifo', [fifo]);
    for (const [file, message] of [[fifo, /is not a regular file$/], ['/dev/zero', /is not a regular file$/], [ctx, /is not a regular file$/]] as const) {
      const t0 = Date.now();
      const r = await build(ctx, ['-f', file]);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
    await execa('mkfifo', [join(ctx, '.dockerignore')]);
    const r = await build(ctx);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^minictr: build context file .*\.dockerignore is not a regular file$/);
  });

  it('a failing RUN in tty mode shows its last lines too (collapsed output)', async () => {
    const ctx = context({ Dockerfile: 'FROM busybox\nRUN echo one && echo two && exit 4\n' });
    const r = await minictr(['build', '--progress', 'tty', ctx]);
    expect(r.exitCode).not.toBe(0);
    // the status line is rewritten in place (\r, erase line); then the failure's last lines
    expect(r.stderr).toContain('\r\x1b[2K#2 [2/2] RUN echo one && echo two && exit 4 | ');
    const lines = r.stderr.split('\r\x1b[2K').flatMap((l) => l.split('\n'));
    expect(lines).toEqual(expect.arrayContaining(['#2 one', '#2 two']));
    expect(r.stderr).toMatch(/exited with status 4$/m);
  });
});

describe('minictr build --explain', () => {
  it('says for every step which container ran, what changed and which layer was stored', async () => {
    const ctx = context({ Dockerfile: 'FROM busybox\nCOPY f /f\nRUN echo x > /made\nENV A=1\n', f: 'f\n' });
    const r = await build(ctx, ['--explain', '--no-cache']);
    expect(r.exitCode, r.stderr).toBe(0);
    images.push(r.stdout.trim());
    expect(r.stderr).toMatch(/# COPY: 1 entry written; layer sha256:[0-9a-f]{64} stored/);
    expect(r.stderr).toMatch(/# RUN in container \S+ \([0-9a-f]{12}\) on image [0-9a-f]{12}: \/bin\/sh -c echo x > \/made/);
    expect(r.stderr).toMatch(/pivot_root/); // the container's own kernel steps
    expect(r.stderr).toMatch(/# 1 changed path\(s\), 0 deletion\(s\) in /);
    expect(r.stderr).toMatch(/upper dir is layer sha256:[0-9a-f]{64} \(\d+ bytes\), stored/);
    expect(r.stderr).toMatch(/# ENV: only the image config changes/);
    const again = await build(ctx, ['--explain']);
    expect(again.stderr).toMatch(/# cache hit [0-9a-f]{12}: .*layer sha256:[0-9a-f]{64} reused/);
  });
});

describe('the code cache of the build command (bin/run-bundle.js)', () => {
  // V8 flushes the bytecode of functions unused for a while: a cache made at the end of a
  // long run lacks the bundle's top level, and every later start would compile it again
  it('a long run (a RUN that sleeps) does not write it; a short cached build does', async () => {
    const cacheFile = join(BIN, '..', '..', 'dist', 'bundle', 'cache', 'main-build.v8');
    const ctx = context({ 'Dockerfile': `FROM busybox\nRUN sleep 1.5 && echo ${uniq('slow-')} > /slow\n` });
    rmSync(cacheFile, { force: true });
    const slow = await build(ctx, ['--network', 'none']);
    expect(slow.exitCode, slow.stderr).toBe(0);
    images.push(slow.stdout.trim());
    expect(existsSync(cacheFile)).toBe(false);
    // a cached build takes a fraction of a second (a few tries: the machine may be busy)
    for (let i = 0; i < 3 && !existsSync(cacheFile); i++) {
      const r = await build(ctx, ['--network', 'none']);
      expect(r.stderr).toMatch(/RUN sleep 1\.5 .* CACHED$/m);
    }
    expect(existsSync(cacheFile)).toBe(true);
  });
});

describe("the class's Dockerfile", () => {
  let debian: string;
  beforeAll(async () => {
    debian = `${uniq('deb')}:bookworm`;
    const r = await minictr(['import', await debianTarball(), debian]);
    expect(r.exitCode, r.stderr).toBe(0);
    images.push(debian);
  }, 20 * 60_000);

  it('FROM the local Debian image, RUN apt update -y, RUN apt install -y nano: `run --rm container3:version2 nano --version` works', async () => {
    const ctx = context({ 'myDocker.dockerfile': `FROM ${debian}\nRUN apt update -y\nRUN apt install -y nano\nCMD ["/bin/bash"]\n` });
    const tag = `${uniq('container3-')}:version2`;
    images.push(tag);
    const before = await leftovers();
    const r = await minictr(['build', '--progress', 'plain', '--explain', '-t', tag, '-f', join(ctx, 'myDocker.dockerfile'), ctx]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/^#2 .*deb\.debian\.org/m); // apt's output, streamed
    const nano = await minictr(['run', '--rm', tag, 'nano', '--version']);
    expect(nano.exitCode, nano.stderr).toBe(0);
    expect(nano.stdout).toMatch(/GNU nano, version \d/);
    expect((await resolveImage(tag)).config.Cmd).toEqual(['/bin/bash']);
    expect(ownLeaks(before, await leftovers(), r.stderr)).toEqual([]);
  }, 300_000);
});
