/**
 * Seccomp filters: OCI linux.seccomp profiles compiled to BPF with libseccomp
 * (src/security/seccomp.ts, native/src/seccomp.c), loaded into a real process on the real
 * kernel. Compiling has no side effects and runs in the test process; loading filters the
 * calling process for good, so each load happens in a throwaway `node` child that gets the BPF
 * bytes on stdin. Every child makes its calls once before loading the filter too, so a test
 * fails if a call would have failed without the filter.
 */
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { machine, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { native } from '../src/native/index.js';
import { parseSeccomp } from '../src/spec/parse.js';
import {
  compileSeccomp,
  describeSeccomp,
  type CompiledSeccomp,
  type OciSeccomp,
  type OciSeccompSyscall,
} from '../src/security/seccomp.js';

const NATIVE = fileURLToPath(new URL('../dist/native/index.js', import.meta.url));
const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const ARCH = `SCMP_ARCH_${machine().toUpperCase()}`; // SCMP_ARCH_X86_64 on x86_64
const ENOSYS = 38;

const work = mkdtempSync(join(tmpdir(), 'minictr-seccomp-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface ChildResult {
  facts: Record<string, unknown>;
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  signal: string | undefined;
}

/**
 * Run body in a fresh node process. It sees n (the addon), fs, cp (child_process), os, dir
 * (a scratch directory), load() (seccompLoad of the filter, with its flags), call(f) ('ok', an
 * fs error code like 'EPERM', or the addon's errno number) and fact(name, value); the facts
 * come back as an object.
 */
async function inChild(c: CompiledSeccomp, body: string): Promise<ChildResult> {
  const script = [
    `const { native } = await import(${JSON.stringify(NATIVE)}); const n = native();`,
    `const fs = await import('node:fs'); const cp = await import('node:child_process'); const os = await import('node:os');`,
    `const filter = fs.readFileSync(0); const dir = process.env.SECCOMP_TEST_DIR;`,
    `const load = () => n.seccompLoad(filter, ${c.flags});`,
    `const call = (f) => { try { f(); return 'ok'; } catch (e) { return typeof e.code === 'string' ? e.code : e.errno; } };`,
    `const facts = {}; const fact = (k, v) => { facts[k] = v; };`,
    `const seccompMode = () => /^Seccomp:\\s+(\\d)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1];`,
    body,
    `process.stdout.write(JSON.stringify(facts));`,
  ].join('\n');
  const dir = mkdtempSync(join(work, 'c-'));
  const r = await execa('node', ['--input-type=module', '-e', script], {
    input: c.filter,
    reject: false,
    timeout: 30_000,
    env: { SECCOMP_TEST_DIR: dir },
  });
  let facts: Record<string, unknown> = {};
  try {
    facts = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
  } catch {
    // a child killed by its filter prints nothing (or only what it wrote before)
  }
  return { facts, stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, signal: r.signal };
}

/** podman's default capabilities (containers.conf): what its profile's includes/excludes see */
const PODMAN_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];
const GO_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

interface ContainersRule extends OciSeccompSyscall {
  includes?: { caps?: string[]; arches?: string[] };
  excludes?: { caps?: string[]; arches?: string[] };
}

/** The OCI profile podman generates from its default one (containers/common's seccomp.json)
 * for this architecture and its default capabilities: the rules whose includes/excludes hold,
 * without their comments. */
function podmanProfile(): OciSeccomp {
  if (!existsSync(PODMAN_PROFILE)) throw new Error(`${PODMAN_PROFILE} is missing: apt-get install golang-github-containers-common (scripts/setup.sh does)`);
  const p = JSON.parse(readFileSync(PODMAN_PROFILE, 'utf8')) as {
    defaultAction: OciSeccomp['defaultAction'];
    defaultErrnoRet?: number;
    archMap: { architecture: string; subArchitectures: string[] }[];
    syscalls: ContainersRule[];
  };
  const arch = GO_ARCH[machine()] ?? machine();
  const applies = (r: ContainersRule): boolean =>
    (r.includes?.caps ?? []).every((c) => PODMAN_CAPS.includes(c)) &&
    (!r.includes?.arches?.length || r.includes.arches.includes(arch)) &&
    !(r.excludes?.caps ?? []).some((c) => PODMAN_CAPS.includes(c)) &&
    !(r.excludes?.arches ?? []).includes(arch);
  const map = p.archMap.find((m) => m.architecture === ARCH);
  return {
    defaultAction: p.defaultAction,
    defaultErrnoRet: p.defaultErrnoRet,
    architectures: map ? [map.architecture, ...map.subArchitectures] : [ARCH],
    syscalls: p.syscalls.filter(applies).map((r) => ({
      names: r.names,
      action: r.action,
      ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
      ...(r.args?.length ? { args: r.args } : {}),
    })),
  };
}

/** The BPF program as instructions: struct sock_filter { u16 code; u8 jt, jf; u32 k; } */
function instructions(filter: Buffer): { code: number; k: number }[] {
  const out = [];
  for (let i = 0; i < filter.length; i += 8) out.push({ code: filter.readUInt16LE(i), k: filter.readUInt32LE(i + 4) });
  return out;
}

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('seccomp filters on the real kernel', () => {
  it('blocks with EPERM, returns errnoRet, filters on arguments, and lets the rest through', async () => {
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' },
        { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
        // as podman's profile does for personality: only arg0 == 0 (PER_LINUX) is let through
        { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0, op: 'SCMP_CMP_NE' }] },
        // unshare with CLONE_NEWIPC among its flags
        { names: ['unshare'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, args: [{ index: 0, value: CLONE_NEWIPC, valueTwo: CLONE_NEWIPC, op: 'SCMP_CMP_MASKED_EQ' }] },
      ],
    });
    expect(c.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(c.allowed).toBe(0);
    const r = await inChild(
      c,
      `
      const arch = os.machine();
      const setarch = (...a) => { const s = cp.spawnSync('setarch', [arch, ...a, 'true'], { encoding: 'utf8' }); return s.status === 0 ? 'ok' : s.stderr.trim(); };
      fs.mkdirSync(dir + '/gone-before'); fs.mkdirSync(dir + '/gone-after');
      for (const when of ['before', 'after']) {
        if (when === 'after') load();
        fact(when + ' seccomp mode', seccompMode());
        fact(when + ' mkdir', call(() => fs.mkdirSync(dir + '/' + when)));
        fact(when + ' rmdir', call(() => fs.rmdirSync(dir + '/gone-' + when)));
        fact(when + ' unshare(NEWUTS)', call(() => n.unshare(${CLONE_NEWUTS})));
        fact(when + ' unshare(NEWUTS|NEWIPC)', call(() => n.unshare(${CLONE_NEWUTS | CLONE_NEWIPC})));
        fact(when + ' personality(PER_LINUX)', setarch());
        fact(when + ' personality(ADDR_NO_RANDOMIZE)', setarch('-R'));
        fact(when + ' no_new_privs', fs.readFileSync('/proc/self/status', 'utf8').includes('NoNewPrivs:\\t1'));
      }
      `,
    );
    expect(r.stderr).toBe('');
    expect(r.facts).toEqual({
      'before seccomp mode': '0',
      'before mkdir': 'ok',
      'before rmdir': 'ok',
      'before unshare(NEWUTS)': 'ok',
      'before unshare(NEWUTS|NEWIPC)': 'ok',
      'before personality(PER_LINUX)': 'ok',
      'before personality(ADDR_NO_RANDOMIZE)': 'ok',
      'before no_new_privs': false,
      'after seccomp mode': '2', // SECCOMP_MODE_FILTER
      'after mkdir': 'EPERM', // SCMP_ACT_ERRNO without errnoRet
      'after rmdir': 'ENOSYS', // errnoRet 38
      'after unshare(NEWUTS)': 'ok',
      'after unshare(NEWUTS|NEWIPC)': ENOSYS,
      'after personality(PER_LINUX)': 'ok',
      'after personality(ADDR_NO_RANDOMIZE)': `setarch: failed to set personality to ${machine()}: Operation not permitted`,
      'after no_new_privs': true, // seccompLoad sets it first (an unprivileged process needs it)
    });
  });

  it('SCMP_ACT_KILL_PROCESS kills the whole process with SIGSYS', async () => {
    const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['unshare'], action: 'SCMP_ACT_KILL_PROCESS' }] });
    const r = await inChild(c, `n.unshare(${CLONE_NEWUTS}); process.stdout.write('loading '); load(); n.unshare(${CLONE_NEWUTS}); process.stdout.write('survived');`);
    expect(r.stdout).toBe('loading ');
    expect(r.signal).toBe('SIGSYS');
  });

  it('SCMP_ACT_TRACE without a tracer fails with ENOSYS; SCMP_ACT_LOG lets the call through', async () => {
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['unshare'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
        { names: ['rmdir'], action: 'SCMP_ACT_LOG' },
      ],
    });
    const r = await inChild(
      c,
      `fact('before', call(() => n.unshare(${CLONE_NEWUTS}))); fs.mkdirSync(dir + '/x'); load();
       fact('trace', call(() => n.unshare(${CLONE_NEWUTS}))); fact('log', call(() => fs.rmdirSync(dir + '/x')));`,
    );
    expect(r.facts).toEqual({ before: 'ok', trace: ENOSYS, log: 'ok' });
  });

  it('two conditions on the same argument are two rules (OR), as in runc', async () => {
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {
          names: ['unshare'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            { index: 0, value: CLONE_NEWUTS, op: 'SCMP_CMP_EQ' },
            { index: 0, value: CLONE_NEWIPC, op: 'SCMP_CMP_EQ' },
          ],
        },
      ],
    });
    const r = await inChild(
      c,
      `for (const [k, f] of [['uts', ${CLONE_NEWUTS}], ['ipc', ${CLONE_NEWIPC}], ['both', ${CLONE_NEWUTS | CLONE_NEWIPC}]]) fact('before ' + k, call(() => n.unshare(f)));
       load();
       for (const [k, f] of [['uts', ${CLONE_NEWUTS}], ['ipc', ${CLONE_NEWIPC}], ['both', ${CLONE_NEWUTS | CLONE_NEWIPC}]]) fact(k, call(() => n.unshare(f)));`,
    );
    expect(r.facts).toEqual({ 'before uts': 'ok', 'before ipc': 'ok', 'before both': 'ok', uts: 1, ipc: 1, both: 'ok' });
  });

  it('SECCOMP_FILTER_FLAG_TSYNC puts the filter on every thread, not only the calling one', async () => {
    const profile: OciSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    // libuv's threadpool starts (all its threads at once) with the first async fs call, before
    // the filter; fs.promises.mkdir then runs on one of those threads
    const body = `
      await fs.promises.stat('/');
      load();
      const tasks = fs.readdirSync('/proc/self/task');
      fact('filtered threads', tasks.filter((t) => /^Seccomp:\\s+2/m.test(fs.readFileSync('/proc/self/task/' + t + '/status', 'utf8'))).length === tasks.length ? 'all' : 'some');
      fact('sync mkdir', call(() => fs.mkdirSync(dir + '/a')));
      fact('threadpool mkdir', await fs.promises.mkdir(dir + '/b').then(() => 'ok', (e) => e.code));
    `;
    const plain = compileSeccomp(profile);
    const tsync = compileSeccomp({ ...profile, flags: ['SECCOMP_FILTER_FLAG_TSYNC'] });
    expect([plain.flags, tsync.flags]).toEqual([0, 1]);
    expect((await inChild(plain, body)).facts).toEqual({ 'filtered threads': 'some', 'sync mkdir': 'EPERM', 'threadpool mkdir': 'ok' });
    expect((await inChild(tsync, body)).facts).toEqual({ 'filtered threads': 'all', 'sync mkdir': 'EPERM', 'threadpool mkdir': 'EPERM' });
  });

  it("podman's 300+ name allowlist compiles, and node still runs (and starts node) under it", async () => {
    const profile = podmanProfile();
    const names = profile.syscalls!.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names);
    expect(new Set(names).size).toBeGreaterThan(300);
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(names).not.toContain('sethostname'); // only with CAP_SYS_ADMIN
    const c = compileSeccomp(profile);
    // names of other architectures (_llseek, socketcall, ...) do not count on this one
    expect(c.allowed).toBeGreaterThan(300);
    expect(c.allowed).toBeLessThan(new Set(names).size);
    expect(describeSeccomp(c)).toBe(`seccomp: ${c.allowed} syscalls allowed, default SCMP_ACT_ERRNO (ENOSYS)`); // its defaultErrnoRet 38
    const r = await inChild(
      c,
      `
      const arch = os.machine();
      const setarch = (...a) => { const s = cp.spawnSync('setarch', [arch, ...a, 'true'], { encoding: 'utf8' }); return s.status === 0 ? 'ok' : s.stderr.trim(); };
      n.unshare(${CLONE_NEWUTS});
      fact('before sethostname', call(() => n.sethostname('before')));
      fact('before personality(ADDR_NO_RANDOMIZE)', setarch('-R'));
      load();
      fact('mode', seccompMode());
      fact('sethostname', call(() => n.sethostname('after')));
      fact('personality(PER_LINUX)', setarch());
      fact('personality(ADDR_NO_RANDOMIZE)', setarch('-R'));
      const child = cp.spawnSync(process.execPath, ['-e', 'console.log(6 * 7, require("node:fs").readFileSync("/proc/self/status", "utf8").match(/^Seccomp:\\\\s+(\\\\d)/m)[1])'], { encoding: 'utf8' });
      fact('node under the filter', child.stdout.trim() || child.stderr);
      `,
    );
    expect(r.stderr).toBe('');
    expect(r.facts).toEqual({
      'before sethostname': 'ok',
      'before personality(ADDR_NO_RANDOMIZE)': 'ok',
      mode: '2',
      sethostname: 1, // podman's own EPERM rule for it, without CAP_SYS_ADMIN
      'personality(PER_LINUX)': 'ok',
      // no rule matches: the default action, defaultErrnoRet 38
      'personality(ADDR_NO_RANDOMIZE)': `setarch: failed to set personality to ${machine()}: Function not implemented`,
      'node under the filter': '42 2', // a new node, exec'd under the inherited filter
    });
  });

  it('seccompLoad refuses a buffer that is not a BPF program', async () => {
    const bogus = { filter: Buffer.alloc(5), flags: 0, allowed: 0, defaultAction: 'SCMP_ACT_ALLOW' };
    const r = await inChild(bogus, `try { load(); fact('loaded', true); } catch (e) { fact('error', e.message); fact('errno', e.errno); } fact('mode', seccompMode());`);
    expect(r.facts).toEqual({ error: 'seccomp(SECCOMP_SET_MODE_FILTER, 0x0): Invalid argument', errno: 22, mode: '0' });
  });
});

