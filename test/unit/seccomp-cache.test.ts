/**
 * The cache of compiled seccomp filters (src/security/seccomp-cache.ts): a hit gives the very
 * filter libseccomp compiles, and a cache file that is not exactly what minictr wrote
 * (tampered bytes, a forged hash, half-written, writable by others, another profile's) is
 * ignored and compiled again. The addon compiles in this process, without side effects.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { compileSeccomp } from '../../src/security/seccomp.js';
import { compileSeccompCached, seccompCacheKey } from '../../src/security/seccomp-cache.js';
import type { OciSeccomp } from '../../src/spec/config.js';

const scratch = mkdtempSync(join(tmpdir(), 'minictr-unit-seccomp-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(scratch, `c${n++}`);

const profile: OciSeccomp = {
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [{ names: ['read', 'write', 'exit_group', 'execve'], action: 'SCMP_ACT_ALLOW' }],
};

const same = (a: ReturnType<typeof compileSeccomp>, b: ReturnType<typeof compileSeccomp>): void => {
  expect(Buffer.compare(Buffer.from(a.filter), Buffer.from(b.filter))).toBe(0);
  expect({ flags: a.flags, allowed: a.allowed, defaultAction: a.defaultAction, defaultErrnoRet: a.defaultErrnoRet }).toEqual({ flags: b.flags, allowed: b.allowed, defaultAction: b.defaultAction, defaultErrnoRet: b.defaultErrnoRet });
};

const entryFile = (dir: string): string => {
  const files = readdirSync(dir);
  expect(files).toEqual([`${seccompCacheKey(profile)}.json`]);
  return join(dir, files[0]!);
};

describe('seccomp filter cache', () => {
  it('a miss compiles and stores; a hit gives the same filter as a fresh compile', () => {
    const dir = freshDir();
    const first = compileSeccompCached(profile, dir);
    expect(first.cached).toBe(false);
    const second = compileSeccompCached(profile, dir);
    expect(second.cached).toBe(true);
    const fresh = compileSeccomp(profile);
    same(second, fresh);
    same(first, fresh);
    expect(fresh.filter.length).toBeGreaterThan(0);
  });

  it('another profile is another key: never the first profile\'s filter', () => {
    const dir = freshDir();
    compileSeccompCached(profile, dir);
    const other: OciSeccomp = { ...profile, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
    expect(seccompCacheKey(other)).not.toBe(seccompCacheKey(profile));
    const got = compileSeccompCached(other, dir);
    expect(got.cached).toBe(false);
    same(got, compileSeccomp(other));
  });

  const tampered: [string, (file: string) => void][] = [
    ['filter bytes changed (hash kept)', (f) => {
      const e = JSON.parse(readFileSync(f, 'utf8')) as { filter: string };
      const b = Buffer.from(e.filter, 'base64');
      b[b.length - 4]! ^= 0xff; // the last instruction's k: the default action's return value
      writeFileSync(f, JSON.stringify({ ...e, filter: b.toString('base64') }));
    }],
    ['hash replaced to match other bytes', (f) => {
      const e = JSON.parse(readFileSync(f, 'utf8')) as { filter: string };
      writeFileSync(f, JSON.stringify({ ...e, filter: Buffer.alloc(8).toString('base64') }));
    }],
    ['half-written', (f) => writeFileSync(f, readFileSync(f, 'utf8').slice(0, 100))],
    ['writable by others', (f) => chmodSync(f, 0o666)],
    ['another key inside', (f) => {
      const e = JSON.parse(readFileSync(f, 'utf8')) as { key: string };
      writeFileSync(f, JSON.stringify({ ...e, key: '0'.repeat(64) }));
    }],
  ];
  for (const [what, tamper] of tampered) {
    it(`a cache file ${what} is ignored and rebuilt`, () => {
      const dir = freshDir();
      compileSeccompCached(profile, dir);
      const file = entryFile(dir);
      tamper(file);
      const got = compileSeccompCached(profile, dir);
      expect(got.cached).toBe(false);
      same(got, compileSeccomp(profile));
      // rebuilt: the next run hits again, with the right filter
      const again = compileSeccompCached(profile, dir);
      expect(again.cached).toBe(true);
      same(again, compileSeccomp(profile));
    });
  }

  it('a profile the compiler refuses is refused the same way and nothing is cached', () => {
    const dir = freshDir();
    const bad = { ...profile, defaultAction: 'SCMP_ACT_NOPE' } as unknown as OciSeccomp;
    expect(() => compileSeccompCached(bad, dir)).toThrow(UsageError);
    expect(() => readdirSync(dir)).toThrow(/ENOENT/);
  });
});
