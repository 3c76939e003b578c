/** OCI mount options as mount(2) takes them (src/oci/mount-options.ts). */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { MS } from '../../src/native/index.js';
import { parseMountOptions } from '../../src/spec/mount-options.js';

describe('parseMountOptions', () => {
  it('no options: nothing set', () => {
    expect(parseMountOptions([], 'mounts[0]')).toEqual({ flags: 0, propagation: 0, bind: false, recursive: false, copyUp: false, data: undefined });
  });

  it("/proc's and /sys's flags", () => {
    expect(parseMountOptions(['nosuid', 'noexec', 'nodev'], 'm').flags).toBe(MS.NOSUID | MS.NOEXEC | MS.NODEV);
    expect(parseMountOptions(['nosuid', 'noexec', 'nodev', 'ro'], 'm').flags).toBe(MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY);
  });

  it('filesystem options become the data string, in order; flags do not', () => {
    expect(parseMountOptions(['nosuid', 'strictatime', 'mode=755', 'size=65536k'], 'm')).toEqual({
      flags: MS.NOSUID | MS.STRICTATIME, propagation: 0, bind: false, recursive: false, copyUp: false, data: 'mode=755,size=65536k',
    });
    expect(parseMountOptions(['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'], 'm').data).toBe('newinstance,ptmxmode=0666,mode=0620,gid=5');
  });

  it('a later option clears an earlier one (rw after ro, suid after nosuid)', () => {
    expect(parseMountOptions(['ro', 'rw'], 'm').flags).toBe(0);
    expect(parseMountOptions(['nosuid', 'nodev', 'suid'], 'm').flags).toBe(MS.NODEV);
    expect(parseMountOptions(['noatime', 'atime', 'lazytime', 'nolazytime'], 'm').flags).toBe(0);
  });

  it('every flag of the table', () => {
    const all = ['ro', 'nosuid', 'nodev', 'noexec', 'sync', 'dirsync', 'mand', 'noatime', 'nodiratime', 'relatime', 'strictatime', 'silent', 'lazytime', 'nosymfollow'];
    const want = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.SYNCHRONOUS | MS.DIRSYNC | MS.MANDLOCK | MS.NOATIME |
      MS.NODIRATIME | MS.RELATIME | MS.STRICTATIME | MS.SILENT | MS.LAZYTIME | MS.NOSYMFOLLOW;
    expect(parseMountOptions(all, 'm').flags).toBe(want);
  });

  it('bind and rbind', () => {
    expect(parseMountOptions(['bind'], 'm')).toMatchObject({ bind: true, recursive: false, flags: 0 });
    expect(parseMountOptions(['rbind'], 'm')).toMatchObject({ bind: true, recursive: true });
    expect(parseMountOptions(['rbind', 'bind'], 'm')).toMatchObject({ bind: true, recursive: true });
    // crun's tmpcopyup (podman --read-only, --tmpfs): a mode of the mount, not a filesystem option
    expect(parseMountOptions(['tmpcopyup', 'mode=1777'], 'm')).toMatchObject({ copyUp: true, data: 'mode=1777' });
  });

  it('propagation: the last one wins; r* adds MS_REC', () => {
    expect(parseMountOptions(['rbind', 'rprivate'], 'm').propagation).toBe(MS.PRIVATE | MS.REC);
    expect(parseMountOptions(['private'], 'm').propagation).toBe(MS.PRIVATE);
    expect(parseMountOptions(['rshared', 'slave'], 'm').propagation).toBe(MS.SLAVE);
    expect(parseMountOptions(['runbindable'], 'm').propagation).toBe(MS.UNBINDABLE | MS.REC);
    expect(parseMountOptions(['rslave'], 'm').propagation).toBe(MS.SLAVE | MS.REC);
  });

  it('"defaults" means nothing', () => {
    expect(parseMountOptions(['defaults'], 'm')).toEqual(parseMountOptions([], 'm'));
  });

  it.each([
    ['rro', 'mounts[3]: mount option "rro": recursive read-only mounts (mount_setattr) are not supported'],
    ['rrw', 'mounts[3]: mount option "rrw": recursive mount attributes (mount_setattr) are not supported'],
    ['idmap', 'mounts[3]: mount option "idmap": idmapped mounts are not supported in mount options'],
    ['ridmap', 'mounts[3]: mount option "ridmap": idmapped mounts are not supported in mount options'],
    ['remount', 'mounts[3]: mount option "remount": remount is not a mount a container can be given'],
    ['move', 'mounts[3]: mount option "move": move is not a mount a container can be given'],
    ['rnosuid', 'mounts[3]: mount option "rnosuid": recursive mount attributes (mount_setattr) are not supported'],
    ['rnoexec', 'mounts[3]: mount option "rnoexec": recursive mount attributes (mount_setattr) are not supported'],
    ['rrelatime', 'mounts[3]: mount option "rrelatime": recursive mount attributes (mount_setattr) are not supported'],
    ['a,b', 'mounts[3]: invalid mount option "a,b"'],
    ['', 'mounts[3]: invalid mount option ""'],
    ['=x', 'mounts[3]: invalid mount option "=x"'],
    ['mode=755,uid=0', 'mounts[3]: invalid mount option "mode=755,uid=0"'],
  ])('refuses %j', (option, message) => {
    expect(() => parseMountOptions(['nosuid', option], 'mounts[3]')).toThrow(new UsageError(message));
  });
});
