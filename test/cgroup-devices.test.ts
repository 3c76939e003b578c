/**
 * The device allowlist (src/cgroup/devices.ts), as a real process sees it: a throwaway shell
 * joins a test-made cgroup and opens and mknods device nodes, and the kernel lets it or says
 * EPERM. Runs on the host, where the v1 devices controller is used (and, on a hybrid host, the
 * eBPF program is tested on the cgroup2 tree too), and in the cgroup-v2 VM
 * (test/vm/run-vm-tests.sh), where the eBPF program is the only way.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unified } from './helpers/cgroup.js';
import {
  applyDeviceRules,
  DEFAULT_DEVICE_RULES,
  deviceCgroupTarget,
  devicesV1Root,
  v1DeviceWrites,
  validateDeviceRules,
  type DeviceCgroupTarget,
  type DeviceRule,
} from '../src/cgroup/devices.js';
import { CgroupError } from '../src/cgroup/files.js';
import { UsageError } from '../src/errors.js';
import { createExplainer } from '../src/util/explain.js';
import { native } from '../src/native/index.js';

const isCgroup2 = (p: string): boolean => {
  try {
    return statfsSync(p).type === 0x63677270;
  } catch {
    return false;
  }
};

/** Where the tests make their cgroups, and how applyDeviceRules is pointed at one. */
interface Hierarchy {
  name: string;
  root: string;
  v2: boolean;
  target(relative: string): DeviceCgroupTarget;
}
const hierarchies: Hierarchy[] = [
  unified
    ? // as minictr finds it: deviceCgroupTarget gives only a cgroup2 dir, so the eBPF program
      { name: 'cgroup v2: the eBPF device program', root: '/sys/fs/cgroup', v2: true, target: deviceCgroupTarget }
    : // as minictr finds it: the v1 devices hierarchy is used when mounted (over cgroup2)
      { name: 'cgroup v1: the devices controller', root: devicesV1Root() ?? '/sys/fs/cgroup/devices', v2: false, target: deviceCgroupTarget },
];
if (!unified && isCgroup2('/sys/fs/cgroup/unified')) {
  hierarchies.push({ name: 'the eBPF device program on the cgroup2 tree of this hybrid host', root: '/sys/fs/cgroup/unified', v2: true, target: (rel) => ({ v2Dir: join('/sys/fs/cgroup/unified', rel) }) });
}

const TOP = `minictr-test-${randomBytes(4).toString('hex')}`;
let scratch: string;
let probe: string;
/** a block device node, made with mknod in scratch (7:0, a loop device, when there is one) */
let blockNode: string;
let blockDev: [number, number];
const made: string[] = [];
let seq = 0;

beforeAll(async () => {
  scratch = mkdtempSync(join(process.env.MINICTR_TEST_BASE ?? tmpdir(), 'devices-'));
  probe = join(scratch, 'probe.sh');
  // probe.sh PROCS OP...: join the cgroup (our pid into PROCS), then try each OP and print
  // "OP ok" or "OP <the error>". r:FILE opens for reading, w:FILE for writing,
  // m:TYPE:MAJOR:MINOR:FILE makes a node.
  writeFileSync(probe, [
    'echo $$ > "$1" || exit 99',
    'shift',
    'for op; do',
    '  case $op in',
    '    r:*) err=$(head -c 0 -- "${op#r:}" 2>&1);;',
    '    w:*) err=$(sh -c \': > "$1"\' sh "${op#w:}" 2>&1);;',
    '    m:*) x=${op#m:}; t=${x%%:*}; x=${x#*:}; ma=${x%%:*}; x=${x#*:}; mi=${x%%:*}; err=$(mknod -- "${x#*:}" "$t" "$ma" "$mi" 2>&1);;',
    '    *) err="unknown op: unknown op"; false;;',
    '  esac',
    '  if [ $? = 0 ]; then echo "$op ok"; else echo "$op ${err##*: }"; fi',
    'done',
    '',
  ].join('\n'));
  const block = readdirSync('/sys/dev/block').sort((a, b) => (a.startsWith('7:') ? -1 : b.startsWith('7:') ? 1 : 0))[0] ?? '7:0';
  blockDev = block.split(':').map(Number) as [number, number];
  blockNode = join(scratch, 'block');
  await execa('mknod', [blockNode, 'b', String(blockDev[0]), String(blockDev[1])]);
  for (const h of hierarchies) mkdirSync(join(h.root, TOP));
});

afterEach(() => {
  for (const dir of made.splice(0)) removeCgroup(dir);
});

