/**
 * `minictr tag`, `push`, `login`/`logout` against Debian's docker-registry on 127.0.0.1, read
 * back by skopeo: what minictr pushed, skopeo inspects and copies (layer digests and config as
 * skopeo sees them); what skopeo pushed, minictr pulls and runs. Chunked uploads are counted at
 * a proxy in front of the registry; basic authentication is the registry's own (htpasswd), the
 * bearer flow a token endpoint on the proxy. A registry that refuses (401, 413, 400) is quoted
 * in one line and the tag it would have got does not exist.
 */
import { execa } from 'execa';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { ptyDrive } from './helpers/engines.js';
import { findStaticBusybox } from '../src/image/busybox.js';
import { scratchDir } from './helpers/image-fixtures.js';
import { startProxy, startRegistry, type TestProxy, type TestRegistry } from './helpers/registry.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let reg: TestRegistry;
let work: string;
let env: Record<string, string>;
const cleanup: (() => Promise<unknown>)[] = [];
const tags: string[] = [];

async function cli(args: string[], opts: { input?: string } = {}) {
  return minictr(args, { env, ...opts });
}

/** skopeo, plain HTTP to the test registries (docker:// on either side). */
async function skopeo(args: string[]) {
  const [verb, ...rest] = args;
  const tls = verb === 'copy' ? ['--src-tls-verify=false', '--dest-tls-verify=false'] : ['--tls-verify=false'];
  return execa('skopeo', [verb!, ...tls, ...rest], { reject: false, env: { ...process.env, TMPDIR: work } });
}

async function tag(src: string, dst: string): Promise<void> {
  const r = await cli(['tag', src, dst]);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  tags.push(dst);
}

/** The stored record of a tag, read from the store's own files. */
function stored(key: string): { id: string; layers: string[]; config: { Cmd?: string[]; Env?: string[] } } {
  const root = process.env.MINICTR_ROOT!;
  const id = (JSON.parse(readFileSync(join(root, 'images/tags.json'), 'utf8')) as Record<string, string>)[key];
  expect(id, `tag ${key}`).toBeDefined();
  return JSON.parse(readFileSync(join(root, 'images', `${id}.json`), 'utf8')) as ReturnType<typeof stored>;
}

/** A one-layer image: static busybox (sh, sha256sum) and 1 MiB of random data in /data/rand. */
async function randomImage(name: string): Promise<Buffer> {
  const data = randomBytes(1024 * 1024);
  const tarFile = join(work, `${uniq('rand')}.tar`);
  const pack = (await import('tar-stream')).default.pack();
  const { createWriteStream } = await import('node:fs');
  const { pipeline } = await import('node:stream/promises');
  const done = pipeline(pack, createWriteStream(tarFile));
  const h = { uid: 0, gid: 0, mtime: new Date(0) };
  pack.entry({ ...h, name: 'bin/', type: 'directory', mode: 0o755 });
  pack.entry({ ...h, name: 'bin/busybox', mode: 0o755 }, readFileSync(await findStaticBusybox()));
  for (const a of ['sh', 'sha256sum', 'cat']) pack.entry({ ...h, name: `bin/${a}`, type: 'symlink', linkname: 'busybox' });
  pack.entry({ ...h, name: 'data/', type: 'directory', mode: 0o755 });
  pack.entry({ ...h, name: 'data/rand', mode: 0o644 }, data);
  pack.finalize();
  await done;
  const imp = await cli(['import', '-c', 'CMD ["sh"]', tarFile, name]);
  expect(imp.exitCode, imp.stderr).toBe(0);
  tags.push(name);
  return data;
}

beforeAll(async () => {
  work = await scratchDir('push-');
  env = { DOCKER_CONFIG: join(work, 'docker') };
  reg = await startRegistry();
});

afterAll(async () => {
  for (const t of tags) await cli(['rmi', t]);
  for (const c of cleanup.reverse()) await c();
  await reg?.stop();
  if (work) await execa('rm', ['-rf', work]);
});

