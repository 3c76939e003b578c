/**
 * minictr-oci under containerd, as `ctr run --runc-binary bin/minictr-oci` drives it: the
 * runc shim (containerd-shim-runc-v2) calls `minictr-oci --root /run/containerd/runc/<ns>
 * --log ... --log-format json create|start|state|exec|ps|pause|resume|kill|delete`. One
 * containerd of this file's own (started once, stopped at the end); the assertions are on
 * what the container printed or did, seen from outside: its output and exit status as ctr
 * reports them, files it wrote in its root filesystem, its processes on the host.
 */
import { mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniq } from './helpers/cli.js';
import {
  OCI_RUNTIME, busyboxRootfs, engineDir, pidNamespaceOf, processesInPidNamespace, ptyDrive, startContainerd, waitFor, type Containerd,
} from './helpers/engines.js';

let ctd: Containerd;
let dir: string;
let rootfs: string;

beforeAll(async () => {
  dir = await engineDir('oci-containerd-');
  rootfs = await busyboxRootfs(join(dir, 'rootfs'));
  mkdirSync(join(dir, 'fifo'));
  ctd = await startContainerd();
});

afterAll(async () => {
  const leaks = ctd ? await ctd.stop() : [];
  if (dir) rmSync(dir, { recursive: true, force: true });
  expect(leaks, 'containerd, its shims and minictr-oci left these behind').toEqual([]);
});

/** `ctr run [flags] --runc-binary RUNTIME --rootfs ROOTFS ID CMD...`. Commands are absolute
 * paths: ctr's spec for a --rootfs container has no environment at all, so no PATH (runc
 * then finds no "sh"; minictr-oci falls back to the default PATH, as execvp does). */
function run(id: string, flags: string[], cmd: string[]): ReturnType<Containerd['ctr']> {
  return ctd.ctr(['run', '--runc-binary', OCI_RUNTIME, '--fifo-dir', join(dir, 'fifo'), ...flags, '--rootfs', rootfs, id, ...cmd]);
}

