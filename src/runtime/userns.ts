/**
 * `run --userns=remap`: the container's root is not the host's root but an unprivileged range
 * of host ids, as with Docker's userns-remap. The range is the one /etc/subuid and
 * /etc/subgid give the user minictr, else root; with neither, minictr creates the system user
 * minictr with 65536 ids in a free range (useradd --system, usermod --add-subuids
 * --add-subgids) and says so. The spec gets a user namespace with that mapping (written as
 * uid_map and gid_map by launch.ts); the image layers are shown to it through idmapped mounts
 * (native/src/idmap.c), so they keep their in-image owners, while what the container writes
 * (its upper dir, a volume) belongs to the mapped ids on the host.
 *
 * `auto` is taken as a synonym. It is not podman's --userns=auto, which gives every container
 * a range of its own: here all remapped containers share one range, as Docker's do, so they
 * are kept from the host's files, not from each other's.
 *
 * MINICTR_SUBID_PREFIX moves /etc (subuid, subgid and the user database useradd and usermod
 * edit, their --prefix) elsewhere: the tests' own, so they never change the host's.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConflictError, UsageError } from '../errors.js';
import type { NetworkMode } from '../network/container/mode.js';
import { paths } from '../paths.js';
import type { OciIdMapping, OciLinux, OciNamespace } from '../spec/config.js';
import type { Explainer } from '../util/explain.js';
import { hostCommand } from '../util/host-command.js';
import { withLock } from '../util/lock.js';

export type UsernsMode = 'host' | 'remap';

/** What a remapped container records (config.json) and its spec is built from. */
export interface UsernsConfig {
  mode: 'remap';
  /** the owner of the range in /etc/subuid and /etc/subgid: minictr or root */
  user: string;
  uidMappings: OciIdMapping[];
  gidMappings: OciIdMapping[];
}

/** One line of /etc/subuid or /etc/subgid: OWNER:START:COUNT (OWNER a name or a uid). */
export interface SubidEntry {
  owner: string;
  start: number;
  count: number;
}

export const SUBID_USER = 'minictr';
/** ids 0-65535: every user an image may have (nobody is 65534) */
export const RANGE_SIZE = 65536;
/** login.defs' SUB_UID_MIN / SUB_GID_MIN default: below are the host's own users */
const FIRST_SUBID = 100000;
const LAST_ID = 0xfffffffe;

export function parseUsernsMode(flag: string | undefined): UsernsMode {
  if (flag === undefined || flag === 'host') return 'host';
  if (flag === 'remap' || flag === 'auto') return 'remap';
  throw new UsageError(`invalid --userns "${flag}": expected remap (auto is the same), or host`);
}

/** The entries of a subuid/subgid file; lines that are not OWNER:START:COUNT are skipped, as shadow's tools do. */
export function parseSubids(text: string): SubidEntry[] {
  const out: SubidEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([^:]+):(\d+):(\d+)$/.exec(line);
    if (!m) continue;
    const start = Number(m[2]);
    const count = Number(m[3]);
    if (count > 0 && start + count - 1 <= LAST_ID) out.push({ owner: m[1]!, start, count });
  }
  return out;
}

/** The lowest START >= 100000 whose `size` ids no range of `taken` overlaps. */
export function freeRange(taken: readonly SubidEntry[], size = RANGE_SIZE, min = FIRST_SUBID): number {
  let start = min;
  for (const e of [...taken].sort((a, b) => a.start - b.start)) {
    if (e.start + e.count <= start) continue;
    if (e.start >= start + size) break;
    start = e.start + e.count;
  }
  if (start + size - 1 > LAST_ID) throw new ConflictError(`--userns=remap: no ${size} free subordinate ids are left below ${LAST_ID + 1}`);
  return start;
}

/**
 * The mapping of the first owner (in order: each as its names, e.g. ["minictr", "995"]) that
 * has a range in both files; undefined when none has any. An owner with a range in one file
 * only, or a range too small for an image's users, is refused with the line to fix.
 */
export function pickMapping(uids: readonly SubidEntry[], gids: readonly SubidEntry[], owners: readonly (readonly string[])[], files = { uid: '/etc/subuid', gid: '/etc/subgid' }): UsernsConfig | undefined {
  for (const names of owners) {
    const u = uids.find((e) => names.includes(e.owner));
    const g = gids.find((e) => names.includes(e.owner));
    if (!u && !g) continue;
    const who = names[0]!;
    if (!u || !g) throw new ConflictError(`--userns=remap: ${u ? files.gid : files.uid} has no range for ${who}, though ${u ? files.uid : files.gid} has one: add it (usermod --add-sub${u ? 'gids' : 'uids'} FIRST-LAST ${who})`);
    for (const [e, file] of [[u, files.uid], [g, files.gid]] as const) {
      if (e.start === 0) throw new ConflictError(`--userns=remap: ${who}'s range in ${file} (${e.owner}:${e.start}:${e.count}) starts at the host's root (0)`);
      if (e.count < RANGE_SIZE) throw new ConflictError(`--userns=remap: ${who}'s range in ${file} (${e.owner}:${e.start}:${e.count}) has fewer than ${RANGE_SIZE} ids, which an image's users need`);
    }
    return { mode: 'remap', user: who, uidMappings: [{ containerID: 0, hostID: u.start, size: u.count }], gidMappings: [{ containerID: 0, hostID: g.start, size: g.count }] };
  }
  return undefined;
}

