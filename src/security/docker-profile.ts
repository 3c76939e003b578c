/**
 * Seccomp profiles in Docker's JSON format (moby's profiles/seccomp/default.json, podman's
 * /usr/share/containers/seccomp.json, `docker run --security-opt seccomp=FILE`) turned into
 * the OCI runtime-spec's linux.seccomp for one container, as Docker does it when it creates
 * a container (moby's profiles/seccomp/seccomp_linux.go):
 *   - archMap: the entry of this machine's architecture gives the filter's architectures
 *     (x86_64 with its i386 and x32 ABIs); `architectures` (OCI's own field) is taken as it is;
 *   - syscalls[]: a rule is kept only if its conditions hold for this container:
 *       includes.caps     every one of them is in the container's capabilities
 *       includes.arches   this machine's architecture (Go's names: amd64, arm64, ...) is listed
 *       includes.minKernel  this kernel is at least that version ("4.8")
 *       excludes.*        the rule is dropped if any of them holds
 *     and loses its `comment`, `includes` and `excludes`; `name` (one syscall) becomes `names`;
 *   - defaultAction, defaultErrnoRet, flags carry over.
 * A profile already in OCI's shape is in Docker's format too (no archMap, no conditions), so
 * every --security-opt seccomp=FILE comes through here. The result is checked as the rest of
 * config.json is (src/spec/parse.ts); the compiler (./seccomp.ts) then judges the names.
 * Pure: the machine (architecture, kernel release) comes in as arguments.
 */
import { readFileSync } from 'node:fs';
import { machine, release } from 'node:os';
import { UsageError } from '../errors.js';
import type { OciSeccomp, OciSeccompSyscall } from '../spec/config.js';
import { parseSeccomp } from '../spec/parse.js';
import { besideModule } from '../util/module-path.js';

export interface DockerSeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface DockerSeccompSyscall extends Partial<OciSeccompSyscall> {
  name?: string;
  errno?: string;
  comment?: string;
  includes?: DockerSeccompFilter;
  excludes?: DockerSeccompFilter;
}

export interface DockerSeccompProfile extends Omit<OciSeccomp, 'syscalls'> {
  archMap?: { architecture: string; subArchitectures?: string[] | null }[];
  syscalls?: DockerSeccompSyscall[];
  /** containers-common writes the errno's name next to defaultErrnoRet (and errno next to
   * errnoRet): they must agree */
  defaultErrno?: string;
}

/** The machine as Docker's conditions name it. */
export interface SeccompTarget {
  /** the container's capabilities (its bounding set), CAP_ names */
  capabilities: readonly string[];
  /** uname -m (os.machine()); default: this machine's */
  machine?: string;
  /** uname -r (os.release()); default: this kernel's */
  kernel?: string;
}

/** uname -m -> libseccomp's architecture name, and Go's (GOARCH, which Docker's arches use). */
const ARCHES: Record<string, { scmp: string; go: string }> = {
  x86_64: { scmp: 'SCMP_ARCH_X86_64', go: 'amd64' },
  i386: { scmp: 'SCMP_ARCH_X86', go: '386' },
  i686: { scmp: 'SCMP_ARCH_X86', go: '386' },
  aarch64: { scmp: 'SCMP_ARCH_AARCH64', go: 'arm64' },
  armv7l: { scmp: 'SCMP_ARCH_ARM', go: 'arm' },
  armv8l: { scmp: 'SCMP_ARCH_ARM', go: 'arm' },
  ppc64le: { scmp: 'SCMP_ARCH_PPC64LE', go: 'ppc64le' },
  ppc64: { scmp: 'SCMP_ARCH_PPC64', go: 'ppc64' },
  s390x: { scmp: 'SCMP_ARCH_S390X', go: 's390x' },
  riscv64: { scmp: 'SCMP_ARCH_RISCV64', go: 'riscv64' },
  mips64: { scmp: 'SCMP_ARCH_MIPS64', go: 'mips64' },
  loongarch64: { scmp: 'SCMP_ARCH_LOONGARCH64', go: 'loong64' },
};

/** The errno names containers-common's defaultErrno uses, with their numbers. */
const ERRNO: Record<string, number> = { EPERM: 1, ENOENT: 2, EACCES: 13, EINVAL: 22, ENOSYS: 38 };

