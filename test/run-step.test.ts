/**
 * `run --step` on a real terminal (test/helpers/pty-drive.py types Enter, as a teacher would):
 * it stops before each kernel step with the step's name and the container's host pid, and at
 * each stop the host shows the state the steps before it made (looked at from outside, as a
 * student in another terminal would: /proc/PID/mountinfo, nsenter, /proc/PID/status).
 * Ctrl-C at a stop leaves nothing: no container record, cgroup, mount or process.
 */
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, uniq } from './helpers/cli.js';
import { leftovers, newSince } from './helpers/container.js';
import { ptyDrive, type PtyStep } from './helpers/pty.js';

const dir = mkdtempSync(join(tmpdir(), 'minictr-step-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const drive = (steps: PtyStep[], cmd: string[]) => ptyDrive(dir, steps, cmd);

const PID = { capture: String.raw`\(host pid (\d+)\)`, as: 'PID' };
const ID = { capture: 'ID=([0-9a-f]{64})', as: 'ID' };
const enter = (step: string): PtyStep[] => [{ wait: `press Enter for: ${step} --` }, { send: '\r' }];

describe('run --step', () => {
  it('stops before each step with its pid, and the state is there at each stop', async () => {
    const host = (await execa('hostname')).stdout.trim();
    const name = uniq('stepped-');
    const { out, sh, exit } = await drive(
      [
        ...enter('cgroup'),
        ...enter('clone'),
        { wait: 'press Enter for: rootfs --' },
        PID,
        ID,
        // 0: the child has its own mount namespace, and no overlay yet
        { sh: 'readlink /proc/$PID/ns/mnt /proc/self/ns/mnt; grep -c "$ID/merged" /proc/$PID/mountinfo' },
        { send: '\r' },
        { wait: 'press Enter for: pivot_root --' },
        // 1: after the rootfs step, the overlay is mounted in its namespace (and not the host's)
        { sh: 'grep " $MINICTR_ROOT/containers/$ID/merged " /proc/$PID/mountinfo | grep -c " - overlay overlay "; grep -c "$ID/merged" /proc/self/mountinfo' },
        { send: '\r' },
        { wait: 'press Enter for: hostname --' },
        // 2: after pivot_root its root is the image's; the hostname is not set yet
        { sh: 'ls /proc/$PID/root/bin/busybox; nsenter -t $PID -u hostname' },
        { send: '\r' },
        { wait: 'press Enter for: network --' },
        { sh: 'nsenter -t $PID -u hostname' }, // 3
        { send: '\r' },
        { wait: 'press Enter for: creds --' },
        // 4: until the creds step, every capability the caller has (as this shell)
        { sh: 'grep CapEff /proc/$PID/status /proc/$$/status | cut -f2' },
        { send: '\r' },
        { wait: 'press Enter for: exec --' },
        { sh: 'grep CapEff /proc/$PID/status' }, // 5: Docker's 14
        { send: '\r' },
      ],
      [BIN, 'run', '--rm', '--step', '--network', 'none', '--hostname', name, 'busybox', 'sh', '-c', 'echo "ran as $(hostname)"'],
    );
    expect(exit, out).toBe(0);
    expect(out).toContain(`ran as ${name}`);
    // each stop names its step, in the order they are done, with the same host pid once cloned
    const stops = [...out.matchAll(/\[step\] (\S+): .* \((host pid (\d+)|no process yet)\)/g)];
    expect(stops.map((m) => m[1])).toEqual(['cgroup', 'clone', 'rootfs', 'pivot_root', 'hostname', 'network', 'creds', 'exec']);
    expect(stops.slice(0, 2).every((m) => m[3] === undefined)).toBe(true);
    const pids = new Set(stops.slice(2).map((m) => m[3]));
    expect(pids.size).toBe(1);
    expect(out).toMatch(new RegExp(`look from another terminal:\\r?\\n {4}grep overlay /proc/${[...pids][0]}/mountinfo`));

    const [ownNs, hostNs, overlayBefore] = sh[0]!.trim().split('\n');
    expect(ownNs).toMatch(/^mnt:\[\d+\]$/);
    expect(ownNs).not.toBe(hostNs);
    expect(overlayBefore).toBe('0');
    expect(sh[1]!.trim().split('\n')).toEqual(['1', '0']);
    expect(sh[2]!.trim().split('\n')).toEqual([expect.stringMatching(/\/bin\/busybox$/), host]);
    expect(sh[3]!.trim()).toBe(name);
    const [childCaps, callerCaps] = sh[4]!.trim().split('\n');
    expect(childCaps).toBe(callerCaps);
    expect(childCaps).not.toBe('00000000a80425fb');
    expect(sh[5]!.trim()).toBe('CapEff:\t00000000a80425fb');
  });

  it('Ctrl-C at a stop (the overlay mounted) leaves nothing behind', async () => {
    const before = await leftovers();
    const { out, sh, exit } = await drive(
      [...enter('cgroup'), ...enter('clone'), ...enter('rootfs'), { wait: 'press Enter for: pivot_root --' }, PID, ID, { sh: 'grep -c "$ID/merged" /proc/$PID/mountinfo' }, { send: '\u0003' }],
      [BIN, 'run', '--step', '--network', 'none', 'busybox', 'true'],
    );
    expect(out).toContain('minictr: interrupted by SIGINT');
    expect(exit).toBe(130);
    expect(Number(sh[0]!.trim())).toBeGreaterThan(0); // there was something to undo
    const pid = /\(host pid (\d+)\)/.exec(out)![1]!;
    const id = /ID=([0-9a-f]{64})/.exec(out)![1]!;
    const after = await leftovers();
    // other tests may run beside this one: what is new and this container's is a leak
    expect(newSince(before, after).filter((l) => l.includes(id) || l.includes(id.slice(0, 12)) || l.startsWith('container ') || new RegExp(`\\b${pid}\\b`).test(l))).toEqual([]);
    expect(after.dirs).not.toContain(id);
    expect((await execa('kill', ['-0', pid], { reject: false })).exitCode).not.toBe(0);
  });
});
