/**
 * What the addon does instead of a process: a lab's per-namespace steps, and a container's
 * cable and its port's nft set elements in the host's namespace. Each `ip -n NS -batch -`
 * costs a spawn plus iproute2's netns_switch (setns, a private mount namespace, a fresh sysfs)
 * for a few netlink requests; for a 200-host lab that was ~400 processes and most of `net up`;
 * a container's `ip` + `nft` runs were most of what `--network bridge` cost. The addon's
 * netnsApply (native/src/netns-many.c) forks one C child that setns's into each namespace in
 * turn (the host's is /proc/self/ns/net) and sends the same rtnetlink and nf_tables requests.
 *
 * Only the forms below are taken; anything else (tc, another ip form) stays with its tool.
 * The action is explained as the `ip`/`nft` line it is (actions.ts equivalent), and that line
 * is built from the same args this module translates, so what is shown is what is done.
 */
import { availableParallelism } from 'node:os';
import { CommandError } from '../../errors.js';
import { isValidName } from '../../names.js';
import { native } from '../../native/index.js';
import { byNamespace, equivalent, type Action, type ExecAction, type IpAction, type NftAction } from './actions.js';
import { NETNS_DIR } from './state.js';

/** One operation in a namespace, as netns-many.c reads it. */
export type NetnsOp =
  | { op: 'up'; dev: string }
  | { op: 'alias'; dev: string; text: string }
  | { op: 'addr'; dev: string; cidr: string }
  | { op: 'route'; to: string; via?: string; dev?: string }
  | { op: 'sysctl'; key: string; value: string }
  | { op: 'veth'; dev: string; master?: string; up: boolean; peer: string; peerAddress?: string; peerPid?: number }
  /** nft add|delete element: key is the element's bytes in hex, comment its nft comment */
  | { op: 'nftelem'; verb: 'add' | 'delete'; family: number; table: string; set: string; key: string; comment: string }
  /** ip link del DEV (one gone already is no failure) */
  | { op: 'dellink'; dev: string }
  /** an address lease (ipam.ts) removed if it still holds id */
  | { op: 'release'; path: string; id: string };

/** nft's families by name (linux/netfilter.h NFPROTO_*) */
const NFPROTO: Record<string, number> = { inet: 1, ip: 2, bridge: 7, ip6: 10 };

/** An action the addon can do: in a named namespace, or (ns unset) in the host's. */
export type NetnsAction = IpAction | ExecAction | NftAction;

const CIDR = /^([0-9.]+|[0-9a-fA-F:.]+)(\/\d{1,3})?$/;
const SYSCTL_KEY = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)+$/;
const plain = (s: string): boolean => !s.includes('\0') && s.length > 0;

/** The addon's operations for an action, or undefined when `ip` (or the tool) must run it. */
export function netnsOps(a: Action): NetnsOp[] | undefined {
  if (a.kind === 'nft') return nftElementOp(a.args);
  if (a.kind !== 'ip' && a.kind !== 'exec') return undefined;
  if (a.ns === undefined) return a.kind === 'ip' ? hostVethOp(a.args) : undefined;
  if (!isValidName('network namespace', a.ns)) return undefined;
  if (a.kind === 'ip') return ipOp(a.args);
  return sysctlOps(a.argv);
}

/** In the host's namespace only a container's cable: a veth whose peer is made in a process's
 * namespace (`netns PID`). A lab's switch-to-switch cables stay in its `ip -batch` with the
 * aliases that mark them. */
function hostVethOp(args: readonly string[]): NetnsOp[] | undefined {
  const op = vethOp(args);
  return op?.peerPid !== undefined ? [op] : undefined;
}

