/**
 * Compiled seccomp filters, cached by content under MINICTR_ROOT/cache/seccomp: every
 * `run` with Docker's default profile compiles the same ~400 BPF instructions (libseccomp
 * twice and the check of native/src/seccomp-short.c: ~35-40 ms at load 8, ~13 before), so the bytes are kept by the hash of
 * what they were compiled from: the profile, the architecture, and this build of the addon
 * (its libseccomp). A cache file is written beside its name and renamed into place (never
 * seen half-written), and used only when it is a regular file of ours that nobody else may
 * write, its key is the one asked for, and its filter's sha256 is the one recorded with it:
 * anything else (a crash mid-write, a bad disk, a hand edit) is ignored and compiled again.
 * The cache is an optimisation only: a cache that cannot be read or written is never an error.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, constants } from 'node:fs';
import { join } from 'node:path';
import { addonPath, native } from '../native/index.js';
import { stateRoot } from '../paths.js';
import type { OciSeccomp } from '../spec/config.js';
import { compileSeccomp, type CompiledSeccomp } from './seccomp.js';

const FORMAT = 1;

export function seccompCacheDir(): string {
  return join(stateRoot(), 'cache', 'seccomp');
}

// the addon's, not node:crypto's: that module and the ~20 it loads were ~2 ms of every run
const sha256 = (data: string | Buffer): string => native().sha256Hex(data);

/** What the filter depends on: the profile's JSON, the architecture, the addon's build. */
export function seccompCacheKey(profile: OciSeccomp): string {
  let build = 'unknown';
  try {
    const st = statSync(addonPath());
    build = `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    /* no addon: compileSeccomp fails anyway */
  }
  return sha256(JSON.stringify({ format: FORMAT, arch: process.arch, build, profile }));
}

interface CacheEntry {
  format: number;
  key: string;
  sha256: string;
  flags: number;
  allowed: number;
  defaultAction: string;
  defaultErrnoRet?: number;
  filter: string;
}

function readEntry(file: string, key: string): CompiledSeccomp | undefined {
  let fd = -1;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    const uid = process.getuid?.() ?? 0;
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o022) !== 0 || st.size > 1 << 20) return undefined;
    const e = JSON.parse(readFileSync(fd, 'utf8')) as Partial<CacheEntry>;
    if (e.format !== FORMAT || e.key !== key || typeof e.filter !== 'string' || typeof e.sha256 !== 'string') return undefined;
    if (typeof e.flags !== 'number' || typeof e.allowed !== 'number' || typeof e.defaultAction !== 'string') return undefined;
    const filter = Buffer.from(e.filter, 'base64');
    if (filter.length === 0 || filter.length % 8 !== 0 || sha256(filter) !== e.sha256) return undefined;
    return { filter, flags: e.flags, allowed: e.allowed, defaultAction: e.defaultAction, ...(typeof e.defaultErrnoRet === 'number' ? { defaultErrnoRet: e.defaultErrnoRet } : {}) };
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function writeEntry(dir: string, file: string, key: string, c: CompiledSeccomp): void {
  const entry: CacheEntry = { format: FORMAT, key, sha256: sha256(c.filter), flags: c.flags, allowed: c.allowed, defaultAction: c.defaultAction, ...(c.defaultErrnoRet !== undefined ? { defaultErrnoRet: c.defaultErrnoRet } : {}), filter: Buffer.from(c.filter).toString('base64') };
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      /* not made */
    }
  }
}

/** compileSeccomp, with the compiled filter kept by content hash (see above). A profile
 * compileSeccomp refuses is refused the same way (it is never cached). dir: the cache's
 * directory (tests give their own). */
export function compileSeccompCached(profile: OciSeccomp, dir: string = seccompCacheDir()): CompiledSeccomp & { cached: boolean } {
  const key = seccompCacheKey(profile);
  const file = join(dir, `${key}.json`);
  const hit = readEntry(file, key);
  if (hit) return { ...hit, cached: true };
  const compiled = compileSeccomp(profile);
  writeEntry(dir, file, key, compiled);
  return { ...compiled, cached: false };
}
