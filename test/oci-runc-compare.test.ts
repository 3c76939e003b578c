/**
 * minictr-oci next to runc, the reference runtime: the same bundle and config.json run by
 * `runc --root A run ID` and by `minictr-oci --root B run ID`, and what the process sees must
 * agree: its capabilities (all five sets), no_new_privs, seccomp mode, hostname, `id`,
 * /proc/self/limits (RLIM_INFINITY too), oom_score_adj, what the masked and read-only paths give, the shape of its mount table
 * (mount points and fs types, not ids or sources), and its exit status (0, 7, killed).
 * When they disagree the test prints both sides, section by section.
 *
 * Where they differ on purpose (kept out of the comparison, and checked on their own):
 *  - /sys/fs/cgroup on a v1/hybrid host: runc mounts every v1 hierarchy (blkio, name=systemd
 *    too) on a read-write tmpfs; minictr mounts the hierarchies it manages plus the cgroup2
 *    tree at unified/, and makes the tmpfs read-only with a bind over itself (so each mount
 *    there is listed twice). Both show the container's own cgroup as the root.
 *  - domainname: runc 1.1 does not set it (minictr does; the runtime-spec asks for it).
 *  - runc 1.1 runs poststart hooks before the process is started, and its rootfsPropagation
 *    does not reach the root mount: oci-runtime.test.ts holds minictr to the spec there.
 * runc is Debian's /usr/sbin/runc (crun refuses this host's hybrid cgroups). Without runc the
 * file is skipped.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  forceDelete, makeBundle, residueSettled, RUNC, runtime, sections, state, U64_MAX, until, workDir, type Bundle, type Runtime, type Spec,
} from './helpers/oci.js';

const haveRunc = existsSync(RUNC);
const work = workDir('oci-cmp-');
const roots: Record<Runtime, string> = { runc: join(work, 'root-runc'), 'minictr-oci': join(work, 'root-minictr') };
mkdirSync(roots.runc);
mkdirSync(roots['minictr-oci']);
const made: [Runtime, string][] = [];

afterAll(async () => {
  for (const [which, id] of made) await forceDelete(which, roots[which], id);
});

/** What the process reports about itself, one section each. */
const PROBE = [
  'echo "== status"; grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/self/status',
  'echo "== hostname"; hostname',
  'echo "== id"; id',
  'echo "== limits"; cat /proc/self/limits',
  'echo "== oom"; cat /proc/self/oom_score_adj',
  'echo "== masked"',
  'for p in /proc/kcore /proc/keys /proc/timer_list /proc/latency_stats /proc/sched_debug /proc/acpi /proc/scsi /sys/firmware /sys/devices/virtual/powercap; do',
  '  if [ -d "$p" ]; then echo "$p dir, $(ls -A "$p" | wc -l) entries"',
  '  elif [ -e "$p" ]; then [ "$(head -c 1 "$p" 2>/dev/null | wc -c)" -gt 0 ] && echo "$p file, has content" || echo "$p file, reads empty"',
  '  else echo "$p absent"; fi',
  'done',
  'echo "== readonly"',
  'for p in /proc/sys/kernel/hostname /proc/sysrq-trigger /proc/irq/default_smp_affinity; do',
  '  if (echo x > "$p") 2>/dev/null; then echo "$p writable"; else echo "$p not writable"; fi',
  'done',
  'echo "== mounts"; cat /proc/self/mountinfo',
].join('\n');

interface Ran {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  sections: Record<string, string[]>;
}

/** The mount table's shape: "MOUNTPOINT FSTYPE", sorted; /sys/fs/cgroup/* apart (see above). */
function mountShape(lines: string[] | undefined): { shape: string[]; cgroup: string[] } {
  const shape: string[] = [];
  const cgroup: string[] = [];
  for (const l of lines ?? []) {
    const [left, right] = l.split(' - ');
    const mp = left!.split(' ')[4]!;
    const fstype = right!.split(' ')[0]!;
    if (mp === '/sys/fs/cgroup' || mp.startsWith('/sys/fs/cgroup/')) cgroup.push(`${mp} ${fstype}`);
    else shape.push(`${mp} ${fstype}`);
  }
  return { shape: shape.sort(), cgroup: [...new Set(cgroup)].sort() };
}

