/**
 * minictr build next to `buildah bud` (Debian's buildah, runc as its runtime, storage of this
 * file's own), the same Dockerfile on the same base rootfs (a busybox tree imported into both):
 * every layer the Dockerfile adds must hold the same entries (path, type, mode, owner, file
 * content, link target, whiteouts), and the image config the same Cmd, Entrypoint, Env,
 * WorkingDir, User, ExposedPorts and Labels. buildah runs with --layers, so it too makes one
 * layer per COPY and RUN.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';
import { busyboxRootfs, startBuildah, type Buildah } from './helpers/engines.js';
import { scratchDir } from './helpers/image-fixtures.js';
import { resolveImage } from '../src/image/resolve.js';
import { layerDir, type ImageConfig } from '../src/image/store.js';

const DOCKERFILE = `ARG BASE
FROM \${BASE}
ARG WHO=world
ENV GREETING="hi there" APP_HOME=/app
WORKDIR \${APP_HOME}
COPY *.txt ./
COPY conf/ /etc/myapp/
COPY --chown=1234:2345 data /data
RUN echo "$GREETING $WHO" > greeting && mkdir -p /var/lib/app && echo state > /var/lib/app/state && ln -s greeting /app/link && rm /app/b.txt
LABEL org.example.course="containers" version=2
EXPOSE 8080/tcp 53/udp
USER nobody
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/greeting"]
`;

/** One layer entry, as both sides are compared: path -> "type mode uid:gid content|target". */
type Listing = Record<string, string>;

let bud: Buildah;
let dir: string;
let ctx: string;
let baseName: string;
const minictrTag = `${uniq('bb-')}:v1`;

beforeAll(async () => {
  dir = await scratchDir('build-buildah-');
  bud = await startBuildah();
  // the base: one busybox tree, imported into both
  const rootfs = await busyboxRootfs(join(dir, 'rootfs'));
  const tarball = join(dir, 'base.tar');
  await execa('tar', ['--numeric-owner', '-C', rootfs, '-cf', tarball, '.']);
  baseName = `${uniq('bbase-')}:v1`;
  const imp = await minictr(['import', tarball, baseName]);
  expect(imp.exitCode, imp.stderr).toBe(0);
  const from = await bud.buildah(['from', 'scratch']);
  expect(from.exitCode, from.stderr).toBe(0);
  const ctr = from.stdout.trim();
  expect((await bud.buildah(['add', ctr, tarball, '/'])).exitCode).toBe(0);
  const commit = await bud.buildah(['commit', '--rm', ctr, `localhost/${baseName}`]);
  expect(commit.exitCode, commit.stderr).toBe(0);

  ctx = join(dir, 'ctx');
  const files: Record<string, string> = {
    'Dockerfile': DOCKERFILE,
    'a.txt': 'alpha\n',
    'b.txt': 'bravo\n',
    'notes.md': 'not copied\n',
    'conf/app.conf': 'port=8080\n',
    'conf/sub/deep.conf': 'deep\n',
    'conf/secret.key': 'do not ship\n',
    'data/one': '1\n',
    'data/two/three': '3\n',
    '.dockerignore': 'conf/*.key\n',
  };
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(ctx, name, '..'), { recursive: true });
    writeFileSync(join(ctx, name), content);
  }
}, 120_000);

afterAll(async () => {
  await minictr(['rmi', '-f', minictrTag, baseName]);
  const leaks = bud ? await bud.cleanup() : [];
  expect(leaks, 'buildah left these behind').toEqual([]);
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 16);

/** A stored minictr layer (an extracted dir with overlay whiteouts). */
function listDir(root: string): Listing {
  const out: Listing = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(root, r);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isCharacterDevice() && st.rdev === 0) out[r] = 'whiteout';
      else if (st.isDirectory()) {
        out[r] = `dir ${mode} ${st.uid}:${st.gid}`;
        walk(r);
      } else if (st.isSymbolicLink()) out[r] = `symlink ${st.uid}:${st.gid} ${readlinkSync(p)}`;
      else out[r] = `file ${mode} ${st.uid}:${st.gid} ${sha(readFileSync(p))}`;
    }
  };
  walk('');
  return out;
}

/** A layer tarball of buildah's (gzip), OCI whiteouts as they are in it. */
async function listTar(file: string): Promise<Listing> {
  const out: Listing = {};
  const extract = tarStream.extract();
  extract.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      const name = h.name.replace(/^\.\//, '').replace(/\/$/, '');
      const base = name.split('/').pop()!;
      const mode = ((h.mode ?? 0) & 0o7777).toString(8);
      if (base.startsWith('.wh.')) out[name.replace(/\.wh\.([^/]+)$/, '$1')] = 'whiteout';
      else if (h.type === 'directory') out[name] = `dir ${mode} ${h.uid}:${h.gid}`;
      else if (h.type === 'symlink') out[name] = `symlink ${h.uid}:${h.gid} ${h.linkname}`;
      else out[name] = `file ${mode} ${h.uid}:${h.gid} ${sha(Buffer.concat(chunks))}`;
      next();
    });
    stream.resume();
  });
  await pipeline(createReadStream(file), createGunzip(), extract);
  delete out[''];
  return out;
}

