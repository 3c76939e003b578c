/**
 * `minictr pull` against a real registry: Debian's docker-registry on 127.0.0.1, filled by
 * the tests with images they build (test/helpers/registry.ts). Each image is pulled, run, and
 * its files checked from inside the container; bad blobs, bad references and unreachable
 * registries are refused with the store left as it was; a pull killed with SIGKILL leaves
 * nothing that prune does not clean.
 */
import { execa } from 'execa';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStaticBusybox } from '../src/image/busybox.js';
import { parseManifest } from '../src/image/manifest.js';
import { pruneImageStore } from '../src/image/prune.js';
import { resolveOrPullImage } from '../src/image/resolve.js';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { scratchDir, storeSnapshot } from './helpers/image-fixtures.js';
import {
  corruptBlob,
  freePort,
  pushBlob,
  pushImage,
  pushIndex,
  pushManifest,
  startProxy,
  startRegistry,
  type LayerSpec,
  type TestRegistry,
} from './helpers/registry.js';

/** an ANSI escape sequence (progress bars on a terminal; none in a log) */
const ESC = new RegExp(`${String.fromCharCode(27)}\\[`);

const root = (): string => process.env.MINICTR_ROOT!;
const layerNames = (): string[] => (existsSync(join(root(), 'layers')) ? readdirSync(join(root(), 'layers')).sort() : []);
const tmpNames = (): string[] => (existsSync(join(root(), 'tmp')) ? readdirSync(join(root(), 'tmp')).sort() : []);

let reg: TestRegistry;
let busybox: Buffer;

/** A runnable base layer: static busybox, a few applets, /etc/passwd with user app (1000). */
function baseLayer(extra: LayerSpec['entries'] = []): LayerSpec {
  const applets = ['sh', 'cat', 'ls', 'echo', 'id', 'pwd', 'test', 'wc'];
  return {
    compression: 'gzip',
    createdBy: 'ADD busybox /bin/',
    entries: [
      { name: 'bin/', type: 'directory' },
      { name: 'bin/busybox', data: busybox, mode: 0o755 },
      ...applets.map((a) => ({ name: `bin/${a}`, type: 'symlink' as const, linkname: 'busybox' })),
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/data:/bin/sh\n' },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
      ...extra,
    ],
  };
}

beforeAll(async () => {
  busybox = readFileSync(await findStaticBusybox());
  reg = await startRegistry();
});

afterAll(async () => {
  await reg?.stop();
});

