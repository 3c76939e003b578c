/**
 * OCI mount options (`"options": ["nosuid", "rbind", "ro", "mode=755"]`) as mount(2) sees
 * them: flags, a propagation change, and the rest passed to the filesystem as data. The
 * table is mount(8)'s, as runc and crun read it; options that need mount_setattr (recursive
 * read-only, idmapped mounts) are refused by name rather than dropped.
 */
import { UsageError } from '../errors.js';
import { MS } from '../native/index.js';

export interface ParsedMountOptions {
  flags: number;
  propagation: number;
  bind: boolean;
  recursive: boolean;
  /** tmpcopyup (crun's, set by podman): a tmpfs starts with a copy of what it covers */
  copyUp: boolean;
  /** filesystem options (mode=755,size=64k ...), comma-joined; undefined when none */
  data?: string;
}

const SET: Record<string, number> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS,
  dirsync: MS.DIRSYNC, mand: MS.MANDLOCK, noatime: MS.NOATIME, nodiratime: MS.NODIRATIME,
  relatime: MS.RELATIME, strictatime: MS.STRICTATIME, silent: MS.SILENT, lazytime: MS.LAZYTIME,
  nosymfollow: MS.NOSYMFOLLOW,
};
const CLEAR: Record<string, number> = {
  rw: MS.RDONLY, suid: MS.NOSUID, dev: MS.NODEV, exec: MS.NOEXEC, async: MS.SYNCHRONOUS,
  nomand: MS.MANDLOCK, atime: MS.NOATIME, diratime: MS.NODIRATIME, norelatime: MS.RELATIME,
  nostrictatime: MS.STRICTATIME, loud: MS.SILENT, nolazytime: MS.LAZYTIME, symfollow: MS.NOSYMFOLLOW,
};
const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};
/** Options that mean something minictr does not do; refused with the reason. */
const REFUSED: Record<string, string> = {
  rro: 'recursive read-only mounts (mount_setattr) are not supported',
  rrw: 'recursive mount attributes (mount_setattr) are not supported',
  idmap: 'idmapped mounts are not supported in mount options',
  ridmap: 'idmapped mounts are not supported in mount options',
  remount: 'remount is not a mount a container can be given',
  move: 'move is not a mount a container can be given',
};

export function parseMountOptions(options: readonly string[], where: string): ParsedMountOptions {
  let flags = 0;
  let propagation = 0;
  let bind = false;
  let recursive = false;
  let copyUp = false;
  const data: string[] = [];
  for (const o of options) {
    if (o === 'bind' || o === 'rbind') {
      bind = true;
      recursive ||= o === 'rbind';
    } else if (o in SET) flags |= SET[o]!;
    else if (o in CLEAR) flags &= ~CLEAR[o]!;
    else if (o in PROPAGATION) propagation = PROPAGATION[o]!;
    else if (o in REFUSED) throw new UsageError(`${where}: mount option "${o}": ${REFUSED[o]}`);
    else if (o === 'defaults') continue;
    else if (o === 'tmpcopyup') copyUp = true;
    else if (/^r(no)?(suid|dev|exec|atime|diratime|relatime|strictatime|symfollow)$/.test(o)) {
      throw new UsageError(`${where}: mount option "${o}": recursive mount attributes (mount_setattr) are not supported`);
    } else if (/^[\w.-]+(=[^,]*)?$/.test(o)) data.push(o);
    else throw new UsageError(`${where}: invalid mount option "${o}"`);
  }
  return { flags, propagation, bind, recursive, copyUp, data: data.length ? data.join(',') : undefined };
}