/** The spec's user namespace (none for --userns=host) ... */
export function userNamespace(u: UsernsConfig | undefined): OciNamespace[] {
  return u ? [{ type: 'user' }] : [];
}

/** ... and who its ids are on the host (launch.ts writes them as uid_map and gid_map). */
export function idMappings(u: UsernsConfig | undefined): Pick<OciLinux, 'uidMappings' | 'gidMappings'> {
  return u ? { uidMappings: u.uidMappings.map((m) => ({ ...m })), gidMappings: u.gidMappings.map((m) => ({ ...m })) } : {};
}

/**
 * What is wrong with a container record's userns (store.ts, on read), or undefined. A map
 * edited by hand to start at host id 0 would make the container's root the host's root again,
 * behind a flag that says otherwise: such a record is broken, not run.
 */
export function usernsProblem(u: unknown): string | undefined {
  if (u === undefined) return undefined;
  if (typeof u !== 'object' || u === null) return 'userns is not an object';
  const r = u as Record<string, unknown>;
  if (r.mode !== 'remap' || typeof r.user !== 'string') return 'userns: mode is not "remap", or user is missing';
  for (const key of ['uidMappings', 'gidMappings'] as const) {
    const maps = r[key];
    const id = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= LAST_ID;
    if (!Array.isArray(maps) || maps.length === 0) return `userns.${key} is not a list of mappings`;
    for (const m of maps as Record<string, unknown>[]) {
      if (typeof m !== 'object' || m === null || !id(m.containerID) || !id(m.hostID) || !id(m.size) || (m.size as number) < 1) return `userns.${key}: ${JSON.stringify(m)} is not a mapping`;
      if (m.hostID === 0) return `userns.${key}: ${JSON.stringify(m)} maps onto the host's root (host id 0)`;
    }
    if (!(maps as { containerID: number }[]).some((m) => m.containerID === 0)) return `userns.${key}: no mapping for the container's root (0)`;
  }
  return undefined;
}

/** Who the container's root is on the host. */
export function mappedRoot(u: UsernsConfig): { uid: number; gid: number } {
  const host = (maps: OciIdMapping[]): number => maps.find((m) => m.containerID === 0)!.hostID;
  return { uid: host(u.uidMappings), gid: host(u.gidMappings) };
}

/** --network host, container: and netns: are namespaces the container's user namespace does
 * not own: it could not configure them nor mount their sysfs (Docker refuses them too). */
export function checkUsernsNetwork(mode: UsernsMode, net: NetworkMode): void {
  if (mode !== 'remap') return;
  const joined = net.kind === 'host' ? 'host' : net.kind === 'container' ? `container:${net.ref}` : net.kind === 'netns' ? `netns:${net.name}` : undefined;
  if (joined) throw new UsageError(`--userns=remap cannot be used with --network ${joined}: that network namespace belongs to the host's user namespace, not the container's`);
}

/** --privileged and --device hand the container host devices, which its root (an unprivileged
 * host uid) could not use as the host's root does: refused, as Docker refuses --privileged
 * with userns-remap, rather than started half-working. */
export function checkUsernsSecurity(mode: UsernsMode, s: { privileged: boolean; devices: readonly unknown[] }): void {
  if (mode !== 'remap') return;
  if (s.privileged) throw new UsageError('--userns=remap cannot be used with --privileged: its root is an unprivileged host uid, not the host\'s root (use --cap-add for capabilities inside its namespaces)');
  if (s.devices.length) throw new UsageError('--userns=remap cannot be used with --device: a host device node is not given to a remapped container\'s root');
}

const etcFile = (name: string): string => join(process.env.MINICTR_SUBID_PREFIX || '/', 'etc', name);