function ipOp(args: readonly string[]): NetnsOp[] | undefined {
  if (!args.every(plain)) return undefined;
  const [obj, verb, ...rest] = args;
  if (obj === 'link' && verb === 'set' && rest.length === 2 && rest[1] === 'up' && isValidName('interface', rest[0]!)) {
    return [{ op: 'up', dev: rest[0]! }];
  }
  if (obj === 'link' && verb === 'set' && rest.length === 3 && rest[1] === 'alias' && isValidName('interface', rest[0]!)) {
    return [{ op: 'alias', dev: rest[0]!, text: rest[2]! }];
  }
  if (obj === 'addr' && verb === 'add' && rest.length === 3 && rest[1] === 'dev' && CIDR.test(rest[0]!) && isValidName('interface', rest[2]!)) {
    return [{ op: 'addr', cidr: rest[0]!, dev: rest[2]! }];
  }
  if (obj === 'route' && verb === 'add' && rest.length >= 1) {
    const [to, ...opts] = rest;
    if (to !== 'default' && !CIDR.test(to!)) return undefined;
    const route: NetnsOp & { op: 'route' } = { op: 'route', to: to! };
    for (let i = 0; i < opts.length; i += 2) {
      const [key, value] = [opts[i], opts[i + 1]];
      if (value === undefined) return undefined;
      if (key === 'via' && !route.via && CIDR.test(value) && !value.includes('/')) route.via = value;
      else if (key === 'dev' && !route.dev && isValidName('interface', value)) route.dev = value;
      else return undefined;
    }
    return [route];
  }
  return undefined;
}

/** `sysctl -q -w K=V ...` (what plan.ts runs in a lab host) */
function sysctlOps(argv: readonly string[]): NetnsOp[] | undefined {
  const [tool, q, w, ...kv] = argv;
  if (tool !== 'sysctl' || q !== '-q' || w !== '-w' || kv.length === 0) return undefined;
  const ops: NetnsOp[] = [];
  for (const pair of kv) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (eq < 0 || !SYSCTL_KEY.test(key) || value.includes('\0')) return undefined;
    ops.push({ op: 'sysctl', key, value });
  }
  return ops;
}

const fields = (op: NetnsOp): string[] => {
  switch (op.op) {
    case 'up':
      return ['up', op.dev];
    case 'alias':
      return ['alias', op.dev, op.text];
    case 'addr':
      return ['addr', op.dev, op.cidr];
    case 'route':
      return ['route', op.to, op.via ?? '', op.dev ?? ''];
    case 'sysctl':
      return ['sysctl', op.key, op.value];
    case 'veth':
      return ['veth', op.dev, op.master ?? '', op.up ? 'up' : '', op.peer, op.peerAddress ?? '', op.peerPid === undefined ? '' : String(op.peerPid)];
    case 'nftelem':
      return ['nftelem', op.verb, String(op.family), op.table, op.set, op.key, op.comment];
    case 'dellink':
      return ['dellink', op.dev];
    case 'release':
      return ['release', op.path, op.id];
  }
};

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/**
 * A container's cable, `ip link add DEV [master BR] [up] type veth peer name PEER [address MAC]
 * [netns PID]` (links.ts vethPair), as the addon's one RTM_NEWLINK; undefined for any other
 * form (a lab's cables, with named namespaces, stay with `ip`).
 */
export function vethOp(args: readonly string[]): (NetnsOp & { op: 'veth' }) | undefined {
  if (!args.every(plain)) return undefined;
  const [obj, verb, dev, ...rest] = args;
  if (obj !== 'link' || verb !== 'add' || !dev || !isValidName('interface', dev)) return undefined;
  const op: NetnsOp & { op: 'veth' } = { op: 'veth', dev, up: false, peer: '' };
  let i = 0;
  for (; rest[i] !== 'type'; i++) {
    if (rest[i] === 'master' && op.master === undefined && rest[i + 1] && isValidName('interface', rest[i + 1]!)) op.master = rest[++i];
    else if (rest[i] === 'up' && !op.up) op.up = true;
    else return undefined;
  }
  if (rest[i + 1] !== 'veth' || rest[i + 2] !== 'peer' || rest[i + 3] !== 'name' || !rest[i + 4] || !isValidName('interface', rest[i + 4]!)) return undefined;
  op.peer = rest[i + 4]!;
  for (i += 5; i < rest.length; i += 2) {
    const [key, value] = [rest[i], rest[i + 1]];
    if (key === 'address' && op.peerAddress === undefined && value && MAC.test(value)) op.peerAddress = value;
    else if (key === 'netns' && op.peerPid === undefined && value && /^[1-9]\d{0,9}$/.test(value)) op.peerPid = Number(value);
    else return undefined;
  }
  return op;
}

