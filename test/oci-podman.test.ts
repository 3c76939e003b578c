/**
 * minictr-oci under podman (with conmon, its container monitor): `podman --runtime
 * minictr-oci` with storage, state and events of this file's own, cgroupfs, no network. The
 * image is the busybox rootfs imported with `podman import`. The assertions are on what the
 * container printed or did: its output and exit status as podman reports them, its logs, the
 * signal it got from `podman stop`, and what it sees from inside (its terminal, the seccomp
 * filter and the device rules podman asks for by default).
 */
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unified } from './helpers/cgroup.js';
import { uniq } from './helpers/cli.js';
import { OCI_BIN, OCI_RUNTIME, PODMAN_RUN_FLAGS, busyboxRootfs, createdIds, ociCalls, ptyDrive, startPodman, waitFor, type Podman } from './helpers/engines.js';

const IMAGE = 'localhost/minictr-busybox:engines';

/**
 * Two system calls podman's default profile (/usr/share/containers/seccomp.json) blocks and
 * that work for root without a filter: vmsplice, in its list that always fails with EPERM,
 * and personality(ADDR_NO_RANDOMIZE), a value its rules do not allow, so the default action
 * answers (ENOSYS). Capabilities do not matter to either, so only a filter makes them fail.
 */
const PROBE = `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/personality.h>
#include <sys/uio.h>
#include <unistd.h>
int main(void) {
  int p[2];
  if (pipe(p) < 0) return 2;
  struct iovec iov = { .iov_base = "x", .iov_len = 1 };
  errno = 0;
  long r = vmsplice(p[1], &iov, 1, 0);
  printf("vmsplice=%d\\n", r == 1 ? 0 : errno);
  errno = 0;
  r = personality(ADDR_NO_RANDOMIZE);
  printf("personality=%d\\n", r == -1 ? errno : 0);
  return 0;
}
`;

let pod: Podman;
let probe: string;

beforeAll(async () => {
  pod = await startPodman();
  writeFileSync(join(pod.dir, 'probe.c'), PROBE);
  probe = join(pod.dir, 'seccomp-probe');
  await execa('cc', ['-static', '-O2', '-o', probe, join(pod.dir, 'probe.c')]);
  const rootfs = await busyboxRootfs(join(pod.dir, 'rootfs'), { 'bin/seccomp-probe': { from: probe, mode: 0o755 }, 'etc/copied': { content: 'from the image\n', mode: 0o644 } });
  const tar = join(pod.dir, 'rootfs.tar');
  await execa('tar', ['-C', rootfs, '-cf', tar, '.']);
  const imp = await pod.podman(['import', tar, IMAGE]);
  expect(imp.exitCode, imp.stderr).toBe(0);
});

afterAll(async () => {
  const leaks = pod ? await pod.cleanup() : [];
  expect(leaks, 'podman, conmon and minictr-oci left these behind').toEqual([]);
});

const run = (flags: string[], cmd: string[]): ReturnType<Podman['podman']> => pod.podman(['run', ...PODMAN_RUN_FLAGS, ...flags, IMAGE, ...cmd]);

/** Containers minictr-oci still holds (the state root, less its trace). */
async function ociContainers(): Promise<string[]> {
  return (await execa(OCI_BIN, ['--root', pod.stateRoot, 'list', '-q'])).stdout.split('\n').filter(Boolean);
}