/** A file the container writes in /tmp, read from the host (the rootfs is used in place). */
const fromContainer = (name: string): string | undefined => {
  try {
    return readFileSync(join(rootfs, 'tmp', name), 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** The task's host pid and status from `ctr task ls`. */
async function taskOf(id: string): Promise<{ pid: number; status: string } | undefined> {
  const r = await ctd.ctr(['task', 'ls']);
  const line = r.stdout.split('\n').find((l) => l.split(/\s+/)[0] === id);
  if (!line) return undefined;
  const [, pid, status] = line.trim().split(/\s+/);
  return { pid: Number(pid), status: status! };
}

/** Start a detached task and wait until it wrote /tmp/ID.ready. */
async function detached(id: string, script: string): Promise<number> {
  const r = await run(id, ['-d', '--null-io'], ['/bin/sh', '-c', script.replace('READY', () => `echo $$ > /tmp/${id}.ready`)]);
  expect(r.exitCode, r.stderr).toBe(0);
  expect(await waitFor(() => fromContainer(`${id}.ready`), 10_000), 'the container never wrote its ready file').toBe('1');
  const t = await taskOf(id);
  expect(t?.status).toBe('RUNNING');
  return t!.pid;
}

async function removeTask(id: string): Promise<void> {
  await ctd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
  await waitFor(async () => (await taskOf(id))?.status === 'STOPPED', 10_000);
  await ctd.ctr(['task', 'rm', '-f', id]);
  await ctd.ctr(['container', 'rm', id]);
}

describe('ctr run --runc-binary minictr-oci', () => {
  it('runs the command: its stdout, stderr and exit status come back through ctr', async () => {
    const r = await run(uniq('run-'), ['--rm'], ['/bin/sh', '-c', 'echo "out $((6*7)) pid=$$"; echo "err line" >&2; exit 3']);
    expect(r.stdout).toBe('out 42 pid=1');
    expect(r.stderr).toContain('err line');
    expect(r.exitCode).toBe(3);
  });

  it('-t: the shell has a real terminal with job control, the window size, Ctrl-C for its job', async () => {
    const { out, exit } = await ptyDrive(dir, [
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
    ], ['ctr', '-a', ctd.address, '-n', ctd.namespace, 'run', '--rm', '-t', '--runc-binary', OCI_RUNTIME, '--fifo-dir', join(dir, 'fifo'), '--rootfs', rootfs, uniq('tty-'), '/bin/sh']);
    expect(out).toMatch(/\/dev\/pts\/\d+/);
    expect(out).toMatch(/\b30 100\b/);
    expect(out).not.toContain("can't access tty");
    // the shell is the terminal's foreground process group: it has it as controlling terminal
    const m = /pgrp=(\d+) tpgid=(\d+)/.exec(out);
    expect(m, out).not.toBeNull();
    expect(m![1]).toBe(m![2]);
    // Ctrl-C reached the sleep (130 = SIGINT) and not the shell
    expect(out).toContain('still-here 130');
    expect(exit).toBe(5);
  });

  it('-d, then task exec runs in the container and task ps lists exactly its processes', async () => {
    const id = uniq('exec-');
    const pid = await detached(id, 'sleep 300 & sleep 301 & READY; wait');
    try {
      const e = await ctd.ctr(['task', 'exec', '--fifo-dir', join(dir, 'fifo'), '--exec-id', uniq('e'), id, '/bin/sh', '-c',
        'echo "exec $((6*7))"; [ "$(readlink /proc/self/ns/pid)" = "$(readlink /proc/1/ns/pid)" ] && echo same-pid-ns; ps -o args | grep -c "^sleep 30[01]"; exit 4']);
      expect(e.stdout.split('\n')).toEqual(['exec 42', 'same-pid-ns', '2']);
      expect(e.exitCode).toBe(4);

      const ps = await ctd.ctr(['task', 'ps', id]);
      expect(ps.exitCode, ps.stderr).toBe(0);
      const listed = ps.stdout.split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter((n) => n > 0).sort((a, b) => a - b);
      // the container's processes are those in its pid namespace: the shell and its two sleeps
      const ns = pidNamespaceOf(pid)!;
      expect(ns).not.toBe(pidNamespaceOf(process.pid));
      const inside = processesInPidNamespace(ns);
      expect(listed).toEqual(inside);
      const cmds = listed.map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()).sort();
      expect(cmds).toEqual([expect.stringMatching(/^\/bin\/sh -c sleep 300 &/), 'sleep 300', 'sleep 301']);
    } finally {
      await removeTask(id);
    }
  });

  it('task pause freezes the container (a counter stops) and resume lets it go on', async () => {
    const id = uniq('pause-');
    await detached(id, `READY; i=0; while :; do i=$((i+1)); echo $i > /tmp/${id}.count; usleep 20000; done`);
    const count = (): number => Number(fromContainer(`${id}.count`) ?? 0);
    try {
      expect(await waitFor(() => count() > 3, 5000)).toBe(true);
      const p = await ctd.ctr(['task', 'pause', id]);
      expect(p.exitCode, p.stderr).toBe(0);
      expect((await taskOf(id))?.status).toBe('PAUSED');
      const frozenAt = count();
      await new Promise((r) => setTimeout(r, 600));
      expect(count()).toBe(frozenAt);
      const r = await ctd.ctr(['task', 'resume', id]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(await waitFor(() => count() > frozenAt + 3, 5000), 'the counter did not go on after resume').toBe(true);
      expect((await taskOf(id))?.status).toBe('RUNNING');
    } finally {
      await removeTask(id);
    }
  });

  it('task kill sends SIGTERM: the container traps it, and its exit status 9 is what containerd records', async () => {
    const id = uniq('kill-');
    await detached(id, `trap "echo got-term > /tmp/${id}.term; exit 9" TERM; READY; while :; do usleep 20000; done`);
    const k = await ctd.ctr(['task', 'kill', id]);
    expect(k.exitCode, k.stderr).toBe(0);
    expect(await waitFor(async () => (await taskOf(id))?.status === 'STOPPED', 10_000), 'the task never stopped').toBe(true);
    expect(fromContainer(`${id}.term`)).toBe('got-term');
    // task rm reports the exit status the shim collected
    const rm = await ctd.ctr(['task', 'rm', id]);
    expect(rm.exitCode, rm.stderr).toBe(0);
    expect(rm.stderr).toMatch(/exit code 9\b/);
    expect(await taskOf(id)).toBeUndefined();
    const c = await ctd.ctr(['container', 'rm', id]);
    expect(c.exitCode, c.stderr).toBe(0);
    expect((await ctd.ctr(['container', 'ls', '-q'])).stdout.split('\n')).not.toContain(id);
  });

  it('task kill -s SIGKILL ends an attached ctr run with 137', async () => {
    const id = uniq('sigkill-');
    const attached = run(id, ['--rm'], ['/bin/sh', '-c', `echo $$ > /tmp/${id}.ready; trap "" TERM; while :; do usleep 20000; done`]);
    try {
      expect(await waitFor(() => fromContainer(`${id}.ready`), 10_000)).toBe('1');
      const k = await ctd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
      expect(k.exitCode, k.stderr).toBe(0);
      expect((await attached).exitCode).toBe(137);
    } finally {
      const r = await attached;
      if (r.exitCode !== 137) await removeTask(id);
    }
  });

  it('task rm and container rm leave no task, container, process or runtime state', async () => {
    const id = uniq('rm-');
    const pid = await detached(id, 'READY; exec sleep 300');
    await ctd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    expect(await waitFor(async () => (await taskOf(id))?.status === 'STOPPED', 10_000)).toBe(true);
    const rm = await ctd.ctr(['task', 'rm', id]);
    expect(rm.exitCode, rm.stderr).toBe(0);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(join(ctd.runtimeRoot, id)), 'the runtime state of the task').toBe(false);
    const c = await ctd.ctr(['container', 'rm', id]);
    expect(c.exitCode, c.stderr).toBe(0);
    expect((await ctd.ctr(['task', 'ls', '-q'])).stdout.split('\n')).not.toContain(id);
    expect((await ctd.ctr(['container', 'ls', '-q'])).stdout.split('\n')).not.toContain(id);
  });
});