/** One field of a set element's key: an interface name (quoted), a MAC or an IPv4 address. */
const KEY_FIELD = [
  { re: /^"([^"]+)"$/, bytes: (m: RegExpExecArray): Buffer | undefined => (isValidName('interface', m[1]!) ? Buffer.concat([Buffer.from(m[1]!, 'latin1'), Buffer.alloc(16 - m[1]!.length)]) : undefined) },
  { re: MAC, bytes: (m: RegExpExecArray): Buffer => Buffer.concat([Buffer.from(m[0].split(':').map((x) => parseInt(x, 16))), Buffer.alloc(2)]) },
  { re: /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, bytes: (m: RegExpExecArray): Buffer | undefined => (m[0].split('.').every((o) => Number(o) < 256) ? Buffer.from(m[0].split('.').map(Number)) : undefined) },
];

/** A field's bytes as the kernel keeps a concatenation: each padded to 4 bytes (an interface
 * name is IFNAMSIZ, 16, NUL-padded; a MAC 6 + 2; an IPv4 address 4, network order). */
function keyField(text: string): Buffer | undefined {
  for (const f of KEY_FIELD) {
    const m = f.re.exec(text);
    if (m) return f.bytes(m);
  }
  return undefined;
}

/**
 * `nft add|delete element FAMILY TABLE SET '{ KEY [comment "TEXT"] }'` (a port's element,
 * antispoof.ts) as the addon's NEWSETELEM/DELSETELEM; undefined for any other nft command.
 * A delete carries no comment (nft matches elements by key alone).
 */
export function nftElementOp(args: readonly string[]): NetnsOp[] | undefined {
  const [verb, what, family, table, set, body, ...extra] = args;
  if ((verb !== 'add' && verb !== 'delete') || what !== 'element' || extra.length || !family || !(family in NFPROTO)) return undefined;
  if (!table || !set || !isValidName('interface', set) || !/^[A-Za-z0-9_.-]{1,64}$/.test(table) || body === undefined) return undefined;
  const m = /^\{ (.+?)(?: comment "([^"\\]{1,128})")? \}$/.exec(body);
  if (!m || (verb === 'delete' && m[2] !== undefined)) return undefined;
  const key = m[1]!.split(' . ').map(keyField);
  if (key.some((k) => k === undefined) || key.length > 4) return undefined;
  return [{ op: 'nftelem', verb, family: NFPROTO[family]!, table, set, key: Buffer.concat(key as Buffer[]).toString('hex'), comment: m[2] ?? '' }];
}

/** the host's network namespace, as the addon's child (forked by minictr) sees it */
const HOST_NETNS = '/proc/self/ns/net';

/** The program netnsApply runs: NUL-terminated fields, a `netns PATH` record before each namespace's ops. */
export function encodeProgram(jobs: readonly { path: string; ops: readonly NetnsOp[] }[]): Buffer {
  const out: string[] = [];
  for (const j of jobs) out.push('netns', j.path, ...j.ops.flatMap(fields));
  return Buffer.from(out.map((f) => `${f}\0`).join(''), 'utf8');
}