const PROFILE_KEYS = ['defaultAction', 'defaultErrnoRet', 'defaultErrno', 'architectures', 'archMap', 'flags', 'listenerPath', 'listenerMetadata', 'syscalls'];
const SYSCALL_KEYS = ['names', 'name', 'action', 'errnoRet', 'errno', 'args', 'comment', 'includes', 'excludes'];
const FILTER_KEYS = ['caps', 'arches', 'minKernel'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(o: Record<string, unknown>, known: string[], where: string): void {
  const extra = Object.keys(o).find((k) => !known.includes(k));
  if (extra !== undefined) throw new UsageError(`${where ? `${where}.` : ''}${extra}: unknown field (known: ${known.join(', ')})`);
}

function strings(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new UsageError(`${where}: expected a list of strings`);
  return v as string[];
}

/** "4.8", "5.10.0-rc1", "6.18.44-fc-v857" -> [major, minor] */
function kernelVersion(v: string, where: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) throw new UsageError(`${where}: "${v}" is not a kernel version like 4.8`);
  return [Number(m[1]), Number(m[2])];
}

const atLeast = (kernel: [number, number], min: [number, number]): boolean => kernel[0] > min[0] || (kernel[0] === min[0] && kernel[1] >= min[1]);

/** containers-common's errno names ("errno": "EPERM" next to "errnoRet": 1): they must agree. */
function errnoNumber(name: unknown, ret: unknown, where: string, key: string, retKey: string): number {
  const field = where ? `${where}.${key}` : key;
  const n = typeof name === 'string' ? ERRNO[name] : undefined;
  if (n === undefined) throw new UsageError(`${field}: "${String(name)}" is not one of ${Object.keys(ERRNO).join(', ')}`);
  if (ret !== undefined && ret !== n) throw new UsageError(`${field}: ${String(name)} is ${n}, but ${retKey} says ${String(ret)}`);
  return n;
}

interface Machine {
  scmp: string;
  go: string;
  kernel: [number, number];
  caps: Set<string>;
}

interface Filter {
  caps: string[];
  arches: string[];
  minKernel?: [number, number];
}

function readFilter(f: unknown, where: string): Filter | undefined {
  if (f === undefined || f === null) return undefined;
  if (!isObject(f)) throw new UsageError(`${where}: expected an object { caps, arches, minKernel }`);
  onlyKeys(f, FILTER_KEYS, where);
  if (f.minKernel !== undefined && f.minKernel !== null && typeof f.minKernel !== 'string') throw new UsageError(`${where}.minKernel: expected a string like "4.8"`);
  return {
    caps: strings(f.caps, `${where}.caps`),
    arches: strings(f.arches, `${where}.arches`),
    ...(typeof f.minKernel === 'string' ? { minKernel: kernelVersion(f.minKernel, `${where}.minKernel`) } : {}),
  };
}

/** Docker's rule for one syscall entry, in OCI's shape, and whether this container keeps it:
 * every includes condition holds and no excludes condition does. */
function convertSyscall(raw: unknown, where: string, m: Machine): { rule: OciSeccompSyscall; keep: boolean } {
  if (!isObject(raw)) throw new UsageError(`${where}: expected an object`);
  onlyKeys(raw, SYSCALL_KEYS, where);
  if (raw.name !== undefined && raw.names !== undefined) throw new UsageError(`${where}: use either "name" or "names"`);
  if (raw.name !== undefined && typeof raw.name !== 'string') throw new UsageError(`${where}.name: expected a string`);
  const ex = readFilter(raw.excludes, `${where}.excludes`);
  const inc = readFilter(raw.includes, `${where}.includes`);
  const excluded = !!ex && (ex.arches.includes(m.go) || ex.caps.some((c) => m.caps.has(c)) || (!!ex.minKernel && atLeast(m.kernel, ex.minKernel)));
  const included = !inc || ((!inc.arches.length || inc.arches.includes(m.go)) && inc.caps.every((c) => m.caps.has(c)) && (!inc.minKernel || atLeast(m.kernel, inc.minKernel)));
  const { name, errno, comment: _c, includes: _i, excludes: _e, ...rule } = raw;
  if (errno !== undefined) rule.errnoRet = errnoNumber(errno, raw.errnoRet, where, 'errno', 'errnoRet');
  return { rule: { ...(typeof name === 'string' ? { names: [name] } : {}), ...rule } as unknown as OciSeccompSyscall, keep: included && !excluded };
}