describe('podman --runtime minictr-oci', () => {
  it('run --rm: the output, and exit status 7 passed through; the container is deleted after', async () => {
    const r = await run(['--rm'], ['sh', '-c', 'echo "out $((6*7)) pid=$$"; echo "err line" >&2; exit 7']);
    expect(r.stdout).toBe('out 42 pid=1');
    expect(r.stderr).toContain('err line');
    expect(r.exitCode).toBe(7);
    if (OCI_RUNTIME === OCI_BIN) {
      // conmon's exit command (podman container cleanup --rm) deletes it through the runtime
      const [id] = createdIds(pod.stateRoot).slice(-1);
      expect(await waitFor(async () => !(await ociContainers()).includes(id!), 10_000), `container ${id} is still in minictr-oci's state`).toBe(true);
      expect(ociCalls(pod.stateRoot).some((c) => c.verb === 'delete' && c.args.includes(id!))).toBe(true);
    }
  });

  it('run -d, exec, logs, stop (the container gets SIGTERM) and rm', async () => {
    const name = uniq('pod-');
    const d = await run(['-d', '--name', name], ['sh', '-c', 'trap "echo got-term; exit 0" TERM; echo started; while :; do usleep 20000; done']);
    expect(d.exitCode, d.stderr).toBe(0);
    try {
      expect(await waitFor(async () => (await pod.podman(['logs', name])).stdout.includes('started'), 10_000), 'no "started" in the logs').toBe(true);

      // one container process (parent outside its pid namespace: ppid 0); a child its loop has
      // forked for usleep carries the same args until it execs, so args alone counted it twice
      const e = await pod.podman(['exec', name, 'sh', '-c', 'echo "exec $((6*7))"; [ "$(readlink /proc/self/ns/pid)" = "$(readlink /proc/1/ns/pid)" ] && echo same-pid-ns; ps -o ppid,args | grep -c "^ *0 sh -c trap"']);
      expect(e.stdout.split('\n')).toEqual(['exec 42', 'same-pid-ns', '1']);
      expect(e.exitCode, e.stderr).toBe(0);
      expect((await pod.podman(['exec', name, 'sh', '-c', 'exit 3'])).exitCode).toBe(3);

      const t0 = Date.now();
      const s = await pod.podman(['stop', '-t', '20', name]);
      expect(s.exitCode, s.stderr).toBe(0);
      // SIGTERM was trapped: no wait for the 20 s timeout and its SIGKILL
      expect(Date.now() - t0).toBeLessThan(10_000);
      const logs = await pod.podman(['logs', name]);
      expect(logs.stdout.split('\n')).toEqual(['started', 'got-term']);
      const code = await pod.podman(['inspect', '--format', '{{.State.ExitCode}}', name]);
      expect(code.stdout.trim()).toBe('0');
    } finally {
      const rm = await pod.podman(['rm', '-f', '-t', '0', name]);
      expect(rm.exitCode, rm.stderr).toBe(0);
    }
    expect((await pod.podman(['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n')).not.toContain(name);
  });

  it('run -it: the shell has a real terminal with job control and the window size', async () => {
    const { out, exit } = await ptyDrive(pod.dir, [
      { wait: '# ' },
      { send: 'tty; stty size; echo "pgrp=$(cut -d" " -f5 /proc/$$/stat) tpgid=$(cut -d" " -f8 /proc/$$/stat)"\r' },
      { wait: 'tpgid=' },
      { sleep: 0.3 },
      { send: 'sleep 30\r' },
      { sleep: 0.5 },
      { send: '\u0003' },
      { sleep: 0.3 },
      { send: 'echo "still-here $?"\r' },
      { wait: 'still-here 130' },
      { send: 'exit 5\r' },
    ], pod.argv(['run', '-it', '--rm', ...PODMAN_RUN_FLAGS, IMAGE, 'sh']), pod.env);
    expect(out).toMatch(/\/dev\/pts\/\d+/);
    expect(out).toMatch(/\b30 100\b/);
    expect(out).not.toContain("can't access tty");
    const m = /pgrp=(\d+) tpgid=(\d+)/.exec(out);
    expect(m, out).not.toBeNull();
    expect(m![1]).toBe(m![2]);
    expect(out).toContain('still-here 130');
    expect(exit).toBe(5);
  });

  it("podman's default seccomp profile is loaded: the filter is on and blocks what it lists", async () => {
    // without a filter both calls work (here, on the host)
    expect((await execa(probe)).stdout.split('\n')).toEqual(['vmsplice=0', 'personality=0']);
    const r = await run(['--rm'], ['sh', '-c', 'grep "^Seccomp:" /proc/self/status; seccomp-probe']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([expect.stringMatching(/^Seccomp:\s+2$/), 'vmsplice=1', 'personality=38']);
    // and only the filter: without one, the same container can make both calls
    const u = await run(['--rm', '--security-opt', 'seccomp=unconfined'], ['sh', '-c', 'grep "^Seccomp:" /proc/self/status; seccomp-probe']);
    expect(u.stdout.split('\n')).toEqual([expect.stringMatching(/^Seccomp:\s+0$/), 'vmsplice=0', 'personality=0']);
  });

  it('run --read-only and --tmpfs: the root refuses writes, the tmpfs mounts start with the image\'s files (tmpcopyup)', async () => {
    // podman marks its /tmp, /var/tmp, /run and --tmpfs mounts tmpcopyup: each tmpfs starts
    // with a copy of what the image has at that path
    const r = await run(['--rm', '--read-only', '--tmpfs', '/etc'], [
      'sh', '-c', 'touch /bin/x 2>/dev/null && echo root-writable || echo root-read-only; ' +
      'test -f /etc/copied && echo copied; ' +
      'awk \'$2 == "/etc" { print $3 }\' /proc/mounts; touch /etc/new && echo etc-writable',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['root-read-only', 'copied', 'tmpfs', 'etc-writable']);
  });

  it('run -m 64m --pids-limit 77: the container sees its own cgroup at /sys/fs/cgroup, with those limits', async () => {
    // cgroup v1 (podman: no cgroup namespace there) or v2 (podman: a private one)
    const [mem, pids, tree] = unified
      ? ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/pids.max', '/sys/fs/cgroup']
      : ['/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/pids/pids.max', '/sys/fs/cgroup/memory'];
    const r = await run(['--rm', '-m', '64m', '--pids-limit', '77'], ['sh', '-c', `cat ${mem} ${pids}; echo "subdirs: $(find ${tree} -mindepth 1 -type d | wc -l)"`]);
    expect(r.exitCode, r.stderr).toBe(0);
    // its own limits, not the host root's; and no other cgroup of the host in sight
    expect(r.stdout.split('\n')).toEqual(['67108864', '77', 'subdirs: 0']);
  });

  it("podman's device rules: /dev/null works, a device not on its list cannot be opened", async () => {
    const script = [
      'echo discarded > /dev/null && echo "null: $(wc -c < /dev/null)"',
      'echo "zero: $(head -c 4 /dev/zero | wc -c)"',
      // 42 is a major no driver has: the device cgroup refuses the open first (EPERM);
      // without rules it reaches the kernel, which has no such device (ENXIO)
      'mknod /tmp/sample c 42 0 && { cat /tmp/sample 2>&1; true; }',
    ].join('; ');
    const r = await run(['--rm', '--cap-add', 'MKNOD'], ['sh', '-c', script]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['null: 0', 'zero: 4', expect.stringMatching(/Operation not permitted/)]);
    // --privileged allows every device: the same open gets as far as the kernel
    const p = await run(['--rm', '--privileged'], ['sh', '-c', script]);
    expect(p.stdout.split('\n')).toEqual(['null: 0', 'zero: 4', expect.stringMatching(/No such device or address/)]);
  });
});
