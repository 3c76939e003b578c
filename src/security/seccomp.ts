/**
 * Seccomp: which system calls a container may make, as the OCI runtime-spec's linux.seccomp
 * object (what podman writes into config.json). The addon compiles it into a classic BPF
 * program with libseccomp, in this process and without side effects (native/src/seccomp.c). The container's child loads those bytes with seccomp(2)
 * as its very last step before execve, so the filter covers the command and nothing before it.
 *
 * The profile's shape is checked with the rest of config.json (src/spec/parse.ts); the addon
 * checks it again as it reads it, and judges the names (actions, operators, architectures,
 * flags, ranges), with one-line "field: problem" messages. A syscall name libseccomp does not
 * know is skipped, as runc does: profiles list the syscalls of many kernels and architectures.
 */
import { MinictrError, UsageError } from '../errors.js';
import { native, type NativeSeccompFilter } from '../native/index.js';
import type { OciSeccomp } from '../spec/config.js';
import { parseSeccomp } from '../spec/parse.js';

export type { OciSeccomp, OciSeccompAction, OciSeccompArg, OciSeccompFlag, OciSeccompOperator, OciSeccompSyscall } from '../spec/config.js';

export interface CompiledSeccomp {
  /** the BPF program, struct sock_filter[], for seccomp(SECCOMP_SET_MODE_FILTER) */
  filter: Buffer;
  /** SECCOMP_FILTER_FLAG_* word for the same call */
  flags: number;
  /** how many syscalls (of this machine's architecture) got an ALLOW rule */
  allowed: number;
  defaultAction: string;
  /** SCMP_ACT_ERRNO: the errno every other call gets (EPERM unless the profile says) */
  defaultErrnoRet?: number;
}

/** Compile a profile to BPF in this process. Bad profiles: UsageError naming the field. */
export function compileSeccomp(profile: OciSeccomp): CompiledSeccomp {
  parseSeccomp(profile);
  let filter: NativeSeccompFilter;
  try {
    filter = native().compileSeccomp(profile);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if ((e as { code?: unknown }).code === 'ERR_SECCOMP_PROFILE') throw new UsageError(message);
    throw new MinictrError(message);
  }
  const errno = profile.defaultAction === 'SCMP_ACT_ERRNO' ? { defaultErrnoRet: profile.defaultErrnoRet ?? 1 } : {};
  return { filter, flags: filter.flags, allowed: filter.allowed, defaultAction: profile.defaultAction, ...errno };
}

const ERRNO_NAMES: Record<number, string> = { 1: 'EPERM', 13: 'EACCES', 22: 'EINVAL', 38: 'ENOSYS' };

/** The teaching line: "seccomp: 310 syscalls allowed, default SCMP_ACT_ERRNO (EPERM)". */
export function describeSeccomp(c: CompiledSeccomp): string {
  const errno = c.defaultErrnoRet === undefined ? '' : ` (${ERRNO_NAMES[c.defaultErrnoRet] ?? `errno ${c.defaultErrnoRet}`})`;
  return `seccomp: ${c.allowed} syscall${c.allowed === 1 ? '' : 's'} allowed, default ${c.defaultAction}${errno}`;
}
