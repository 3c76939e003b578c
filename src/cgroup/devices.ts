/**
 * Which device nodes a container may use: every device is denied except an allowlist, as
 * Docker and runc do (OCI runtime-spec `linux.resources.devices`). A rule is
 * `{ allow, type, major, minor, access }`: type a (char and block), c or b; major/minor
 * absent or -1 = any; access some of r (open for reading), w (for writing), m (mknod). Rules
 * are evaluated in order and the last matching one wins, for each access on its own. Without
 * a rule for "every device" (`{ allow: false }` or `{ allow: true }`: type a, any, rwm) the
 * default is deny.
 *
 * The kernel checks this on every open() and mknod() of a device node, in two ways:
 *   cgroup v1  the devices controller: `echo a > devices.deny` (deny all), then one
 *              `echo "c 1:3 rwm" > devices.allow` per allowed device (or the reverse for a
 *              list that starts by allowing all). v1 keeps a default and a list of
 *              exceptions, not an ordered rule list, so the rules are first played through
 *              to the final list (v1DeviceWrites). It cannot make a hole in a wildcard
 *              (allow c 1:*, then deny c 1:3): such a list is refused on v1.
 *   cgroup v2  no devices controller: an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) built
 *              from the rules and attached to the cgroup (native/src/devices.c), the same
 *              as `bpftool cgroup attach DIR device id N multi`. Setting rules again
 *              replaces minictr's earlier program atomically (BPF_F_REPLACE).
 * One difference is left: v1 allows an access only when a single allowed entry names all of
 * it (open O_RDWR needs an entry with both r and w; `c 1:3 r` plus `c 1:* w` is not enough),
 * the v2 program decides r and w each by its own last matching rule.
 * On v1, applying rules to a cgroup that has them already starts again from "deny all":
 * for that instant a process in it is refused even its allowed devices.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { isStepError, native, type DeviceRuleRecord } from '../native/index.js';
import { silent, type Explainer } from '../util/explain.js';
import { CgroupError, writeCgroupFileEach } from './files.js';
import { cgroupLayout, v1Hierarchies } from './hierarchy.js';
import { CGROUP_ROOT, cgroup2Root } from './mode.js';

export type DeviceType = 'a' | 'b' | 'c';

export interface DeviceRule {
  allow: boolean;
  /** a: char and block devices (the default), b: block, c: char */
  type?: DeviceType;
  /** absent or -1: any */
  major?: number;
  /** absent or -1: any */
  minor?: number;
  /** some of r, w, m (default rwm) */
  access?: string;
}

/** A checked rule, every field given: what the addon takes. */
export type CheckedDeviceRule = DeviceRuleRecord;

/** The largest device numbers Linux has (dev_t: 12 bits of major, 20 of minor). */
export const MAX_MAJOR = 4095;
export const MAX_MINOR = 1048575;

const c = (major: number, minor: number): DeviceRule => ({ allow: true, type: 'c', major, minor, access: 'rwm' });

/** What a Docker (runc) container may use by default: nothing but these. */
export const DEFAULT_DEVICE_RULES: readonly Readonly<DeviceRule>[] = Object.freeze(([
  { allow: false, access: 'rwm' }, // deny every device, then:
  { allow: true, type: 'c', major: -1, minor: -1, access: 'm' }, // mknod of any char device
  { allow: true, type: 'b', major: -1, minor: -1, access: 'm' }, // and of any block device
  c(1, 3), // /dev/null
  c(1, 5), // /dev/zero
  c(1, 7), // /dev/full
  c(1, 8), // /dev/random
  c(1, 9), // /dev/urandom
  c(5, 0), // /dev/tty
  c(5, 1), // /dev/console
  c(5, 2), // /dev/ptmx
  c(136, -1), // /dev/pts/*
] satisfies DeviceRule[]).map((r: DeviceRule) => Object.freeze(r)));

const FIELDS = ['allow', 'type', 'major', 'minor', 'access'];

/** "allow c 1:3 rwm", "deny a *:* rwm" */
export function formatDeviceRule(r: DeviceRule): string {
  const n = (v: number | undefined): string => (v === undefined || v < 0 ? '*' : String(v));
  return `${r.allow ? 'allow' : 'deny'} ${r.type ?? 'a'} ${n(r.major)}:${n(r.minor)} ${r.access ?? 'rwm'}`;
}

function checkNumber(v: unknown, max: number): number | string {
  if (v === undefined || v === null) return -1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -1 || v > max) return `must be -1 (any) or a number from 0 to ${max}`;
  return v;
}

