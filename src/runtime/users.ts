/**
 * -u USER[:GROUP] and the image's User, resolved against the container's own /etc/passwd
 * and /etc/group (as runc does), never the host's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';

export interface UserIds {
  uid: number;
  gid: number;
}

/** The file from the first root that has it (image layers, top first, or /proc/PID/root). */
function readDb(roots: string[], file: string): string[][] {
  for (const root of roots) {
    try {
      return readFileSync(join(root, 'etc', file), 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(':'));
    } catch {
      /* not in this layer */
    }
  }
  return [];
}

/** roots: where the container's filesystem is visible: /proc/PID/root, or its layers top first. */
export function resolveUser(spec: string, roots: string[]): UserIds {
  const [user, group] = spec.split(':', 2) as [string, string | undefined];
  if (!user) throw new UsageError(`invalid user "${spec}": expected USER[:GROUP]`);
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) {
    uid = Number(user);
    gid = Number(readDb(roots, 'passwd').find((f) => f[2] === user)?.[3] ?? 0);
  } else {
    const entry = readDb(roots, 'passwd').find((f) => f[0] === user);
    if (!entry) throw new NotFoundError(`unable to find user ${user}: no matching entries in the container's /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const g = readDb(roots, 'group').find((f) => f[0] === group);
      if (!g) throw new NotFoundError(`unable to find group ${group}: no matching entries in the container's /etc/group`);
      gid = Number(g[2]);
    }
  }
  return { uid, gid: gid ?? 0 };
}

/** The supplementary groups Docker (runc) gives the process of USER[:GROUP]: with an explicit
 * GROUP that group alone, else every group of the container's /etc/group that lists the user
 * as a member; then each --group-add (a number, or a name looked up in the same file). */
export function supplementaryGroups(spec: string | undefined, groupAdd: readonly string[], roots: string[]): number[] {
  const [user, group] = (spec ?? '0').split(':', 2) as [string, string | undefined];
  const groups = readDb(roots, 'group');
  const out: number[] = [];
  if (group !== undefined) out.push(resolveUser(spec!, roots).gid);
  else {
    const name = /^\d+$/.test(user) ? readDb(roots, 'passwd').find((f) => f[2] === user)?.[0] : user;
    if (name) for (const g of groups) if ((g[3] ?? '').split(',').includes(name)) out.push(Number(g[2]));
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
