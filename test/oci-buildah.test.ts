/**
 * minictr-oci under buildah: `buildah run --runtime minictr-oci` on a working container made
 * with `buildah from scratch` and the busybox rootfs copied in, with storage of this file's
 * own. buildah calls create, start, state and delete itself (no conmon) and takes the
 * command's output and exit status from the container. The assertions are on what the
 * command printed, its exit status, and what it left in the container's filesystem.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCI_BIN, OCI_RUNTIME, busyboxRootfs, ociCalls, startBuildah, type Buildah } from './helpers/engines.js';

let bud: Buildah;
let ctr: string;

beforeAll(async () => {
  bud = await startBuildah();
  const rootfs = await busyboxRootfs(join(bud.dir, 'rootfs'));
  const from = await bud.buildah(['from', 'scratch']);
  expect(from.exitCode, from.stderr).toBe(0);
  ctr = from.stdout.trim();
  const copy = await bud.buildah(['copy', ctr, rootfs, '/']);
  expect(copy.exitCode, copy.stderr).toBe(0);
});

afterAll(async () => {
  const leaks = bud ? await bud.cleanup() : [];
  expect(leaks, 'buildah and minictr-oci left these behind').toEqual([]);
});

const run = (script: string): ReturnType<Buildah['buildah']> => bud.buildah(['run', ...bud.runFlags, ctr, '--', '/bin/sh', '-c', script]);

describe('buildah run --runtime minictr-oci', () => {
  it('runs the command in the working container: its output and exit status 6', async () => {
    const r = await run('echo "out $((6*7)) pid=$$"; echo "err line" >&2; grep "^Seccomp:" /proc/self/status; exit 6');
    expect(r.stdout.split('\n')).toEqual(['out 42 pid=1', expect.stringMatching(/^Seccomp:\s+2$/)]);
    expect(r.stderr).toContain('err line');
    expect(r.exitCode).toBe(6);
    if (OCI_RUNTIME === OCI_BIN) {
      // buildah's own calls, each with its --runtime-flag root
      const verbs = ociCalls(bud.stateRoot).map((c) => c.verb);
      expect(verbs).toEqual(expect.arrayContaining(['create', 'start', 'delete']));
    }
  });

  it('what a run writes stays in the container for the next run (the rootfs is the working container)', async () => {
    const w = await run('echo "built $((6*7))" > /built.txt');
    expect(w.exitCode, w.stderr).toBe(0);
    const r = await run('cat /built.txt');
    expect(r.stdout).toBe('built 42');
    expect(r.exitCode).toBe(0);
    // and it is in buildah's copy of the container, seen from the host
    const mnt = await bud.buildah(['mount', ctr]);
    try {
      expect(readFileSync(join(mnt.stdout.trim(), 'built.txt'), 'utf8')).toBe('built 42\n');
    } finally {
      await bud.buildah(['umount', ctr]);
    }
  });
});