/** Check a rule list (e.g. from a JSON file); one line naming the first bad rule otherwise. */
export function validateDeviceRules(rules: unknown): CheckedDeviceRule[] {
  if (!Array.isArray(rules)) throw new UsageError('device rules must be a list of { allow, type, major, minor, access }');
  return rules.map((r: unknown, i): CheckedDeviceRule => {
    const bad = (why: string): never => {
      let shown: string;
      try {
        shown = JSON.stringify(r) ?? String(r);
      } catch {
        shown = String(r);
      }
      throw new UsageError(`invalid device rule ${i + 1} ${shown}: ${why}`);
    };
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return bad('expected an object { allow, type, major, minor, access }');
    const o = r as Record<string, unknown>;
    const unknown = Object.keys(o).find((k) => !FIELDS.includes(k));
    if (unknown !== undefined) bad(`unknown field "${unknown}" (the fields are ${FIELDS.join(', ')})`);
    if (typeof o.allow !== 'boolean') bad('allow must be true or false');
    const type = o.type ?? 'a';
    if (type !== 'a' && type !== 'b' && type !== 'c') bad('type must be a (all), b (block) or c (char)');
    const major = checkNumber(o.major, MAX_MAJOR);
    if (typeof major === 'string') bad(`major ${major}`);
    const minor = checkNumber(o.minor, MAX_MINOR);
    if (typeof minor === 'string') bad(`minor ${minor}`);
    const access = o.access ?? 'rwm';
    if (typeof access !== 'string' || !/^[rwm]{1,3}$/.test(access) || new Set(access).size !== access.length) {
      bad('access must be some of r (read), w (write) and m (mknod), each once, e.g. "rwm"');
    }
    return { allow: o.allow as boolean, type: type as DeviceType, major: major as number, minor: minor as number, access: access as string };
  });
}

// ---------- cgroup v1 ----------

const ACC = { r: 2, w: 4, m: 1 } as const;
const bits = (access: string): number => [...access].reduce((b, ch) => b | ACC[ch as keyof typeof ACC], 0);
const letters = (b: number): string => `${b & ACC.r ? 'r' : ''}${b & ACC.w ? 'w' : ''}${b & ACC.m ? 'm' : ''}`;

const isAllDevices = (r: CheckedDeviceRule): boolean => r.type === 'a' && r.major < 0 && r.minor < 0 && bits(r.access) === 7;

/** One write to a v1 devices file. */
export interface V1DeviceWrite {
  file: 'devices.allow' | 'devices.deny';
  /** "a" or a line like "c 1:3 rwm" */
  value: string;
}

interface V1Entry {
  type: 'b' | 'c';
  major: number;
  minor: number;
  access: number;
  /** the rule that made it (1-based), for messages */
  rule: number;
}

/** The v1 writes giving these rules' result. v1 has a default (devices.list shows
 * "a *:* rwm" when it is allow) and exceptions: the rules are played through in order, as
 * the kernel would, to the final default and exceptions; then the default is written (which
 * clears the exceptions) and each exception after it. */
export function v1DeviceWrites(rules: readonly DeviceRule[]): V1DeviceWrite[] {
  const checked = validateDeviceRules(rules);
  let allowAll = false;
  let entries: V1Entry[] = [];
  checked.forEach((r, i) => {
    if (isAllDevices(r)) {
      allowAll = r.allow;
      entries = [];
      return;
    }
    const b = bits(r.access);
    for (const type of r.type === 'a' ? (['c', 'b'] as const) : [r.type]) {
      if (r.allow !== allowAll) {
        // an exception to the default: add it (the kernel merges the access of equal entries)
        const same = entries.find((e) => e.type === type && e.major === r.major && e.minor === r.minor);
        if (same) same.access |= b;
        else entries.push({ type, major: r.major, minor: r.minor, access: b, rule: i + 1 });
        continue;
      }
      // back to the default for these devices: take the access out of the entries it covers
      for (const e of entries) {
        if (e.type !== type || !(e.access & b)) continue;
        const covers = (mine: number, theirs: number): boolean => mine < 0 || (theirs >= 0 && mine === theirs);
        const meets = (mine: number, theirs: number): boolean => mine < 0 || theirs < 0 || mine === theirs;
        if (covers(r.major, e.major) && covers(r.minor, e.minor)) e.access &= ~b;
        else if (meets(r.major, e.major) && meets(r.minor, e.minor)) {
          const entry = formatDeviceRule({ allow: !allowAll, type: e.type, major: e.major, minor: e.minor, access: letters(e.access) });
          throw new CgroupError(`device rule ${i + 1} (${formatDeviceRule(r)}) makes a hole in rule ${e.rule} (${entry}): cgroup v1 cannot do that (devices.${r.allow ? 'allow' : 'deny'} only removes a whole entry); list the devices one by one instead`);
        }
      }
      entries = entries.filter((e) => e.access !== 0);
    }
  });
  const n = (v: number): string => (v < 0 ? '*' : String(v));
  return [
    { file: allowAll ? 'devices.allow' : 'devices.deny', value: 'a' },
    ...entries.map((e): V1DeviceWrite => ({ file: allowAll ? 'devices.deny' : 'devices.allow', value: `${e.type} ${n(e.major)}:${n(e.minor)} ${letters(e.access)}` })),
  ];
}