/** A Docker-format (or OCI) profile, for this container and machine, as OCI linux.seccomp.
 * where names the profile in messages: "--security-opt seccomp=FILE: syscalls[3].action: ...". */
export function toOciSeccomp(profile: unknown, target: SeccompTarget, where = 'seccomp profile'): OciSeccomp {
  try {
    return convertProfile(profile, target);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${where}: ${e.message}`);
    throw e;
  }
}

/** The conversion; messages name fields from the profile's top ("syscalls[3].includes"). */
function convertProfile(profile: unknown, target: SeccompTarget): OciSeccomp {
  if (!isObject(profile)) throw new UsageError('expected a JSON object');
  onlyKeys(profile, PROFILE_KEYS, '');
  const mach = target.machine ?? machine();
  const arch = ARCHES[mach] ?? { scmp: `SCMP_ARCH_${mach.toUpperCase()}`, go: mach };
  const m: Machine = { ...arch, kernel: kernelVersion(target.kernel ?? release(), 'the kernel release'), caps: new Set(target.capabilities) };
  const { archMap, defaultErrno, syscalls, ...rest } = profile;
  const architectures = [...strings(profile.architectures, 'architectures')];
  if (archMap !== undefined && archMap !== null) {
    if (architectures.length) throw new UsageError('both architectures and archMap are given: use one of them');
    if (!Array.isArray(archMap)) throw new UsageError('archMap: expected a list of { architecture, subArchitectures }');
    archMap.forEach((a: unknown, i) => {
      const here = `archMap[${i}]`;
      if (!isObject(a) || typeof a.architecture !== 'string') throw new UsageError(`${here}: expected { architecture, subArchitectures }`);
      onlyKeys(a, ['architecture', 'subArchitectures'], here);
      if (a.architecture === m.scmp) architectures.push(a.architecture, ...strings(a.subArchitectures, `${here}.subArchitectures`));
    });
  }
  if (defaultErrno !== undefined) rest.defaultErrnoRet = errnoNumber(defaultErrno, profile.defaultErrnoRet, '', 'defaultErrno', 'defaultErrnoRet');
  if (syscalls !== undefined && syscalls !== null && !Array.isArray(syscalls)) throw new UsageError('syscalls: expected a list');
  const rules = ((syscalls ?? []) as unknown[]).map((s, i) => convertSyscall(s, `syscalls[${i}]`, m));
  const shaped = { ...rest, ...(architectures.length ? { architectures } : {}) };
  // every rule is checked, kept or not, under its own index in the file; the check is of
  // shape only, field by field and rule by rule, so the kept rules (some of those checked)
  // need no second one
  const { syscalls: _checked, ...top } = parseSeccomp({ ...shaped, ...(rules.length ? { syscalls: rules.map((r) => r.rule) } : {}) }, '');
  const kept = rules.filter((r) => r.keep).map((r) => r.rule);
  return kept.length ? { ...top, syscalls: kept } : top;
}

/** The compiler names fields below linux.seccomp; for a profile file, below the file. */
export function renameSeccompError(e: unknown, where: string): unknown {
  if (!(e instanceof UsageError)) return e;
  return new UsageError(`${where}: ${e.message.replace(/^linux\.seccomp\.?/, '')}`);
}

/** minictr's default profile, Docker's (profiles/seccomp-default.json, see profiles/README.md). */
export const DEFAULT_PROFILE_PATH = besideModule(import.meta.url, '..', '..', 'profiles', 'seccomp-default.json');

let defaultProfile: DockerSeccompProfile | undefined;

export function defaultSeccompProfile(): DockerSeccompProfile {
  defaultProfile ??= JSON.parse(readFileSync(DEFAULT_PROFILE_PATH, 'utf8')) as DockerSeccompProfile;
  return defaultProfile;
}

/** --security-opt seccomp=FILE: the file's JSON, in Docker's format or OCI's. */
export function readSeccompFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--security-opt seccomp=${path}: cannot read the profile: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--security-opt seccomp=${path}: not JSON: ${(e as Error).message}`);
  }
}