describe('push to a registry, read back by skopeo', () => {
  it('pushes busybox as Docker v2s2: skopeo sees its layer, diff_ids and config; a second push sends no layer', async () => {
    const ref = `${reg.host}/${uniq('bb')}/busybox:v1`;
    await tag('busybox', ref);
    const local = stored(ref);
    const r = await cli(['push', ref]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{12}: Pushed [0-9.]+[kM]?B in [0-9.]+s$/m);
    const digest = /v1: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(r.stdout)?.[1];
    expect(digest).toBeDefined();

    const raw = await skopeo(['inspect', '--raw', `docker://${ref}`]);
    expect(raw.exitCode, raw.stderr).toBe(0);
    expect(sha(Buffer.from(raw.stdout))).toBe(digest);
    const manifest = JSON.parse(raw.stdout) as { mediaType: string; layers: { digest: string; mediaType: string }[] };
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.docker.image.rootfs.diff.tar.gzip']);
    const config = JSON.parse((await skopeo(['inspect', '--config', `docker://${ref}`])).stdout) as { rootfs: { diff_ids: string[] }; config: { Cmd: string[] } };
    // the very layer the store holds: its uncompressed digest is the stored one
    expect(config.rootfs.diff_ids).toEqual(local.layers);
    expect(config.config.Cmd).toEqual(local.config.Cmd);

    // skopeo copy to an OCI dir: the blob is a gzip whose content hashes to the diff_id
    const dir = join(work, 'copied');
    const cp = await skopeo(['copy', `docker://${ref}`, `oci:${dir}:v1`]);
    expect(cp.exitCode, cp.stderr).toBe(0);
    const blob = readFileSync(join(dir, 'blobs/sha256', manifest.layers[0]!.digest.slice(7)));
    expect(sha(blob)).toBe(manifest.layers[0]!.digest);
    expect(sha(gunzipSync(blob))).toBe(local.layers[0]);

    const again = await cli(['push', ref]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^[0-9a-f]{12}: Layer already exists \([0-9.]+[kM]?B, [0-9.]+s\)$/m);
    expect(again.stdout).not.toMatch(/Pushed/);
    expect(again.stdout).toContain(`v1: digest: ${digest}`);
  });

  it('uploads a big layer in chunks (PATCH), as OCI; pulled back it runs with the same file', async () => {
    const proxy = await startProxy(reg.host, { keepHost: true });
    cleanup.push(() => proxy.stop());
    const name = `${proxy.host}/${uniq('ch')}/rand:v1`;
    const data = await randomImage(name);
    const r = await cli(['push', '--format', 'oci', '--chunk-size', '256k', name]);
    expect(r.exitCode, r.stderr).toBe(0);
    const patches = proxy.requests.filter((q) => q.startsWith('PATCH ')).length;
    expect(patches).toBeGreaterThanOrEqual(4); // 1 MiB of random data gzips to about 1 MiB
    expect(r.stdout).toMatch(new RegExp(`Pushed [0-9.]+MB in [0-9.]+s, ${patches} chunks`));

    const raw = JSON.parse((await skopeo(['inspect', '--raw', `docker://${name}`])).stdout) as { mediaType: string; layers: { mediaType: string }[] };
    expect(raw.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(raw.layers[0]!.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');

    // from the registry again: the layer is refetched and checked; its file has the same bytes
    const rmi = await cli(['rmi', name]);
    expect(rmi.exitCode, rmi.stderr).toBe(0);
    const pull = await cli(['pull', '-q', name]);
    expect(pull.exitCode, pull.stderr).toBe(0);
    const run = await cli(['run', '--rm', '--network', 'none', name, 'sha256sum', '/data/rand']);
    expect(run.stderr).toBe('');
    expect(run.stdout.split(' ')[0]).toBe(sha(data).slice(7));
  });

  it('what skopeo copies into the registry (from a minictr save archive), minictr pulls and runs', async () => {
    const archive = join(work, 'bb.tar');
    const save = await cli(['save', '-o', archive, 'busybox']);
    expect(save.exitCode, save.stderr).toBe(0);
    const ref = `${reg.host}/${uniq('sk')}/copied:v2`;
    const cp = await skopeo(['copy', '--format', 'v2s2', `oci-archive:${archive}`, `docker://${ref}`]);
    expect(cp.exitCode, cp.stderr).toBe(0);
    const pull = await cli(['pull', ref]);
    expect(pull.exitCode, pull.stderr).toBe(0);
    tags.push(ref);
    const run = await cli(['run', '--rm', '--network', 'none', ref, 'sh', '-c', 'echo from-skopeo; test -x /bin/busybox && echo ok']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('from-skopeo\nok');
 
    // pushed on without --format, an image keeps the manifest format it was pulled as
    const oci = `${reg.host}/${uniq('sk')}/copied:oci`;
    expect((await skopeo(['copy', '--format', 'oci', `oci-archive:${archive}`, `docker://${oci}`])).exitCode).toBe(0);
    expect((await cli(['pull', '-q', oci])).exitCode).toBe(0);
    tags.push(oci);
    const onward = `${reg.host}/${uniq('sk')}/onward:v1`;
    await tag(oci, onward);
    await tag(oci, `${onward}-v2s2`);
    // (the image is the same as `ref`'s: the latest pull decides its format; --format overrides)
    for (const [r, flags, media] of [[onward, [], 'application/vnd.oci.image.manifest.v1+json'], [`${onward}-v2s2`, ['--format', 'docker'], 'application/vnd.docker.distribution.manifest.v2+json']] as const) {
      const p = await cli(['push', ...flags, r]);
      expect(p.exitCode, p.stderr).toBe(0);
      expect((JSON.parse((await skopeo(['inspect', '--raw', `docker://${r}`])).stdout) as { mediaType: string }).mediaType).toBe(media);
    }
  });
});

describe('logins and registries that refuse', () => {
  const user = 'alice';
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const configFile = (): string => join(env.DOCKER_CONFIG!, 'config.json');

  it('basic auth (htpasswd): refused without a login or with a wrong one, nothing stored; with the login stored 0600, push and pull work; logout forgets it', async () => {
    const priv = await startRegistry({ htpasswd: { user, password } });
    cleanup.push(() => priv.stop());
    const ref = `${priv.host}/${uniq('pv')}/busybox:v1`;
    await tag('busybox', ref);

    const anon = await cli(['push', ref]);
    expect(anon.exitCode).not.toBe(0);
    expect(anon.stderr.trim().split('\n')).toHaveLength(1);
    expect(anon.stderr).toContain(`minictr login ${priv.host}`);
    expect((await skopeo(['inspect', '--creds', `${user}:${password}`, `docker://${ref}`])).exitCode).not.toBe(0);

    const wrong = await cli(['login', '-u', user, '--password-stdin', priv.host], { input: 'not-it\n' });
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/^minictr: login to 127\.0\.0\.1:\d+ refused: 401 Unauthorized$/);
    expect(() => statSync(configFile())).toThrow();

    // on a terminal login asks, as docker login does, and does not echo the password
    const ok = await ptyDrive(work, [{ wait: 'Username: ' }, { send: `${user}\r` }, { wait: 'Password: ' }, { send: `${password}\r` }, { wait: 'Login Succeeded' }], [BIN, 'login', priv.host], env);
    expect(ok.exit, ok.out).toBe(0);
    expect(ok.out).toContain('Login Succeeded');
    expect(ok.out).not.toContain(password);
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(configFile(), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Object.keys(doc.auths)).toEqual([priv.host]);
    expect(Buffer.from(doc.auths[priv.host]!.auth, 'base64').toString()).toBe(`${user}:${password}`);
    // skopeo reads the same file: the login is Docker's format
    const sk = await execa('skopeo', ['login', '--get-login', '--authfile', configFile(), priv.host], { reject: false });
    expect(sk.stdout.trim()).toBe(user);

    const push = await cli(['push', ref]);
    expect(push.exitCode, push.stderr).toBe(0);
    const seen = JSON.parse((await skopeo(['inspect', '--creds', `${user}:${password}`, '--config', `docker://${ref}`])).stdout) as { rootfs: { diff_ids: string[] } };
    expect(seen.rootfs.diff_ids).toEqual(stored('busybox:latest').layers);
    // pull uses the login too (the registry refuses it without: see after the logout)
    const pull = await cli(['pull', '-q', ref]);
    expect(pull.exitCode, pull.stderr).toBe(0);

    const out = await cli(['logout', priv.host]);
    expect(out.exitCode).toBe(0);
    expect((JSON.parse(readFileSync(configFile(), 'utf8')) as { auths: object }).auths).toEqual({});
    const after = await cli(['push', ref]);
    expect(after.exitCode).not.toBe(0);
    const pullAfter = await cli(['pull', '-q', ref]);
    expect(pullAfter.exitCode).not.toBe(0);
    expect(pullAfter.stderr).toContain('requires a login');
  });

  it('bearer auth: the login gets a pull,push token from the token server, and the push goes through', async () => {
    const proxy: TestProxy = await startProxy(reg.host, { bearer: true, login: { user, password }, keepHost: true });
    cleanup.push(() => proxy.stop());
    const ref = `${proxy.host}/${uniq('tk')}/busybox:v1`;
    await tag('busybox', ref);
    const anon = await cli(['push', ref]);
    expect(anon.exitCode).not.toBe(0);
    expect(anon.stderr).toMatch(/^minictr: token server 127\.0\.0\.1:\d+ refused an anonymous token: 401 Unauthorized \(UNAUTHORIZED: bad user name or password\)$/);
    const ok = await cli(['login', '-u', user, '-p', password, proxy.host]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const push = await cli(['push', ref]);
    expect(push.exitCode, push.stderr).toBe(0);
    expect(proxy.tokenRequests.some((q) => new URLSearchParams(q).get('scope')?.endsWith(':pull,push') && new URLSearchParams(q).get('account') === user)).toBe(true);
    const seen = await skopeo(['inspect', '--raw', `docker://${reg.host}/${ref.slice(proxy.host.length + 1)}`]);
    expect(seen.exitCode, seen.stderr).toBe(0);
    await cli(['logout', proxy.host]);
  });

  it('413 from a proxy and 400 for the manifest are quoted in one line; the tag is not created', async () => {
    const small = await startProxy(reg.host, { maxBody: 64 * 1024, keepHost: true });
    cleanup.push(() => small.stop());
    const ref = `${small.host}/${uniq('big')}/rand:v1`;
    await randomImage(ref);
    const r = await cli(['push', '--chunk-size', '0', ref]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/^minictr: registry 127\.0\.0\.1:\d+ refused layer [0-9a-f]{12}: 413 Payload Too Large \(413 Request Entity Too Large\)$/);
    // nothing of the push is left in the store's temp dir
    expect(readdirSync(join(process.env.MINICTR_ROOT!, 'tmp')).filter((d) => d.startsWith('push-'))).toEqual([]);
    const repo = ref.slice(small.host.length + 1).replace(/:v1$/, '');
    expect((await skopeo(['inspect', '--raw', `docker://${reg.host}/${repo}:v1`])).exitCode).not.toBe(0);

    const picky = await startProxy(reg.host, { refuseManifests: true, keepHost: true });
    cleanup.push(() => picky.stop());
    const ref2 = `${picky.host}/${uniq('bad')}/busybox:v1`;
    await tag('busybox', ref2);
    const r2 = await cli(['push', ref2]);
    expect(r2.exitCode).not.toBe(0);
    expect(r2.stderr).toMatch(/^minictr: registry 127\.0\.0\.1:\d+ refused the manifest for .*:v1: 400 Bad Request \(MANIFEST_INVALID: manifest invalid\)$/);
    const repo2 = ref2.slice(picky.host.length + 1).replace(/:v1$/, '');
    expect((await skopeo(['inspect', '--raw', `docker://${reg.host}/${repo2}:v1`])).exitCode).not.toBe(0);
  });
});
