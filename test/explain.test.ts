/**
 * --explain prints each kernel step as it is done, from the code that does it: the lines
 * appear in the order the child performs them, and a failing step is the last one printed.
 */
import { describe, expect, it } from 'vitest';
import { minictr } from './helpers/cli.js';

describe('run --explain', () => {
  it('shows every step with its shell equivalent, in order', async () => {
    const r = await minictr(['run', '--rm', '--explain', '--hostname', 'explained', 'busybox', 'hostname']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('explained');
    const commands = r.stderr.split('\n').filter((l) => l.trim().startsWith('$ ')).map((l) => l.trim().slice(2));
    const order = [
      /^unshare --fork --pid --mount --uts --ipc --net/,
      /^unshare --cgroup/,
      /^mount --make-rprivate \//,
      /^mount -t overlay overlay -o lowerdir=.*upperdir=.*workdir=/,
      /^mount -t proc .* proc .*\/merged\/proc$/,
      /^mknod -m 666 .*\/dev\/null c 1 3$/,
      /^pivot_root /,
      /^umount -l \//,
      /^mount --bind -o ro \/proc\/sys \/proc\/sys$/,
      /^hostname explained$/,
      /^ip link set lo up$/,
      /^capsh --caps-bound=0x00000000a80425fb/,
      /^prctl\(PR_SET_NO_NEW_PRIVS, 1\)$/,
      /^exec minictr-init -- hostname$/,
    ];
    let at = 0;
    for (const re of order) {
      const idx = commands.findIndex((c, i) => i >= at && re.test(c));
      expect(idx, `step ${re} after line ${at}:\n${commands.join('\n')}`).toBeGreaterThanOrEqual(at);
      at = idx + 1;
    }
  });

  it('a failing step is reported as step + errno, and is the last step shown', async () => {
    // /proc/self/fd/7 is nothing in the child: chdir fails with ENOENT or ENOTDIR
    const r = await minictr(['run', '--rm', '--explain', '-w', '/proc/self/fd/7', 'busybox', 'true']);
    expect(r.exitCode).toBe(125);
    const last = r.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(/^minictr: chdir\(\/proc\/self\/fd\/7\).*: (No such file or directory|Not a directory|Operation not permitted)$/);
  });
});