// ---------- where, and applying ----------

/** The mount point of the v1 devices hierarchy, if the host has one (hybrid, legacy). */
export function devicesV1Root(mountinfo?: string): string | undefined {
  // this host's: from the layout the cgroup was made with (read once per process), not
  // another read of /proc/self/mountinfo on every run; it prefers the same mount
  if (mountinfo === undefined) return cgroupLayout().v1.get('devices')?.mountPoint;
  const found = v1Hierarchies(mountinfo).filter((h) => h.controllers.includes('devices'));
  return (found.find((h) => h.mountPoint.startsWith(`${CGROUP_ROOT}/`)) ?? found[0])?.mountPoint;
}

/** A cgroup's dirs for applyDeviceRules, from its path below the hierarchy roots
 * (e.g. "minictr/<id>"): the v1 devices one if the host mounts that hierarchy, and the
 * cgroup2 one if it has cgroup2. */
export function deviceCgroupTarget(relative: string): DeviceCgroupTarget {
  const v1 = devicesV1Root();
  const v2 = cgroup2Root();
  return { ...(v1 ? { v1Dir: join(v1, relative) } : {}), ...(v2 ? { v2Dir: join(v2, relative) } : {}) };
}

export interface DeviceCgroupTarget {
  /** the cgroup in the v1 devices hierarchy; used when given */
  v1Dir?: string;
  /** the cgroup2 directory; used when there is no v1Dir */
  v2Dir?: string;
}

export type AppliedDeviceRules =
  | { via: 'v1'; dir: string; writes: V1DeviceWrite[] }
  | { via: 'v2'; dir: string; instructions: number; programId: number; replaced: boolean };

/** Make rules the cgroup's device allowlist: with the v1 devices controller when the cgroup
 * has a dir in that hierarchy, else with an eBPF program on its cgroup2 dir. Each step is
 * shown by --explain. Bad rules are a UsageError, what the kernel refuses a CgroupError. */
export function applyDeviceRules(target: DeviceCgroupTarget, rules: readonly DeviceRule[], explain: Explainer = silent): AppliedDeviceRules {
  const checked = validateDeviceRules(rules);
  if (target.v1Dir) {
    const dir = target.v1Dir;
    if (!existsSync(join(dir, 'devices.allow'))) throw new CgroupError(`${dir} is not a cgroup of the v1 devices hierarchy (it has no devices.allow)`);
    const writes = v1DeviceWrites(checked);
    // each run of writes to one file through one fd (the "a" reset, then the rules: 2 opens, not 13)
    for (let at = 0; at < writes.length;) {
      const file = writes[at]!.file;
      const run: { value: string; what: string }[] = [];
      for (; at < writes.length && writes[at]!.file === file; at++) {
        const w = writes[at]!;
        const what = w.value !== 'a'
          ? `${w.file === 'devices.allow' ? 'allow' : 'deny'} ${w.value}`
          : w.file === 'devices.deny' ? 'deny every device (this also clears what was allowed before)' : 'allow every device (this also clears what was denied before)';
        run.push({ value: w.value, what });
      }
      writeCgroupFileEach(join(dir, file), run, explain);
    }
    return { via: 'v1', dir, writes };
  }
  if (target.v2Dir) {
    const dir = target.v2Dir;
    let r: { instructions: number; id: number; replaced: boolean };
    try {
      r = native().attachDeviceFilter(dir, checked);
    } catch (err) {
      if (isStepError(err)) throw new CgroupError(`cannot set the device rules of ${dir}: ${err.message}`);
      throw err;
    }
    explain.note(`device rules, the last match wins: ${checked.map(formatDeviceRule).join('; ')}${checked.some(isAllDevices) ? '' : '; else deny'}`);
    explain.step(
      `allow only those devices: attach a BPF_PROG_TYPE_CGROUP_DEVICE program (${r.instructions} instructions) to ${dir}${r.replaced ? ', in place of the one before' : ''}`,
      `bpftool cgroup attach ${dir} device id ${r.id} multi`,
    );
    return { via: 'v2', dir, instructions: r.instructions, programId: r.id, replaced: r.replaced };
  }
  throw new CgroupError('cannot set device rules: this cgroup has neither a v1 devices hierarchy nor a cgroup2 directory');
}
