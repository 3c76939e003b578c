/**
 * Seccomp: which system calls a container may make, as the OCI runtime-spec's linux.seccomp
 * object (what podman writes into config.json). The profile's shape is checked here; the addon
 * then compiles it into a classic BPF program with libseccomp, in this process and without
 * side effects (native/src/seccomp.c). The container's child loads those bytes with seccomp(2)
 * as its very last step before execve, so the filter covers the command and nothing before it.
 *
 * Names the addon judges (actions, operators, architectures, flags, ranges) are checked there,
 * with the same one-line "field: problem" messages. A syscall name libseccomp does not know is
 * skipped, as runc does: profiles list the syscalls of many kernels and architectures.
 */
import { MinictrError, UsageError } from '../errors.js';
import { native, type NativeSeccompFilter } from '../native/index.js';
import type { OciSeccomp } from '../oci/spec.js';

export type { OciSeccomp, OciSeccompAction, OciSeccompArg, OciSeccompFlag, OciSeccompOperator, OciSeccompSyscall } from '../oci/spec.js';

export interface CompiledSeccomp {
  /** the BPF program, struct sock_filter[], for seccomp(SECCOMP_SET_MODE_FILTER) */
  filter: Buffer;
  /** SECCOMP_FILTER_FLAG_* word for the same call */
  flags: number;
  /** how many syscalls (of this machine's architecture) got an ALLOW rule */
  allowed: number;
  defaultAction: string;
}

const PROFILE_KEYS = ['defaultAction', 'defaultErrnoRet', 'architectures', 'flags', 'listenerPath', 'listenerMetadata', 'syscalls'];
const SYSCALL_KEYS = ['names', 'action', 'errnoRet', 'args'];
const ARG_KEYS = ['index', 'value', 'valueTwo', 'op'];

/** Check a linux.seccomp object's shape (types and known keys); null counts as absent. */
export function validateSeccomp(value: unknown): OciSeccomp {
  const where = 'linux.seccomp';
  const p = object(value, where, PROFILE_KEYS);
  required(p, 'defaultAction', where);
  string(p.defaultAction, `${where}.defaultAction`);
  optional(p.defaultErrnoRet, (v) => whole(v, `${where}.defaultErrnoRet`));
  optional(p.architectures, (v) => strings(v, `${where}.architectures`));
  optional(p.flags, (v) => strings(v, `${where}.flags`));
  optional(p.listenerPath, (v) => string(v, `${where}.listenerPath`));
  optional(p.listenerMetadata, (v) => string(v, `${where}.listenerMetadata`));
  optional(p.syscalls, (v) => {
    array(v, `${where}.syscalls`).forEach((s, i) => {
      const at = `${where}.syscalls[${i}]`;
      const sc = object(s, at, SYSCALL_KEYS);
      required(sc, 'names', at);
      if (strings(sc.names, `${at}.names`).length === 0) throw new UsageError(`${at}.names: must list at least one syscall`);
      required(sc, 'action', at);
      string(sc.action, `${at}.action`);
      optional(sc.errnoRet, (v) => whole(v, `${at}.errnoRet`));
      optional(sc.args, (v) => {
        array(v, `${at}.args`).forEach((a, j) => {
          const aat = `${at}.args[${j}]`;
          const arg = object(a, aat, ARG_KEYS);
          required(arg, 'index', aat);
          whole(arg.index, `${aat}.index`);
          required(arg, 'value', aat);
          uint64(arg.value, `${aat}.value`);
          optional(arg.valueTwo, (x) => uint64(x, `${aat}.valueTwo`));
          required(arg, 'op', aat);
          string(arg.op, `${aat}.op`);
        });
      });
    });
  });
  return value as OciSeccomp;
}

/** Compile a profile to BPF in this process. Bad profiles: UsageError naming the field. */
export function compileSeccomp(profile: OciSeccomp): CompiledSeccomp {
  validateSeccomp(profile);
  let filter: NativeSeccompFilter;
  try {
    filter = native().compileSeccomp(profile);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if ((e as { code?: unknown }).code === 'ERR_SECCOMP_PROFILE') throw new UsageError(message);
    throw new MinictrError(message);
  }
  return { filter, flags: filter.flags, allowed: filter.allowed, defaultAction: profile.defaultAction };
}

/** The teaching line: "seccomp: 310 syscalls allowed, default SCMP_ACT_ERRNO". */
export function describeSeccomp(c: CompiledSeccomp): string {
  return `seccomp: ${c.allowed} syscall${c.allowed === 1 ? '' : 's'} allowed, default ${c.defaultAction}`;
}

// ---------- shape checks: each throws a UsageError that names the field ----------

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'object' ? 'an object' : `a ${t}`;
}

function object(v: unknown, where: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${where}: must be an object, not ${kind(v)}`);
  for (const k of Object.keys(v)) {
    if (!keys.includes(k)) throw new UsageError(`${where}.${k}: unknown field (known: ${keys.join(', ')})`);
  }
  return v as Record<string, unknown>;
}

function required(o: Record<string, unknown>, key: string, where: string): void {
  if (o[key] === undefined || o[key] === null) throw new UsageError(`${where}.${key}: missing`);
}

function optional(v: unknown, check: (v: unknown) => unknown): void {
  if (v !== undefined && v !== null) check(v);
}

function string(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new UsageError(`${where}: must be a string, not ${kind(v)}`);
  return v;
}

function array(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new UsageError(`${where}: must be an array, not ${kind(v)}`);
  return v;
}

function strings(v: unknown, where: string): string[] {
  return array(v, where).map((s, i) => string(s, `${where}[${i}]`));
}

function whole(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new UsageError(`${where}: must be a whole number >= 0, not ${typeof v === 'number' ? v : kind(v)}`);
  }
  return v;
}

function uint64(v: unknown, where: string): void {
  if (typeof v === 'bigint') {
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new UsageError(`${where}: must be 0 to 2^64-1, not ${v}`);
    return;
  }
  if (typeof v === 'number' && v > Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
    throw new UsageError(`${where}: ${v} is above 2^53 and not exact as a number: use a bigint`);
  }
  whole(v, where);
}