const CONFIG_KEYS = ['Cmd', 'Entrypoint', 'Env', 'WorkingDir', 'User', 'ExposedPorts', 'Labels'] as const;

function pick(c: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) if (c[k] !== undefined) out[k] = c[k];
  return out;
}

describe('minictr build and buildah bud of the same Dockerfile', () => {
  let budLayers: Listing[];
  let budConfig: Record<string, unknown>;
  let ourLayers: Listing[];
  let ourConfig: ImageConfig;
  const times: Record<string, number> = {};

  beforeAll(async () => {
    let t = Date.now();
    const b = await bud.buildah(['bud', '--layers', '--runtime', '/usr/sbin/runc', '--network', 'none', '--build-arg', `BASE=localhost/${baseName}`, '--build-arg', 'WHO=class', '-t', 'localhost/compare:v1', ctx]);
    times.buildah = Date.now() - t;
    expect(b.exitCode, b.stderr).toBe(0);
    const out = join(dir, 'bud-out');
    const push = await bud.buildah(['push', 'localhost/compare:v1', `dir:${out}`]);
    expect(push.exitCode, push.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    const config = JSON.parse(readFileSync(join(out, manifest.config.digest.slice(7)), 'utf8')) as { config: Record<string, unknown> };
    budConfig = config.config;
    budLayers = [];
    for (const l of manifest.layers.slice(1)) budLayers.push(await listTar(join(out, l.digest.slice(7))));

    t = Date.now();
    const m = await minictr(['build', '--progress', 'plain', '--network', 'none', '--build-arg', `BASE=${baseName}`, '--build-arg', 'WHO=class', '-t', minictrTag, ctx]);
    times.minictr = Date.now() - t;
    expect(m.exitCode, m.stderr).toBe(0);
    const img = await resolveImage(minictrTag);
    ourConfig = img.config;
    ourLayers = img.layers.slice(1).map((d) => listDir(join(layerDir(d), 'diff')));
    process.stderr.write(`build times: buildah bud --layers ${times.buildah} ms, minictr build ${times.minictr} ms\n`);
  }, 180_000);

  it('adds as many layers: one per COPY and RUN', () => {
    expect(ourLayers).toHaveLength(4);
    expect(budLayers).toHaveLength(4);
  });

  it('each COPY layer holds the same entries (wildcards, a directory\'s contents, --chown, .dockerignore)', () => {
    for (const i of [0, 1, 2]) expect(ourLayers[i], `layer ${i + 1}`).toEqual(budLayers[i]);
    expect(Object.keys(ourLayers[1]!).sort()).toEqual(['etc', 'etc/myapp', 'etc/myapp/app.conf', 'etc/myapp/sub', 'etc/myapp/sub/deep.conf']);
  });

  it("the RUN layer holds the same files, link and whiteout (buildah's own /run mount point aside)", () => {
    const theirs = { ...budLayers[3]! };
    // buildah leaves the mount points of its RUN container in the layer: empty /etc/hostname
    // (and hosts, resolv.conf) files and the /run dir; minictr, as Docker, leaves them out
    for (const f of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) if (theirs[f]?.endsWith(` ${sha(Buffer.alloc(0))}`)) delete theirs[f];
    for (const d of ['etc', 'run']) if (theirs[d]?.startsWith('dir ') && !ourLayers[3]![d] && !Object.keys(theirs).some((k) => k.startsWith(`${d}/`))) delete theirs[d];
    expect(ourLayers[3]).toEqual(theirs);
    expect(ourLayers[3]!['app/b.txt']).toBe('whiteout');
  });

  it('the image config is the same: Cmd, Entrypoint, Env, WorkingDir, User, ExposedPorts, Labels', () => {
    const theirs = pick(budConfig);
    const labels = { ...(theirs.Labels as Record<string, string>) };
    delete labels['io.buildah.version'];
    theirs.Labels = labels;
    expect(pick(ourConfig as Record<string, unknown>)).toEqual(theirs);
    expect(ourConfig.Entrypoint).toEqual(['/bin/sh', '-c']);
  });

  it('the result runs: its ENTRYPOINT and CMD', async () => {
    const r = await minictr(['run', '--rm', '--network', 'none', minictrTag]);
    expect(r.stdout, r.stderr).toBe('hi there class');
  });
});