afterAll(() => {
  for (const h of hierarchies) removeCgroup(join(h.root, TOP));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function removeCgroup(dir: string): void {
  for (let i = 0; existsSync(dir); i++) {
    try {
      rmdirSync(dir);
    } catch (err) {
      // EBUSY: the probe that just exited may not be out of it yet
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || i > 100) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** A fresh cgroup below TOP: its dir and its path relative to the hierarchy root. */
function newCgroup(h: Hierarchy): { dir: string; rel: string } {
  const rel = join(TOP, `dev-${++seq}`);
  const dir = join(h.root, rel);
  mkdirSync(dir);
  made.push(dir);
  return { dir, rel };
}

/** What a process in the cgroup gets for each operation: "ok" or the error's text. */
async function tryIn(dir: string, ...ops: string[]): Promise<Record<string, string>> {
  const r = await execa('sh', [probe, join(dir, 'cgroup.procs'), ...ops], { env: { LC_ALL: 'C' }, reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const i = line.indexOf(' ');
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  expect(Object.keys(out)).toEqual(ops);
  return out;
}

const EPERM = 'Operation not permitted';
const node = (name: string): string => join(scratch, `${name}-${seq}`);
const kmsg: DeviceRule = { allow: true, type: 'c', major: 1, minor: 11, access: 'r' };

for (const h of hierarchies) {
  describe(h.name, () => {
    it('before any rule, every device opens and mknod works (so the tests below can fail)', async () => {
      const { dir } = newCgroup(h);
      const c = node('c1-11');
      const r = await tryIn(dir, 'r:/dev/null', 'r:/dev/kmsg', `r:${blockNode}`, `m:c:1:11:${c}`, `r:${c}`);
      expect(r).toEqual({ 'r:/dev/null': 'ok', 'r:/dev/kmsg': 'ok', [`r:${blockNode}`]: 'ok', [`m:c:1:11:${c}`]: 'ok', [`r:${c}`]: 'ok' });
    });

    it("Docker's default allowlist: /dev/null opens; /dev/kmsg and a block device do not; mknod is allowed, opening the node is not", async () => {
      const { dir, rel } = newCgroup(h);
      let text = '';
      const applied = applyDeviceRules(h.target(rel), DEFAULT_DEVICE_RULES, createExplainer(true, (s) => (text += s)));
      expect(applied.via).toBe(h.v2 ? 'v2' : 'v1');
      expect(applied.dir).toBe(dir);
      const c = node('c1-11');
      const b = node('b');
      const r = await tryIn(dir, 'r:/dev/null', 'w:/dev/null', 'r:/dev/zero', 'r:/dev/urandom', 'r:/dev/kmsg', `r:${blockNode}`, `m:c:1:11:${c}`, `r:${c}`, `m:b:${blockDev.join(':')}:${b}`, `r:${b}`);
      expect(r).toEqual({
        'r:/dev/null': 'ok',
        'w:/dev/null': 'ok',
        'r:/dev/zero': 'ok',
        'r:/dev/urandom': 'ok',
        'r:/dev/kmsg': EPERM,
        [`r:${blockNode}`]: EPERM,
        [`m:c:1:11:${c}`]: 'ok',
        [`r:${c}`]: EPERM,
        [`m:b:${blockDev.join(':')}:${b}`]: 'ok',
        [`r:${b}`]: EPERM,
      });
      // --explain says what was done, as the shell command it stands for
      if (applied.via === 'v2') {
        expect(text).toContain(`attach a BPF_PROG_TYPE_CGROUP_DEVICE program (${applied.instructions} instructions) to ${dir}\n`);
        expect(text).toContain(`$ bpftool cgroup attach ${dir} device id ${applied.programId} multi\n`);
        expect(applied.instructions).toBeGreaterThan(10);
      } else {
        expect(text).toContain(`$ echo a > ${dir}/devices.deny\n`);
        expect(text).toContain(`$ echo "c 1:3 rwm" > ${dir}/devices.allow\n`);
        expect(text).toContain(`$ echo "c 136:* rwm" > ${dir}/devices.allow\n`);
        expect(text).toContain(`$ echo "b *:* m" > ${dir}/devices.allow\n`);
      }
    });

    it('a rule allowing c 1:11 (read) makes /dev/kmsg openable for reading, not for writing', async () => {
      const { dir, rel } = newCgroup(h);
      applyDeviceRules(h.target(rel), [...DEFAULT_DEVICE_RULES, kmsg]);
      expect(await tryIn(dir, 'r:/dev/kmsg', 'w:/dev/kmsg')).toEqual({ 'r:/dev/kmsg': 'ok', 'w:/dev/kmsg': EPERM });
    });

    it('the last matching rule wins: a later deny overrides an earlier allow, and the reverse', async () => {
      const { dir, rel } = newCgroup(h);
      const t = h.target(rel);
      // (rw: a deny of m would make a hole in the default list's "c *:* m", see below)
      const c111 = { type: 'c', major: 1, minor: 11, access: 'rw' } as const;
      applyDeviceRules(t, [...DEFAULT_DEVICE_RULES, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }]);
      expect(await tryIn(dir, 'r:/dev/null', 'w:/dev/null')).toEqual({ 'r:/dev/null': 'ok', 'w:/dev/null': EPERM });
      applyDeviceRules(t, [...DEFAULT_DEVICE_RULES, { allow: true, ...c111 }, { allow: false, ...c111 }]);
      expect(await tryIn(dir, 'r:/dev/kmsg')).toEqual({ 'r:/dev/kmsg': EPERM });
      applyDeviceRules(t, [...DEFAULT_DEVICE_RULES, { allow: false, ...c111 }, { allow: true, ...c111, access: 'r' }]);
      expect(await tryIn(dir, 'r:/dev/kmsg')).toEqual({ 'r:/dev/kmsg': 'ok' });
      // everything allowed but one device
      applyDeviceRules(t, [{ allow: true }, { allow: false, ...c111 }]);
      expect(await tryIn(dir, 'r:/dev/kmsg', 'r:/dev/null', `r:${blockNode}`)).toEqual({ 'r:/dev/kmsg': EPERM, 'r:/dev/null': 'ok', [`r:${blockNode}`]: 'ok' });
      // a deny-all at the end leaves nothing of what came before
      applyDeviceRules(t, [...DEFAULT_DEVICE_RULES, { allow: false }]);
      expect(await tryIn(dir, 'r:/dev/null', `m:c:1:3:${node('null')}`)).toEqual({ 'r:/dev/null': EPERM, [`m:c:1:3:${node('null')}`]: EPERM });
    });

    it('setting rules again replaces them (as update does), not adds to them', async () => {
      const { dir, rel } = newCgroup(h);
      const t = h.target(rel);
      applyDeviceRules(t, DEFAULT_DEVICE_RULES);
      expect(await tryIn(dir, 'r:/dev/kmsg')).toEqual({ 'r:/dev/kmsg': EPERM });
      // were the first program still attached, it would refuse /dev/kmsg (every program must allow)
      const again = applyDeviceRules(t, [...DEFAULT_DEVICE_RULES, kmsg]);
      if (again.via === 'v2') expect(again.replaced).toBe(true);
      expect(await tryIn(dir, 'r:/dev/kmsg')).toEqual({ 'r:/dev/kmsg': 'ok' });
      applyDeviceRules(t, DEFAULT_DEVICE_RULES);
      expect(await tryIn(dir, 'r:/dev/kmsg')).toEqual({ 'r:/dev/kmsg': EPERM });
      if (h.v2) {
        expect(native().detachDeviceFilter(dir)).toEqual({ detached: 1 });
        expect(native().detachDeviceFilter(dir)).toEqual({ detached: 0 });
        expect(await tryIn(dir, 'r:/dev/kmsg', `r:${blockNode}`)).toEqual({ 'r:/dev/kmsg': 'ok', [`r:${blockNode}`]: 'ok' });
      }
    });

    it(h.v2 ? 'a hole in a wildcard (allow c 1:*, deny c 1:11) is made' : 'a hole in a wildcard (allow c 1:*, deny c 1:11) is refused: v1 cannot make it', async () => {
      const { dir, rel } = newCgroup(h);
      const rules: DeviceRule[] = [{ allow: false }, { allow: true, type: 'c', major: 1 }, { allow: false, type: 'c', major: 1, minor: 11 }];
      if (!h.v2) {
        expect(() => applyDeviceRules(h.target(rel), rules)).toThrow(CgroupError);
        expect(() => applyDeviceRules(h.target(rel), rules)).toThrow(/^device rule 3 \(deny c 1:11 rwm\) makes a hole in rule 2 \(allow c 1:\* rwm\): cgroup v1 cannot do that[^\n]*$/);
        return;
      }
      applyDeviceRules(h.target(rel), rules);
      expect(await tryIn(dir, 'r:/dev/null', 'r:/dev/kmsg')).toEqual({ 'r:/dev/null': 'ok', 'r:/dev/kmsg': EPERM });
    });

    it('invalid rules are refused with one line, before anything is written', async () => {
      const { dir, rel } = newCgroup(h);
      expect(() => applyDeviceRules(h.target(rel), [...DEFAULT_DEVICE_RULES, { allow: true, type: 'x' } as unknown as DeviceRule])).toThrow(UsageError);
      expect(await tryIn(dir, 'r:/dev/kmsg')).toEqual({ 'r:/dev/kmsg': 'ok' });
      // the addon checks for itself too
      if (h.v2) expect(() => native().attachDeviceFilter(dir, [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rx' }])).toThrow(/^attachDeviceFilter: rule 1: access must be some of r, w, m$/);
    });
  });
}

describe('device rules, checked', () => {
  const bad: [unknown, RegExp][] = [
    [[{ allow: true, type: 'x' }], /^invalid device rule 1 \{"allow":true,"type":"x"\}: type must be a \(all\), b \(block\) or c \(char\)$/],
    [[{ allow: false }, { allow: 'yes' }], /^invalid device rule 2 \{"allow":"yes"\}: allow must be true or false$/],
    [[{ type: 'c', major: 1 }], /^invalid device rule 1 .*: allow must be true or false$/],
    [[{ allow: true, major: -2 }], /^invalid device rule 1 .*: major must be -1 \(any\) or a number from 0 to 4095$/],
    [[{ allow: true, major: 1.5 }], /: major must be/],
    [[{ allow: true, minor: '3' }], /^invalid device rule 1 .*: minor must be -1 \(any\) or a number from 0 to 1048575$/],
    [[{ allow: true, minor: 1 << 20 }], /: minor must be/],
    [[{ allow: true, access: 'rwx' }], /^invalid device rule 1 .*: access must be some of r \(read\), w \(write\) and m \(mknod\)/],
    [[{ allow: true, access: '' }], /: access must be/],
    [[{ allow: true, access: 'rr' }], /: access must be/],
    [[{ allow: true, acess: 'rw' }], /^invalid device rule 1 .*: unknown field "acess" \(the fields are allow, type, major, minor, access\)$/],
    [['c 1:3 rwm'], /^invalid device rule 1 "c 1:3 rwm": expected an object/],
    [{ allow: true }, /^device rules must be a list/],
  ];
  it.each(bad)('%j is refused with one line naming the rule', (rules, message) => {
    expect(() => validateDeviceRules(rules)).toThrow(UsageError);
    expect(() => validateDeviceRules(rules)).toThrow(message);
    try {
      validateDeviceRules(rules);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('absent fields mean: type a, any major, any minor, access rwm', () => {
    expect(validateDeviceRules([{ allow: false }, { allow: true, type: 'c', major: 136 }])).toEqual([
      { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
      { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' },
    ]);
  });

  it('v1 writes: deny all, then one devices.allow line per allowed device', () => {
    expect(v1DeviceWrites(DEFAULT_DEVICE_RULES)).toEqual([
      { file: 'devices.deny', value: 'a' },
      ...['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm'].map((value) => ({ file: 'devices.allow', value })),
    ]);
    // no rule for every device: deny is the default
    expect(v1DeviceWrites([{ allow: true, type: 'c', major: 1, minor: 3, access: 'wr' }])).toEqual([{ file: 'devices.deny', value: 'a' }, { file: 'devices.allow', value: 'c 1:3 rw' }]);
  });

  it('v1 writes: a list starting with allow-all is devices.allow a, then devices.deny lines; type a is c and b', () => {
    expect(v1DeviceWrites([{ allow: true }, { allow: false, major: 8, access: 'w' }])).toEqual([
      { file: 'devices.allow', value: 'a' },
      { file: 'devices.deny', value: 'c 8:* w' },
      { file: 'devices.deny', value: 'b 8:* w' },
    ]);
  });

  it('v1 writes: the rules are played through, so a later rule takes access out of an earlier one', () => {
    expect(v1DeviceWrites([{ allow: false }, { allow: true, type: 'c', major: 1, minor: 3 }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }, { allow: true, type: 'c', major: 1, minor: 5 }, { allow: false, type: 'c', major: 1 }])).toEqual([
      { file: 'devices.deny', value: 'a' },
    ]);
    // everything before the last rule for every device is gone
    expect(v1DeviceWrites([{ allow: true, type: 'c', major: 1, minor: 3 }, { allow: true }, { allow: false, type: 'b' }])).toEqual([
      { file: 'devices.allow', value: 'a' },
      { file: 'devices.deny', value: 'b *:* rwm' },
    ]);
  });
});