/** Both sides of every section that differs: lines only runc printed (-), only minictr-oci (+). */
function report(a: Record<string, string[]>, b: Record<string, string[]>, keys: string[]): string {
  const out: string[] = [];
  for (const k of keys) {
    const x = a[k] ?? [];
    const y = b[k] ?? [];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    out.push(`[${k}]`);
    const left = [...x];
    const right = [...y];
    for (const l of x) {
      const i = right.indexOf(l);
      if (i >= 0) {
        right.splice(i, 1);
        left.splice(left.indexOf(l), 1);
      }
    }
    for (const l of left) out.push(`  - runc:        ${l}`);
    for (const l of right) out.push(`  + minictr-oci: ${l}`);
    if (!left.length && !right.length) out.push('  (same lines, another order)', ...x.map((l, i) => `    ${l}  |  ${y[i]}`));
  }
  return out.join('\n');
}

async function runOn(which: Runtime, b: Bundle, id: string): Promise<Ran> {
  made.push([which, id]);
  const r = await runtime(which, roots[which], ['run', '--bundle', b.dir, id], { mark: id });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, sections: sections(r.stdout) };
}

/** The same bundle run by both, at the same time (each with an id and a --root of its own). */
async function both(b: Bundle): Promise<Record<Runtime, Ran>> {
  const [runc, mine] = await Promise.all([runOn('runc', b, `${b.id}r`), runOn('minictr-oci', b, `${b.id}m`)]);
  for (const [which, id] of [['runc', `${b.id}r`], ['minictr-oci', `${b.id}m`]] as const) {
    expect(await residueSettled(roots[which], id), `${which} left behind`).toEqual([]);
  }
  return { runc, 'minictr-oci': mine };
}

function expectSame(r: Record<Runtime, Ran>): void {
  const a = r.runc;
  const b = r['minictr-oci'];
  expect(a.exitCode, `runc failed: ${a.stderr}`).toBe(0);
  expect(b.exitCode, `minictr-oci failed: ${b.stderr}`).toBe(0);
  const ma = mountShape(a.sections.mounts);
  const mb = mountShape(b.sections.mounts);
  const keys = ['status', 'hostname', 'id', 'limits', 'oom', 'masked', 'readonly', 'mounts'];
  const diff = report({ ...a.sections, mounts: ma.shape }, { ...b.sections, mounts: mb.shape }, keys);
  expect(diff, `runc and minictr-oci disagree:\n${diff}`).toBe('');
  // the documented cgroup difference, bounded: minictr mounts no hierarchy runc does not,
  // except the cgroup2 tree
  const extra = mb.cgroup.filter((l) => !ma.cgroup.includes(l) && l !== '/sys/fs/cgroup/unified cgroup2');
  expect(extra, `cgroup mounts only minictr-oci has:\n${extra.join('\n')}`).toEqual([]);
  // ... and minictr's are all read-only where the container sees them (the top of each stack)
  const top = new Map<string, string>();
  for (const l of b.sections.mounts ?? []) {
    const f = l.split(' ');
    if (f[4] === '/sys/fs/cgroup' || f[4]!.startsWith('/sys/fs/cgroup/')) top.set(f[4]!, f[5]!);
  }
  const writable = [...top].filter(([, opts]) => !opts.split(',').includes('ro')).map(([mp]) => mp);
  expect(top.size).toBeGreaterThan(0);
  expect(writable, 'cgroup mounts minictr-oci leaves writable').toEqual([]);
}