describe('pull from a registry', () => {
  // Deletions across layers: layer 2 deletes a file and a whole dir of layer 1; layer 3
  // deletes a file of layer 2, makes a layer-1 dir opaque and rewrites a file.
  let repo: string;
  let pushed: Awaited<ReturnType<typeof pushImage>>;
  beforeAll(async () => {
    repo = `test/${uniq('three')}`;
    pushed = await pushImage(reg.host, repo, {
      tag: 'v1',
      format: 'docker',
      layers: [
        baseLayer([
          { name: 'data/', type: 'directory' },
          { name: 'data/keep', content: 'v1\n' },
          { name: 'data/gone1', content: 'layer 1\n' },
          { name: 'data/olddir/', type: 'directory' },
          { name: 'data/olddir/f', content: 'old\n' },
          { name: 'data/dir/', type: 'directory' },
          { name: 'data/dir/a', content: 'a\n' },
          { name: 'data/dir/b', content: 'b\n' },
        ]),
        {
          compression: 'none',
          createdBy: 'RUN rm data/gone1 data/olddir',
          entries: [
            { name: 'data/', type: 'directory' },
            { name: 'data/.wh.gone1', content: '' },
            { name: 'data/.wh.olddir', content: '' },
            { name: 'data/gone2', content: 'layer 2\n' },
            { name: 'data/l2', content: 'from layer 2\n' },
          ],
        },
        {
          compression: 'zstd',
          createdBy: 'RUN rm -rf data/dir && mkdir data/dir',
          entries: [
            { name: 'data/', type: 'directory' },
            { name: 'data/.wh.gone2', content: '' },
            { name: 'data/keep', content: 'v3\n' },
            { name: 'data/dir/', type: 'directory' },
            { name: 'data/dir/.wh..wh..opq', content: '' },
            { name: 'data/dir/c', content: 'c\n' },
          ],
        },
      ],
      config: {
        Env: ['PATH=/bin', 'GREETING=hello'],
        Entrypoint: ['/bin/sh', '-c'],
        Cmd: ['echo "$GREETING from $(pwd) as $(id -u)"'],
        WorkingDir: '/data',
        User: 'app',
      },
    });
  });

  it('pulls a 3-layer image (gzip, tar, zstd) and a container sees every deletion', async () => {
    const ref = `${reg.host}/${repo}:v1`;
    const r = await minictr(['pull', ref]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    // plain lines when not on a terminal, one per layer and status
    for (const l of pushed.layers) expect(r.stdout).toContain(`${l.digest.slice(7, 19)}: Pull complete`);
    expect(r.stdout).toContain(`Digest: ${pushed.manifest.digest}`);
    expect(r.stdout.trim().split('\n').pop()).toBe(`${reg.host}/${repo}:v1`);
    expect(r.stdout).not.toMatch(ESC);

    const ls = await minictr(['run', '--rm', ref, 'ls -a /data; echo --; ls -a /data/dir; cat /data/keep /data/l2']);
    expect(ls.stderr).toBe('');
    expect(ls.stdout.split('--')[0]!.split(/\s+/).filter((n) => n && n !== '.' && n !== '..').sort()).toEqual(['dir', 'keep', 'l2']);
    expect(ls.stdout.split('--')[1]!.trim().split(/\s+/)).toEqual(['.', '..', 'c', 'v3', 'from', 'layer', '2']);

    // the layers hold overlay whiteouts: a 0:0 char device, an opaque directory
    const [l1, l2, l3] = pushed.diffIds.map((d) => join(root(), 'layers', d.slice(7), 'diff'));
    const wh = lstatSync(join(l2!, 'data/gone1'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(existsSync(join(l2!, 'data/.wh.gone1'))).toBe(false);
    expect((await execa('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(l3!, 'data/dir')])).stdout).toBe('y');
    expect(readFileSync(join(l1!, 'data/dir/a'), 'utf8')).toBe('a\n');
  });

  it("honours the image config: Entrypoint, Cmd, Env, WorkingDir and User", async () => {
    const r = await minictr(['run', '--rm', `${reg.host}/${repo}:v1`]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('hello from /data as 1000');
  });

  it('history lists the layers with their commands and sizes', async () => {
    const r = await minictr(['history', '--no-trunc', `${reg.host}/${repo}:v1`]);
    expect(r.exitCode).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(rows.slice(1).map((l) => l.split(/\s{3,}/)[2])).toEqual([
      'CMD (config only)',
      'RUN rm -rf data/dir && mkdir data/dir',
      'RUN rm data/gone1 data/olddir',
      'ADD busybox /bin/',
    ]);
    expect(rows[1]).toMatch(/\s0B$/);
    expect(rows[4]).toMatch(/\s\d(\.\d+)?MB$/);
  });

  it('pulls by digest: the same layers, shared, and run NAME@sha256:... finds the image', async () => {
    const before = layerNames();
    const ref = `${reg.host}/${repo}@${pushed.manifest.digest}`;
    const r = await minictr(['pull', ref]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.match(/Already exists/g)?.length).toBe(3);
    expect(layerNames()).toEqual(before);
    const run = await minictr(['run', '--rm', ref, 'cat /data/keep']);
    expect(run.stdout).toBe('v3');
    // a digest that does not match the manifest is refused
    const wrong = `${reg.host}/${repo}@sha256:${'0'.repeat(64)}`;
    const bad = await minictr(['pull', wrong]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/^minictr: .*not found/);
  });

  it('resolveOrPullImage (what run uses) pulls an image that is not stored', async () => {
    const repo2 = `test/${uniq('auto')}`;
    await pushImage(reg.host, repo2, { tag: 'v1', layers: [baseLayer([{ name: 'auto', content: 'pulled\n' }])], config: { Env: ['PATH=/bin'], Cmd: ['cat', '/auto'] } });
    const ref = `${reg.host}/${repo2}:v1`;
    let said = '';
    const output = { write: (s: string): boolean => ((said += s), true) };
    const img = await resolveOrPullImage(ref, { output });
    expect(said).toMatch(new RegExp(`^Unable to find image '${ref}' locally\n`));
    expect(said).toContain('Pull complete');
    expect(img.tags).toEqual([ref]);
    expect((await minictr(['run', '--rm', ref])).stdout).toBe('pulled');
    said = '';
    expect((await resolveOrPullImage(ref, { output })).id).toBe(img.id);
    expect(said).toBe('');
  });

  it('a second pull of the same tag downloads nothing and says so', async () => {
    const again = await minictr(['pull', `${reg.host}/${repo}:v1`]);
    expect(again.stdout).toContain(`Status: Image is up to date for ${reg.host}/${repo}:v1`);
    expect(again.stdout).not.toContain('Downloading');
    const quiet = await minictr(['pull', '-q', `${reg.host}/${repo}:v1`]);
    expect(quiet.stdout).toBe(`${reg.host}/${repo}:v1`);
  });
});

describe('progress display', () => {
  it('on a terminal, redraws one line per layer with a bar and bytes', async () => {
    const repo = `test/${uniq('tty')}`;
    const noise = Buffer.from(Array.from({ length: 300_000 }, () => Math.floor(Math.random() * 256)));
    await pushImage(reg.host, repo, { tag: 'v1', layers: [baseLayer([{ name: 'noise', data: noise }])], config: { Cmd: ['sh'] } });
    // slow enough for a few redraws
    const proxy = await startProxy(reg.host, { blobBytesPerSecond: 2_000_000 });
    const dir = await scratchDir('tty-');
    try {
      const steps = join(dir, 'steps.json');
      writeFileSync(steps, '[]');
      const driver = fileURLToPath(new URL('./helpers/pty-drive.py', import.meta.url));
      const r = await execa('python3', [driver, steps, '--', BIN, 'pull', `${proxy.host}/${repo}:v1`], { reject: false, timeout: 30_000 });
      expect(r.stdout).toMatch(/EXIT 0\s*$/);
      expect(r.stdout).toMatch(new RegExp(`${ESC.source}\\d+A`)); // cursor up: lines redrawn in place
      expect(r.stdout).toMatch(/[0-9a-f]{12}: Downloading\s+\[=*>? *\] \d+(\.\d+)?[kM]?B\/1\.\d+MB/);
      expect(r.stdout).toMatch(/[0-9a-f]{12}: Pull complete/);
    } finally {
      await proxy.stop();
    }
  });
});

describe('multi-arch images', () => {
  it('resolves an index to the host architecture', async () => {
    const repo = `test/${uniq('multi')}`;
    const amd64 = await pushImage(reg.host, repo, {
      layers: [baseLayer(), { compression: 'gzip', entries: [{ name: 'arch', content: 'amd64\n' }] }],
      config: { Env: ['PATH=/bin'], Cmd: ['cat', '/arch'] },
    });
    const arm64 = await pushImage(reg.host, repo, {
      architecture: 'arm64',
      layers: [baseLayer(), { compression: 'gzip', entries: [{ name: 'arch', content: 'arm64\n' }] }],
      config: { Env: ['PATH=/bin'], Cmd: ['cat', '/arch'] },
    });
    const index = await pushIndex(reg.host, repo, 'multi', [
      { image: arm64, os: 'linux', architecture: 'arm64', variant: 'v8' },
      { image: amd64, os: 'linux', architecture: 'amd64' },
    ]);
    const ref = `${reg.host}/${repo}:multi`;
    const r = await minictr(['pull', ref]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`Digest: ${index.digest}`);
    const run = await minictr(['run', '--rm', ref]);
    expect(run.stdout).toBe(process.arch === 'x64' ? 'amd64' : 'arm64');

    const none = await minictr(['pull', '--platform', 'linux/s390x', ref]);
    expect(none.exitCode).not.toBe(0);
    expect(none.stderr).toBe('minictr: no image for linux/s390x in the index (it has linux/arm64/v8, linux/amd64)');
  });
});

describe('refused pulls leave the store as it was', () => {
  async function refused(args: string[], message: RegExp): Promise<void> {
    const before = storeSnapshot();
    const r = await minictr(['pull', ...args]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(storeSnapshot()).toEqual(before);
  }

  it('a corrupted blob (digest mismatch)', async () => {
    const repo = `test/${uniq('bad')}`;
    const img = await pushImage(reg.host, repo, { tag: 'v1', layers: [baseLayer([{ name: 'marker', content: uniq('m') }])], config: { Cmd: ['sh'] } });
    await corruptBlob(reg, img.layers[0]!.digest);
    await refused([`${reg.host}/${repo}:v1`], /^minictr: layer [0-9a-f]{12}: the downloaded data has digest sha256:[0-9a-f]{64}, expected sha256:[0-9a-f]{64} \(corrupted blob\)$/m);
    expect((await minictr(['images', '-q', `${reg.host}/${repo}`])).stdout).toBe('');
  });

  it('a truncated blob', async () => {
    const repo = `test/${uniq('short')}`;
    const tar = Buffer.from(uniq('not-even-a-tar-'));
    const blob = await pushBlob(reg.host, repo, tar);
    const config = await pushBlob(reg.host, repo, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`] } })));
    // the manifest promises more bytes than the registry has
    await pushManifest(reg.host, repo, 'v1', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: blob.digest, size: blob.size + 100 }],
    }, 'application/vnd.oci.image.manifest.v1+json');
    await refused([`${reg.host}/${repo}:v1`], /^minictr: layer [0-9a-f]{12}: (got \d+ of \d+ bytes \(truncated download\)|the download was cut short.*)$/m);
  });

  it('a layer whose content does not match the config diff_id', async () => {
    const repo = `test/${uniq('diffid')}`;
    const img = await pushImage(reg.host, repo, { layers: [baseLayer()], config: { Cmd: ['sh'] } });
    const config = await pushBlob(reg.host, repo, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'2'.repeat(64)}`] } })));
    await pushManifest(reg.host, repo, 'v1', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: img.layers,
    }, 'application/vnd.oci.image.manifest.v1+json');
    await refused([`${reg.host}/${repo}:v1`], /its uncompressed content has digest sha256:[0-9a-f]{64}, but the image config says sha256:2{64}/);
  });

  it('an unknown layer type', async () => {
    const repo = `test/${uniq('weird')}`;
    const blob = await pushBlob(reg.host, repo, Buffer.from('{}'));
    const config = await pushBlob(reg.host, repo, Buffer.from(JSON.stringify({ os: 'linux', rootfs: { type: 'layers', diff_ids: [blob.digest] } })));
    await pushManifest(reg.host, repo, 'v1', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.example.helm.chart', ...blob }],
    }, 'application/vnd.oci.image.manifest.v1+json');
    await refused([`${reg.host}/${repo}:v1`], /^minictr: unsupported layer type application\/vnd\.example\.helm\.chart/);
  });

  it('an unknown manifest type, and schema 1 (parser)', () => {
    expect(() => parseManifest(Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.example+json"}'), undefined)).toThrow(
      /^unsupported manifest type "application\/vnd\.example\+json"$/,
    );
    expect(() => parseManifest(Buffer.from('{"schemaVersion":1,"fsLayers":[]}'), 'application/vnd.docker.distribution.manifest.v1+prettyjws')).toThrow(
      /schema 1/,
    );
    expect(() => parseManifest(Buffer.from('not json'), undefined)).toThrow(/not JSON/);
  });

  it('an unknown tag and an unknown repository', async () => {
    await refused([`${reg.host}/test/nosuchrepo:v1`], /^minictr: (repository .* not found|manifest .* not found)/);
    const repo = `test/${uniq('tagless')}`;
    await pushImage(reg.host, repo, { tag: 'v1', layers: [baseLayer()], config: { Cmd: ['sh'] } });
    await refused([`${reg.host}/${repo}:v2`], /^minictr: manifest .*:v2 not found \(MANIFEST_UNKNOWN/);
  });

  it('an unreachable registry', async () => {
    const port = await freePort(); // nothing listens there
    await refused([`127.0.0.1:${port}/nobody/home:v1`], new RegExp(`^minictr: cannot reach registry 127\\.0\\.0\\.1:${port}: connection refused$`));
  });

  it('a bad reference', async () => {
    await refused(['Ubuntu:latest'], /^minictr: invalid image reference "Ubuntu:latest": repository names must be lowercase$/);
    await refused(['ubuntu:'], /^minictr: invalid image reference "ubuntu:": the tag after ":" is empty$/);
    await refused(['ubuntu@sha256:abc'], /^minictr: invalid image reference .*the digest must be sha256:/);
  });
});

describe('registry authentication', () => {
  it('gets an anonymous bearer token when the registry asks for one (as Docker Hub does)', async () => {
    const repo = `test/${uniq('auth')}`;
    await pushImage(reg.host, repo, { tag: 'v1', layers: [baseLayer([{ name: 'authed', content: 'yes\n' }])], config: { Env: ['PATH=/bin'], Cmd: ['cat', '/authed'] } });
    const proxy = await startProxy(reg.host, { bearer: true });
    try {
      const ref = `${proxy.host}/${repo}:v1`;
      const r = await minictr(['pull', ref]);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(proxy.tokenRequests.length).toBeGreaterThan(0);
      expect(new URLSearchParams(proxy.tokenRequests[0]).get('scope')).toBe(`repository:${repo}:pull`);
      expect(new URLSearchParams(proxy.tokenRequests[0]).get('service')).toBe('test-registry');
      expect((await minictr(['run', '--rm', ref])).stdout).toBe('yes');
    } finally {
      await proxy.stop();
    }
  });
});

describe('an interrupted pull', () => {
  it('SIGKILL mid-download leaves nothing half-stored, and prune cleans what is left', async () => {
    const repo = `test/${uniq('slow')}`;
    // 1 MiB of incompressible data, sent at 1 MiB/s: the kill lands mid-layer
    const noise = Buffer.from(Array.from({ length: 1 << 20 }, () => Math.floor(Math.random() * 256)));
    await pushImage(reg.host, repo, { tag: 'v1', layers: [baseLayer([{ name: 'noise', data: noise }])], config: { Cmd: ['sh'] } });
    const proxy = await startProxy(reg.host, { blobBytesPerSecond: 1 << 20 });
    try {
      const layersBefore = layerNames();
      const tmpBefore = tmpNames();
      const ref = `${proxy.host}/${repo}:v1`;
      const child = execa(BIN, ['pull', ref], { reject: false, stdin: 'ignore' });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      const end = Date.now() + 10_000;
      while (!/Downloading/.test(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGKILL');
      await child;
      expect(out).toMatch(/Downloading/);
      expect(out).not.toMatch(/Pull complete/);

      // nothing stored: no image, no new layer; its temp dirs are there, owned by a dead pid
      expect((await minictr(['images', '-q', `${proxy.host}/${repo}`])).stdout).toBe('');
      expect(layerNames()).toEqual(layersBefore);
      const left = tmpNames().filter((t) => !tmpBefore.includes(t));
      expect(left.length).toBeGreaterThan(0);

      const { removed } = await pruneImageStore();
      for (const t of left) expect(removed).toContain(`temp dir ${t} (interrupted command)`);
      expect(tmpNames().filter((t) => !tmpBefore.includes(t))).toEqual([]);
      expect(layerNames()).toEqual(layersBefore);
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root());

      // and the next pull works
      const again = await minictr(['pull', `${reg.host}/${repo}:v1`]);
      expect(again.exitCode).toBe(0);
      expect((await minictr(['run', '--rm', `${reg.host}/${repo}:v1`, 'sh', '-c', 'wc -c < /noise'])).stdout.trim()).toBe(String(1 << 20));
    } finally {
      await proxy.stop();
    }
  });
});