/** Split namespaces into at most n runs of about equal size, in order. */
export function chunks<T>(items: readonly T[], n: number): T[][] {
  const size = Math.ceil(items.length / Math.max(1, n));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface NetnsApplyError extends Error {
  op?: number;
  reason?: string;
}

/** A failure of an operation the addon ran for an action: its line, what `ip`/`nft` would
 * have said, and the action (a caller may do that part another way). */
export class NetnsOpError extends CommandError {
  constructor(
    readonly action: NetnsAction,
    reason: string,
  ) {
    super(equivalent(action), reason);
  }
}

/** One child for these namespaces' actions, in order; a failure names the action it came from. */
async function applyInChild(part: readonly (readonly [string, NetnsAction[]])[]): Promise<void> {
  const owner: NetnsAction[] = [];
  const jobs = part.map(([ns, list]) => ({
    path: ns === '' ? HOST_NETNS : `${NETNS_DIR}/${ns}`,
    ops: list.flatMap((a) => {
      const ops = netnsOps(a)!;
      for (let i = 0; i < ops.length; i++) owner.push(a);
      return ops;
    }),
  }));
  try {
    // the host's alone: done in the addon's worker thread, no child to fork (nor setns)
    await native().netnsApply(encodeProgram(jobs), part.length === 1 && part[0]![0] === '' ? 'inplace' : undefined);
  } catch (err) {
    const e = err as NetnsApplyError;
    // op: the failed operation; a namespace that could not be entered reports its first one
    const failed = (e.op !== undefined && e.op >= 0 ? owner[e.op] : undefined) ?? owner[0]!;
    throw new NetnsOpError(failed, e.reason ?? e.message);
  }
}

/**
 * Run actions netnsOps accepts: the host's first (they make what the namespaces' then
 * configure, as runBatches does), then the named namespaces, in order within a child, one
 * child per CPU (two at most: the requests take rtnl, one lock for the whole machine). A
 * failure names the `ip` or `nft` line of the action it came from, with what that tool would
 * have said.
 */
export async function runInNamespaces(actions: readonly NetnsAction[]): Promise<void> {
  if (actions.length === 0) return;
  const byNs = byNamespace(actions);
  const host = byNs.get('');
  if (host) await applyInChild([['', host]]);
  byNs.delete('');
  if (byNs.size === 0) return;
  const workers = Math.min(2, availableParallelism());
  const results = await Promise.allSettled(chunks([...byNs], workers).map(applyInChild));
  // every child has finished before anyone rolls back what they made
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Actions of the host's namespace (netnsOps' forms), then more operations, as the program of
 * a --rm run's cleaner (native cleanAfterExit), which the caller does not wait for: what the
 * user need not wait for (a --rm container's port elements, whose delete waits for an RCU
 * grace period, its host end, then its address lease, in that order). Nothing is reported;
 * what it did not do is found by the next command (system prune: a lease of a container that
 * is gone).
 */
export function hostProgram(actions: readonly NetnsAction[], then: readonly NetnsOp[]): Buffer {
  const ops = actions.map((a) => {
    const o = a.ns === undefined ? netnsOps(a) : undefined;
    if (!o) throw new CommandError(equivalent(a), 'not an operation of the host\'s namespace the addon does');
    return o;
  });
  return encodeProgram([{ path: HOST_NETNS, ops: [...ops.flat(), ...then] }]);
}

/** What `net down` asks of a namespace before it removes it (down.ts namespaceVerdict). */
export interface LoopbackFacts {
  /** links in the namespace */
  links: number;
  loUp: boolean;
  /** lo's alias ('' when it has none) */
  loAlias: string;
  loAddresses: number;
}

/**
 * Each named namespace's loopback facts, one C child for all of them (an `ip -n NS -d -j addr
 * show` each was 200 processes for a 200-host lab); undefined for one that cannot be read.
 */
export async function inspectNamespaces(names: readonly string[]): Promise<(LoopbackFacts | undefined)[]> {
  if (names.length === 0) return [];
  const answers = await native().netnsInspect(names.map((n) => `${NETNS_DIR}/${n}`));
  return answers.map((a) => ('errno' in a ? undefined : a));
}
