/**
 * The range fast path in front of libseccomp's program (native/src/seccomp-short.c): the
 * short program must return what libseccomp's own returns for every syscall number, ABI and
 * argument the profile can tell apart. Checked here by a classic-BPF interpreter of the
 * test's own (not the C one the compiler checks itself with), on Docker's default profile and
 * on profiles that reach the corners: i386's socketcall multiplexer, an allow-by-default
 * deny list, names of one ABI only, more actions than one chunk holds. No root, no kernel.
 */
import { machine } from 'node:os';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/index.js';
import { defaultSeccompProfile, toOciSeccomp } from '../../src/security/docker-profile.js';
import type { OciSeccomp } from '../../src/security/seccomp.js';

const X86_64 = 0xc000003e;
const I386 = 0x40000003;
const AARCH64 = 0xc00000b7;
const X32_BIT = 0x40000000;
const DEFAULT_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

type Insn = { code: number; jt: number; jf: number; k: number };

const program = (b: Buffer): Insn[] => {
  const out: Insn[] = [];
  for (let i = 0; i < b.length; i += 8) out.push({ code: b.readUInt16LE(i), jt: b[i + 2]!, jf: b[i + 3]!, k: b.readUInt32LE(i + 4) });
  return out;
};

/** seccomp_data as 16 words: nr, arch, ip (2), args (12, low word first); read: an argument
 * (or the ip) was loaded on the way */
function run(p: Insn[], data: Uint32Array): { ret: number; read: boolean } {
  let a = 0;
  let read = false;
  for (let pc = 0; pc < p.length; ) {
    const { code, jt, jf, k } = p[pc]!;
    if (code === 0x20) { // ld [k]
      a = data[k / 4]!;
      read ||= k >= 8;
      pc++;
    } else if (code === 0x54) { a = (a & k) >>> 0; pc++; } // and #k
    else if (code === 0x05) pc += 1 + k; // ja
    else if ((code & 0x07) === 0x05 && (code & 0x08) === 0) {
      const op = code & 0xf0;
      const c = op === 0x10 ? a === k : op === 0x20 ? a > k : op === 0x30 ? a >= k : op === 0x40 ? (a & k) !== 0 : undefined;
      if (c === undefined) throw new Error(`jump 0x${code.toString(16)}`);
      pc += 1 + (c ? jt : jf);
    } else if (code === 0x06) return { ret: k, read }; // ret #k
    else throw new Error(`instruction 0x${code.toString(16)} at ${pc}`);
  }
  throw new Error('ran off the end');
}

/** every number either program compares the syscall number with (and its neighbours), and
 * every value it compares an argument with or masks it by */
function probes(...ps: Insn[][]): { nrs: number[]; values: number[] } {
  const nrs = new Set<number>([0, 0xffffffff]);
  const values = new Set<number>([0, 0xffffffff]);
  for (const p of ps) {
    let loaded = 0;
    for (const i of p) {
      if (i.code === 0x20) loaded = i.k;
      if ((i.code & 0x07) === 0x05 && i.code !== 0x05 && loaded !== 4) for (const v of [i.k - 1, i.k, i.k + 1]) (loaded === 0 ? nrs : values).add(v >>> 0);
      if (i.code === 0x54) values.add(i.k);
    }
  }
  for (let n = 0; n < 1100; n++) nrs.add(n).add((n | X32_BIT) >>> 0);
  return { nrs: [...nrs], values: [...values] };
}

/** where the two programs differ (the first five), and how many inputs were tried */
function differences(a: Insn[], b: Insn[]): { tried: number; differ: string[] } {
  const { nrs, values } = probes(a, b);
  const differ: string[] = [];
  let tried = 0;
  const data = new Uint32Array(16);
  const check = (): boolean => {
    tried++;
    const ra = run(a, data);
    const rb = run(b, data);
    if (ra.ret !== rb.ret && differ.length < 5) differ.push(`arch 0x${data[1]!.toString(16)} nr 0x${data[0]!.toString(16)} words ${[...data.slice(2)]}: 0x${ra.ret.toString(16)} vs 0x${rb.ret.toString(16)}`);
    return ra.read || rb.read;
  };
  for (const arch of [X86_64, I386, AARCH64, 0]) {
    for (const nr of nrs) {
      data.fill(0);
      data[0] = nr;
      data[1] = arch;
      if (!check()) continue; // decided without the arguments
      for (const v of values) {
        for (let w = 2; w < 16; w++) {
          data.fill(0, 2);
          data[w] = v;
          check();
        }
        data.fill(v, 2);
        check();
      }
    }
  }
  return { tried, differ };
}

const both = (profile: OciSeccomp): { long: Insn[]; short: Insn[] } => ({
  long: program(native().compileSeccomp(profile, false)),
  short: program(native().compileSeccomp(profile)),
});

describe.runIf(machine() === 'x86_64')('the short seccomp program (range fast path + libseccomp)', () => {
  it("Docker's default profile: under 512 instructions, less than half of libseccomp's, and the same decisions", () => {
    for (const caps of [DEFAULT_CAPS, [...DEFAULT_CAPS, 'CAP_SYS_ADMIN']]) {
      const { long, short } = both(toOciSeccomp(defaultSeccompProfile(), { capabilities: caps, machine: 'x86_64', kernel: '6.1.0' }));
      expect(short.length).toBeLessThan(512);
      expect(short.length * 2).toBeLessThan(long.length);
      const d = differences(long, short);
      expect(d.tried).toBeGreaterThan(10_000);
      expect(d.differ).toEqual([]);
    }
  });

  const docker = (): OciSeccomp => toOciSeccomp(defaultSeccompProfile(), { capabilities: DEFAULT_CAPS, machine: 'x86_64', kernel: '6.1.0' });

  it("i386's socket and ipc calls without socketcall and ipc themselves: reached only through the multiplexer's arguments", () => {
    const p = docker();
    const without = p.syscalls!.map((r) => ({ ...r, names: r.names.filter((n) => n !== 'socketcall' && n !== 'ipc') })).filter((r) => r.names.length);
    expect(without.flatMap((r) => r.names)).toContain('bind');
    const { long, short } = both({ ...p, syscalls: without });
    expect(short.length).toBeLessThan(long.length);
    expect(differences(long, short).differ).toEqual([]);
  });

  it('more distinct actions than one chunk of ranges returns (12 errnos among the allowed calls)', () => {
    const p = docker();
    const moved = ['read', 'write', 'open', 'close', 'stat', 'fstat', 'lstat', 'poll', 'lseek', 'mmap', 'mprotect', 'munmap'];
    const rules = [
      ...p.syscalls!.map((r) => ({ ...r, names: r.names.filter((n) => !moved.includes(n)) })).filter((r) => r.names.length),
      ...moved.map((n, i) => ({ names: [n], action: 'SCMP_ACT_ERRNO' as const, errnoRet: i + 2 })),
    ];
    const { long, short } = both({ ...p, syscalls: rules });
    expect(short.length).toBeLessThan(long.length);
    expect(differences(long, short).differ).toEqual([]);
  });

  it('the comparison sees a program that decides one call otherwise', () => {
    const { long, short } = both(docker());
    const allow = short.findIndex((i) => i.code === 0x06 && i.k === 0x7fff0000);
    const broken = short.map((i, n) => (n === allow ? { ...i, k: 0x00050001 } : i));
    expect(differences(long, broken).differ.length).toBeGreaterThan(0);
  });

  it('keeps libseccomp\'s program when the fast path would not make it shorter', () => {
    const profile: OciSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const { long, short } = both(profile);
    expect(short).toEqual(long);
  });
});