function entriesOf(file: string): SubidEntry[] {
  try {
    return parseSubids(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The uid of a user in (the prefix's) /etc/passwd, as text. */
function uidOf(name: string): string | undefined {
  try {
    const line = readFileSync(etcFile('passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
    return line?.split(':')[2];
  } catch {
    return undefined;
  }
}

function lookUp(): UsernsConfig | undefined {
  const minictrUid = uidOf(SUBID_USER);
  const owners = [[SUBID_USER, ...(minictrUid ? [minictrUid] : [])], ['root', '0']];
  return pickMapping(entriesOf(etcFile('subuid')), entriesOf(etcFile('subgid')), owners, { uid: etcFile('subuid'), gid: etcFile('subgid') });
}

/** As `useradd --system minictr` and `usermod --add-subuids/--add-subgids` in a free range. */
async function createRange(explain: Explainer, say: (line: string) => void): Promise<void> {
  const subuid = etcFile('subuid');
  const subgid = etcFile('subgid');
  const start = freeRange([...entriesOf(subuid), ...entriesOf(subgid)]);
  const range = `${start}-${start + RANGE_SIZE - 1}`;
  const prefix = process.env.MINICTR_SUBID_PREFIX ? ['--prefix', process.env.MINICTR_SUBID_PREFIX] : [];
  if (uidOf(SUBID_USER) === undefined) {
    await hostCommand('useradd', [...prefix, '--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', SUBID_USER], {
      explain, why: 'create the system user whose subordinate ids remapped containers get',
    });
  }
  // usermod -v/-w refuse to work without the files
  for (const f of [subuid, subgid]) if (!existsSync(f)) writeFileSync(f, '', { mode: 0o644 });
  await hostCommand('usermod', [...prefix, '--add-subuids', range, '--add-subgids', range, SUBID_USER], {
    explain, why: `give it ${RANGE_SIZE} subordinate uids and gids, a range no other entry of ${subuid} or ${subgid} has`,
  });
  say(`--userns=remap: neither ${SUBID_USER} nor root had subordinate ids in ${subuid}: created the system user ${SUBID_USER} with uids and gids ${range} (useradd --system ${SUBID_USER}; usermod --add-subuids ${range} --add-subgids ${range} ${SUBID_USER})`);
}

/** The mapping for a new remapped container, creating minictr's range on first use. */
export async function remapIds(explain: Explainer, say: (line: string) => void): Promise<UsernsConfig> {
  return withLock(join(paths.locks(), 'subids.lock'), async () => {
    const found = lookUp();
    if (found) return found;
    await createRange(explain, say);
    const made = lookUp();
    if (!made) throw new ConflictError(`--userns=remap: usermod did not add ${SUBID_USER}'s range to ${etcFile('subuid')}`);
    return made;
  }, { what: 'the subordinate id files' });
}

/**
 * The container's own process (host uid 100000, no capability over the host's files) looks
 * up its root and the files bound into it: each directory on the way must let it through.
 * Those minictr owns (MINICTR_ROOT, containers/, a container's dir) get o+x, as Docker makes
 * /var/lib/docker 0711 for userns-remap (they stay unlistable); a directory above them that
 * does not let the mapped root through is refused, naming it.
 */
export function letContainerRootThrough(own: readonly string[], u: UsernsConfig, explain: Explainer): void {
  const { uid, gid } = mappedRoot(u);
  const passes = (st: { mode: number; uid: number; gid: number }): boolean =>
    (st.mode & 0o001) !== 0 || (st.uid === uid && (st.mode & 0o100) !== 0) || (st.gid === gid && (st.mode & 0o010) !== 0);
  const above = new Set<string>();
  for (const dir of own) for (let p = dirname(resolve(dir)); ; p = dirname(p)) {
    above.add(p);
    if (dirname(p) === p) break;
  }
  for (const d of own) above.delete(resolve(d));
  for (const d of [...above].sort()) {
    const st = statSync(d, { throwIfNoEntry: false });
    if (!st || passes(st)) continue;
    throw new ConflictError(`--userns=remap: the container's root (host uid ${uid}) cannot get through ${d} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, owner ${st.uid}): chmod o+x ${d}, or set MINICTR_ROOT elsewhere`);
  }
  for (const d of own) {
    mkdirSync(d, { recursive: true });
    const st = statSync(d);
    if (passes(st)) continue;
    const mode = (st.mode & 0o7777) | 0o001;
    explain.step(`let the container's root (host uid ${uid}) through, without listing it`, `chmod ${mode.toString(8)} ${d}`);
    chmodSync(d, mode);
  }
}

/** What the container's root must own on the host: its upper and work dirs, its /etc files. */
export function chownToContainerRoot(files: readonly string[], u: UsernsConfig): void {
  const { uid, gid } = mappedRoot(u);
  for (const f of files) chownSync(f, uid, gid);
}

/** commit and export read the upper dir, where the files of a remapped container belong to
 * host ids (100000 + N): an image or tarball of it would carry those, not the container's.
 * Refused, rather than made wrong. */
export function refuseRemapped(c: { config: { name: string; userns?: UsernsConfig } }, verb: string): void {
  const u = c.config.userns;
  if (!u) return;
  const { uid } = mappedRoot(u);
  throw new ConflictError(`${verb}: container ${c.config.name} runs with --userns=remap: its changes belong to host uids from ${uid} on, which minictr does not map back to the container's for an image`);
}