describe('seccomp profiles (compile only, no kernel state)', () => {
  it('the program starts with libseccomp\'s architecture check, one per listed architecture', () => {
    const ins = instructions(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }).filter);
    // ld [4]: seccomp_data.arch
    expect(ins[0]).toEqual({ code: 0x20, k: 4 });
    if (ARCH !== 'SCMP_ARCH_X86_64') return;
    const AUDIT_ARCH_X86_64 = 0xc000003e;
    const AUDIT_ARCH_I386 = 0x40000003;
    expect(ins.some((i) => i.k === AUDIT_ARCH_X86_64)).toBe(true);
    expect(ins.some((i) => i.k === AUDIT_ARCH_I386)).toBe(false);
    const both = instructions(
      compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }).filter,
    );
    expect(both.some((i) => i.k === AUDIT_ARCH_I386)).toBe(true);
  });

  it('skips unknown syscall names and rules that do what the default does; counts ALLOW rules per syscall', () => {
    const base: OciSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const a = compileSeccomp(base);
    const b = compileSeccomp({
      ...base,
      syscalls: [...base.syscalls!, { names: ['no_such_syscall_minictr'], action: 'SCMP_ACT_ERRNO' }, { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
    });
    expect(b.filter.equals(a.filter)).toBe(true);
    expect(b.allowed).toBe(0);
    const deny = compileSeccomp({
      defaultAction: 'SCMP_ACT_KILL',
      syscalls: [
        { names: ['read', 'write', 'no_such_syscall_minictr'], action: 'SCMP_ACT_ALLOW' },
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['exit'], action: 'SCMP_ACT_KILL_THREAD' }, // = SCMP_ACT_KILL, the default: skipped
      ],
    });
    expect(deny.allowed).toBe(2);
    expect(deny.filter.length % 8).toBe(0);
  });

  it('maps flags, actions, operators and every architecture libseccomp knows', () => {
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0xffff_ffff_ffff_ffffn, op: 'SCMP_CMP_LT' }] },
        { names: ['write'], action: 'SCMP_ACT_LOG', args: [{ index: 2, value: 10, op: 'SCMP_CMP_LE' }] },
        { names: ['close'], action: 'SCMP_ACT_TRAP', args: [{ index: 0, value: 2, op: 'SCMP_CMP_GE' }, { index: 1, value: 0, op: 'SCMP_CMP_GT' }] },
        { names: ['openat'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 2, value: 3, valueTwo: 1, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['getpid'], action: 'SCMP_ACT_TRACE' },
        { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }, // same as the default: skipped
      ],
    });
    expect(c.flags).toBe(1 | 2 | 4);
    expect(c.allowed).toBe(1);
    const little = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_RISCV64'];
    const big = ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64'];
    const mine = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_RISCV64'].includes(ARCH) ? little : big;
    for (const arch of mine) expect(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: [arch] }).filter.length).toBeGreaterThan(0);
    // libseccomp knows the others too, but one filter cannot mix byte orders
    expect(usageError(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: [mine === little ? 'SCMP_ARCH_S390X' : 'SCMP_ARCH_X86_64'] }))).toMatch(
      /^linux\.seccomp\.architectures\[0\]: SCMP_ARCH_\w+ cannot share a filter with this machine's architecture \(another byte order\)$/,
    );
  });

  it('refuses bad profiles with one line that names the field', () => {
    const sc = (s: Record<string, unknown>) => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO' }, s] });
    const cases: [unknown, string][] = [
      // the shape, checked in TypeScript with the rest of config.json (src/spec/parse.ts)
      [null, 'linux.seccomp: expected an object, got null'],
      [{}, 'linux.seccomp.defaultAction is required'],
      [{ defaultAction: 1 }, 'linux.seccomp.defaultAction: expected a string, got the number 1'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', default: 'x' }, 'linux.seccomp.default: unknown field (known: defaultAction, defaultErrnoRet, architectures, flags, listenerPath, listenerMetadata, syscalls)'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: 'SCMP_ARCH_X86_64' }, 'linux.seccomp.architectures: expected an array, got a string'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: -1 }, 'linux.seccomp.defaultErrnoRet: expected an integer from 0 to 4294967295, got the number -1'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: {} }, 'linux.seccomp.syscalls: expected an array, got an object'],
      [sc({ names: 'read', action: 'SCMP_ACT_ERRNO' }), 'linux.seccomp.syscalls[1].names: expected an array, got a string'],
      [sc({ names: ['read', 3], action: 'SCMP_ACT_ERRNO' }), 'linux.seccomp.syscalls[1].names[1]: expected a string, got the number 3'],
      [sc({ names: [], action: 'SCMP_ACT_ERRNO' }), 'linux.seccomp.syscalls[1].names: must list at least one'],
      [sc({ names: ['read'] }), 'linux.seccomp.syscalls[1].action is required'],
      [sc({ names: ['read'], action: 'SCMP_ACT_ERRNO', comment: 'x' }), 'linux.seccomp.syscalls[1].comment: unknown field (known: names, action, errnoRet, args)'],
      [sc({ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 1.5 }), 'linux.seccomp.syscalls[1].errnoRet: expected an integer from 0 to 4294967295, got the number 1.5'],
      [sc({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, op: 'SCMP_CMP_EQ' }] }), 'linux.seccomp.syscalls[1].args[0].value is required'],
      [sc({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] }), `linux.seccomp.syscalls[1].args[0].value: ${2 ** 60} is above 2^53 and not exact as a number`],
      [sc({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ', valuetwo: 1 }] }), 'linux.seccomp.syscalls[1].args[0].valuetwo: unknown field (known: index, value, valueTwo, op)'],
      // the names, checked by the addon as it compiles
      [{ defaultAction: 'SCMP_ACT_FOO' }, 'linux.seccomp.defaultAction: unknown action "SCMP_ACT_FOO"'],
      [sc({ names: ['read'], action: 'SCMP_ACT_FOO' }), 'linux.seccomp.syscalls[1].action: unknown action "SCMP_ACT_FOO"'],
      [sc({ names: ['read'], action: 'SCMP_ACT_NOTIFY' }), 'linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY is not supported (minictr has no seccomp listener)'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/seccomp.sock' }, 'linux.seccomp.listenerPath is not supported by minictr: seccomp notify listeners'],
      [sc({ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }), 'linux.seccomp.syscalls[1].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value, not SCMP_ACT_ALLOW'],
      [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 70000 }, 'linux.seccomp.defaultErrnoRet: must be 0 to 65535, not 70000'],
      [sc({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }), 'linux.seccomp.syscalls[1].args[0].index: must be 0 to 5, not 6'],
      [sc({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQUAL' }] }), 'linux.seccomp.syscalls[1].args[0].op: unknown operator "SCMP_CMP_EQUAL"'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_PDP11'] }, 'linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_PDP11"'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }, 'linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_NEW_LISTENER" (minictr knows SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG and SECCOMP_FILTER_FLAG_SPEC_ALLOW)'],
    ];
    for (const [profile, message] of cases) {
      const got = usageError(() => compileSeccomp(profile as OciSeccomp));
      expect(got).toBe(message);
      expect(got).not.toContain('\n');
    }
  });

  it('the addon checks types itself too, with the same messages', () => {
    const n = native();
    const err = (p: unknown): { message: string; code: unknown } => {
      try {
        n.compileSeccomp(p as object);
      } catch (e) {
        return { message: (e as Error).message, code: (e as { code?: unknown }).code };
      }
      throw new Error('expected an error');
    };
    expect(err('x')).toEqual({ message: 'linux.seccomp: must be an object, not a string', code: 'ERR_SECCOMP_PROFILE' });
    expect(err({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read', 3], action: 'SCMP_ACT_ERRNO' }] }).message).toBe(
      'linux.seccomp.syscalls[0].names[1]: must be a string, not a number',
    );
    expect(err({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }).message).toBe(
      'linux.seccomp.syscalls[0].args[0].value: must be a whole number from 0 to 2^64-1, not -1',
    );
    expect(err({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1n << 64n, op: 'SCMP_CMP_EQ' }] }] }).message).toBe(
      'linux.seccomp.syscalls[0].args[0].value: must be 0 to 2^64-1',
    );
  });

  it('the spec parser accepts the OCI shape, with null as absent (as Go writes it)', () => {
    const p = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64'],
      flags: null,
      listenerPath: '',
      syscalls: [
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 4294967295, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: null, errnoRet: null },
      ],
    };
    expect(parseSeccomp(p)).toBe(p);
    const c = compileSeccomp(p as unknown as OciSeccomp);
    expect(c.allowed).toBe(2);
    expect(c.defaultAction).toBe('SCMP_ACT_ERRNO');
  });
});
