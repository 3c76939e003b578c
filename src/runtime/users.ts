/**
 * -u USER[:GROUP] and the image's User, resolved against the container's own /etc/passwd
 * and /etc/group (as runc does), never the host's.
 *
 * The files are the container's, so the container (or its image) decides what they are:
 * "/etc/passwd -> /etc/shadow", "../../etc/shadow", a symlinked /etc, a FIFO, a file of
 * gigabytes. They are therefore never read by a host path (/proc/PID/root/etc/passwd would
 * resolve an absolute symlink against the host's root): the addon resolves them inside the
 * container's root (native/src/addon-files.c), opens only a regular file, and reads at most
 * MAX_DB_BYTES. Before the container exists (run, start) the image's layers are looked
 * through as overlayfs will merge them, whiteouts included (src/image/layer-lookup.ts).
 */
import { findInLayers, layerView, SymlinkLoopError } from '../image/layer-lookup.js';
import { MinictrError, NotFoundError, UsageError } from '../errors.js';
import { isStepError, native, type RootFileRead } from '../native/index.js';

export interface UserIds {
  uid: number;
  gid: number;
}

/** Where the container's files are: a running container's root (/proc/PID/root: the kernel
 * shows the merged view), or its image's layer dirs, top first. */
export type ContainerFiles = { root: string } | { layers: string[] };

/** Larger user databases are refused (a real one with 10,000 users is under 1 MiB). */
export const MAX_DB_BYTES = 4 << 20;

const TYPE_NAMES: Record<string, string> = {
  directory: 'a directory',
  symlink: 'a symlink',
  fifo: 'a FIFO',
  socket: 'a socket',
  'char-device': 'a character device',
  'block-device': 'a block device',
};

function readInContainer(where: ContainerFiles, path: string): RootFileRead {
  if ('root' in where) return native().readFileInRoot(where.root, path, MAX_DB_BYTES);
  const found = findInLayers(layerView(where.layers), path);
  if (!found) return { kind: 'missing' };
  return native().readFileInRoot(where.layers[found.layer]!, found.path, MAX_DB_BYTES);
}

/** The lines of /etc/FILE, split at ':'; none when the container has no such file. */
function readDb(where: ContainerFiles, file: string): string[][] {
  const path = `/etc/${file}`;
  let r: RootFileRead;
  try {
    r = readInContainer(where, path);
  } catch (err) {
    if (isStepError(err)) throw new MinictrError(`cannot read the container's ${path}: ${err.message.slice(err.message.lastIndexOf(': ') + 2)}`);
    if (err instanceof SymlinkLoopError) throw new MinictrError(`cannot read the container's ${path}: too many levels of symbolic links`);
    throw err;
  }
  if (r.kind === 'missing') return [];
  if (r.kind === 'not-regular') throw new MinictrError(`cannot read the container's ${path}: it is ${TYPE_NAMES[r.type] ?? 'not a regular file'}, not a regular file`);
  if (r.kind === 'too-large') throw new MinictrError(`cannot read the container's ${path}: it is larger than ${MAX_DB_BYTES >> 20} MiB`);
  return parseDb(r.data.toString('utf8'));
}

/** The lines of a passwd or group file, split at ':' (comments and empty lines dropped). */
export const parseDb = (text: string): string[][] =>
  text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));

/** The container's /etc/passwd and /etc/group, each read at most once, when first needed. */
export type UserDbs = (file: 'passwd' | 'group') => string[][];

function userDbs(where: ContainerFiles): UserDbs {
  const read = new Map<string, string[][]>();
  return (file) => {
    let lines = read.get(file);
    if (!lines) read.set(file, (lines = readDb(where, file)));
    return lines;
  };
}


export function resolveUser(spec: string, where: ContainerFiles): UserIds {
  return resolveUserIn(spec, userDbs(where));
}

/** resolveUser over databases already at hand (pure). */
export function resolveUserIn(spec: string, db: UserDbs): UserIds {
  const [user, group] = spec.split(':', 2) as [string, string | undefined];
  if (!user) throw new UsageError(`invalid user "${spec}": expected USER[:GROUP]`);
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) {
    uid = Number(user);
    gid = Number(db('passwd').find((f) => f[2] === user)?.[3] ?? 0);
  } else {
    const entry = db('passwd').find((f) => f[0] === user);
    if (!entry) throw new NotFoundError(`unable to find user ${user}: no matching entries in the container's /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const g = db('group').find((f) => f[0] === group);
      if (!g) throw new NotFoundError(`unable to find group ${group}: no matching entries in the container's /etc/group`);
      gid = Number(g[2]);
    }
  }
  return { uid, gid: gid ?? 0 };
}

/** The supplementary groups Docker (runc) gives the process of USER[:GROUP]: with an explicit
 * GROUP that group alone, else every group of the container's /etc/group that lists the user
 * as a member; then each --group-add (a number, or a name looked up in the same file). */
export function supplementaryGroups(spec: string | undefined, groupAdd: readonly string[], where: ContainerFiles): number[] {
  return supplementaryGroupsIn(spec, groupAdd, userDbs(where));
}

/** supplementaryGroups over databases already at hand (pure). */
export function supplementaryGroupsIn(spec: string | undefined, groupAdd: readonly string[], db: UserDbs): number[] {
  const [user, group] = (spec ?? '0').split(':', 2) as [string, string | undefined];
  const groups = db('group');
  const out: number[] = [];
  if (group !== undefined) out.push(resolveUserIn(spec!, db).gid);
  else {
    // the groups that list members; none (busybox, most minimal images): the user's name
    // cannot matter, and /etc/passwd is not read for it
    const withMembers = groups.filter((g) => g[3]);
    const name = !withMembers.length ? undefined : /^\d+$/.test(user) ? db('passwd').find((f) => f[2] === user)?.[0] : user;
    if (name) for (const g of withMembers) if (g[3]!.split(',').includes(name)) out.push(Number(g[2]));
  }
  for (const g of groupAdd) {
    if (/^\d+$/.test(g)) out.push(Number(g));
    else {
      const entry = groups.find((f) => f[0] === g);
      if (!entry) throw new NotFoundError(`--group-add ${g}: no such group in the container's /etc/group`);
      out.push(Number(entry[2]));
    }
  }
  return [...new Set(out)];
}