const bundle = (edit?: (s: Spec) => void): Promise<Bundle> => makeBundle(work, ['sh', '-c', PROBE], (s) => edit?.(s), 'c');

describe.skipIf(!haveRunc)('minictr-oci and runc: what the process sees', () => {
  it.concurrent('the defaults (runc spec\'s config, root, Docker\'s capabilities, no_new_privs)', async () => {
    expectSame(await both(await bundle()));
  });

  it.concurrent('a user with groups, all five capability sets, rlimits, no no_new_privs', async () => {
    const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    const b = await bundle((s) => {
      s.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 20, 30] };
      s.process.capabilities = { bounding: [...caps, 'CAP_SYS_CHROOT'], effective: caps, permitted: caps, inheritable: caps.slice(1), ambient: ['CAP_NET_BIND_SERVICE'] };
      s.process.noNewPrivileges = false;
      s.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 777, hard: 888 },
        { type: 'RLIMIT_NPROC', soft: 300, hard: 400 },
        { type: 'RLIMIT_CORE', soft: 4096, hard: 8192 },
        { type: 'RLIMIT_STACK', soft: 4194304, hard: 8388608 },
        { type: 'RLIMIT_FSIZE', soft: 1000000, hard: U64_MAX },
        { type: 'RLIMIT_CPU', soft: U64_MAX, hard: U64_MAX },
      ];
      s.process.oomScoreAdj = 123;
      s.hostname = 'other-host';
    });
    expectSame(await both(b));
  });

  it.concurrent('a seccomp profile (and no masked or read-only paths at all)', async () => {
    const b = await bundle((s) => {
      s.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }, { names: ['sethostname'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }],
      };
      s.linux.maskedPaths = [];
      s.linux.readonlyPaths = [];
      s.process.args = ['sh', '-c', `${PROBE}\necho "== blocked"; mkdir /dev/shm/x 2>&1; hostname new-name 2>&1; exit 0`];
    });
    const r = await both(b);
    expectSame(r);
    const diff = report(r.runc.sections, r['minictr-oci'].sections, ['blocked']);
    expect(diff, diff).toBe('');
    expect(r.runc.sections.blocked?.[0]).toMatch(/Operation not permitted/);
  });
});

describe.skipIf(!haveRunc)('minictr-oci and runc: exit status', () => {
  it.concurrent.each([
    ['true', 0],
    ['exit 7', 7],
  ])('`sh -c %j` exits %i under both', async (cmd, code) => {
    const b = await makeBundle(work, ['sh', '-c', cmd], undefined, 'x');
    const [runc, mine] = await Promise.all([runOn('runc', b, `${b.id}r`), runOn('minictr-oci', b, `${b.id}m`)]);
    expect({ runc: runc.exitCode, 'minictr-oci': mine.exitCode }).toEqual({ runc: code, 'minictr-oci': code });
  });

  it.concurrent('killed by SIGKILL (`kill ID KILL` while `run` waits): 137 under both', async () => {
    const b = await makeBundle(work, ['sleep', '1000'], undefined, 'k');
    const codes: Partial<Record<Runtime, number | undefined>> = {};
    await Promise.all((['runc', 'minictr-oci'] as const).map(async (which) => {
      const id = `${b.id}${which === 'runc' ? 'r' : 'm'}`;
      made.push([which, id]);
      const run = runtime(which, roots[which], ['run', '--bundle', b.dir, id], { mark: id });
      await until(`${which} ${id} to run`, async () => {
        try {
          return (await state(which, roots[which], id)).status === 'running';
        } catch {
          return false;
        }
      });
      const k = await runtime(which, roots[which], ['kill', id, 'KILL']);
      expect(k.exitCode, k.stderr).toBe(0);
      codes[which] = (await run).exitCode;
      expect(await residueSettled(roots[which], id), `${which} left behind`).toEqual([]);
    }));
    expect(codes).toEqual({ runc: 137, 'minictr-oci': 137 });
  });
});
