/**
 * The security layers of `minictr run`'s OCI spec, from the container's SecurityConfig
 * (security-options.ts) and what this process holds (host-facts.ts), as Docker builds them:
 *   capabilities     Docker's 14, then --cap-drop, then --cap-add (ALL: every one minictr
 *                    holds); a non-root user keeps them in the bounding set only
 *   seccomp          Docker's default profile (profiles/seccomp-default.json) or a file,
 *                    converted for those capabilities and this machine (its rules for
 *                    CAP_SYS_ADMIN open mount, unshare, setns ... only with that capability);
 *                    none with --privileged or seccomp=unconfined
 *   devices          Docker's allowlist (src/cgroup/devices.ts) plus each --device, whose
 *                    node is made in the container; --privileged: every device, and the
 *                    host's /dev nodes
 *   rlimits          RLIMIT_NOFILE 1024 soft (runc's and containerd's default), its hard
 *                    limit this process's own; then each --ulimit
 *   paths            masked and read-only /proc and /sys paths; none with --privileged or
 *                    systempaths=unconfined; --privileged also has /sys and /sys/fs/cgroup
 *                    writable; --read-only makes the root read-only
 * Pure: spec.ts puts the parts into the one spec, which minictr-oci's code then carries out.
 */
import { DEFAULT_DEVICE_RULES } from '../cgroup/devices.js';
import { defaultSeccompProfile, toOciSeccomp } from '../security/docker-profile.js';
import type { OciCapabilities, OciDevice, OciDeviceRule, OciMount, OciRlimit, OciSeccomp } from '../spec/config.js';
import { CAPABILITIES, DOCKER_DEFAULT_CAPS, type CapabilityName } from './capabilities.js';
import { MASKED_PATHS, READONLY_PATHS } from './filesystem.js';
import type { HostSecurityFacts } from './host-facts.js';
import type { SecurityConfig } from './security-options.js';

/** RLIM_INFINITY as Go writes it in config.json (2^64-1, read back as 2^64) */
export const RLIM_INFINITY = 2 ** 64;

/** runc's and containerd's default open-file limit */
export const DEFAULT_NOFILE = 1024;

export interface SecurityParts {
  capabilities: OciCapabilities;
  noNewPrivileges: boolean;
  rlimits: OciRlimit[];
  oomScoreAdj?: number;
  seccomp?: OciSeccomp;
  /** nodes made in the container's /dev */
  devices: OciDevice[];
  /** linux.resources.devices */
  deviceRules: OciDeviceRule[];
  maskedPaths: string[];
  readonlyPaths: string[];
  sysctl: Record<string, string>;
  rootReadonly: boolean;
}

const byNumber = (a: CapabilityName, b: CapabilityName): number => CAPABILITIES[a] - CAPABILITIES[b];

/** The container's capabilities, as Docker's TweakCapabilities computes them. */
export function containerCapabilities(s: Pick<SecurityConfig, 'privileged' | 'capAdd' | 'capDrop'>, held: readonly CapabilityName[]): CapabilityName[] {
  const all = [...held].sort(byNumber);
  if (s.privileged) return all;
  const adds = s.capAdd.filter((c) => c !== 'ALL') as CapabilityName[];
  const drops = s.capDrop as (CapabilityName | 'ALL')[];
  if (s.capAdd.includes('ALL')) return all.filter((c) => !drops.includes(c));
  const base = drops.includes('ALL') ? [] : DOCKER_DEFAULT_CAPS.filter((c) => !drops.includes(c));
  return [...new Set([...base, ...adds])];
}

/** The seccomp filter's profile for these capabilities, or none. */
export function containerSeccomp(s: SecurityConfig, caps: readonly CapabilityName[], host: Pick<HostSecurityFacts, 'machine' | 'kernel'>): OciSeccomp | undefined {
  if (s.privileged || s.seccomp.mode === 'unconfined') return undefined;
  const target = { capabilities: caps.map((c) => `CAP_${c}`), machine: host.machine, kernel: host.kernel };
  if (s.seccomp.mode === 'file') return toOciSeccomp(s.seccomp.profile, target, `--security-opt seccomp=${s.seccomp.path}`);
  return toOciSeccomp(defaultSeccompProfile(), target, 'profiles/seccomp-default.json');
}

export function containerRlimits(s: Pick<SecurityConfig, 'ulimits'>, hardLimits: Record<string, number>): OciRlimit[] {
  const inSpec = (v: number): number => (v === -1 ? RLIM_INFINITY : v);
  const hard = hardLimits.RLIMIT_NOFILE ?? -1;
  const out: OciRlimit[] = [{ type: 'RLIMIT_NOFILE', soft: hard === -1 ? DEFAULT_NOFILE : Math.min(DEFAULT_NOFILE, hard), hard: inSpec(hard) }];
  for (const u of s.ulimits) {
    const l = { type: u.type, soft: inSpec(u.soft), hard: inSpec(u.hard) };
    const i = out.findIndex((r) => r.type === u.type);
    if (i >= 0) out[i] = l;
    else out.push(l);
  }
  return out;
}

export function securityParts(s: SecurityConfig, root: boolean, host: HostSecurityFacts): SecurityParts {
  const caps = containerCapabilities(s, host.heldCaps);
  const names = caps.map((c) => `CAP_${c}`);
  const seccomp = containerSeccomp(s, caps, host);
  const devices: OciDevice[] = s.privileged ? host.hostDevices() : [];
  for (const d of s.devices) {
    devices.push({ type: d.type, path: d.path, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: d.uid, gid: d.gid });
  }
  const deviceRules: OciDeviceRule[] = s.privileged
    ? [{ allow: true, access: 'rwm' }]
    : [...DEFAULT_DEVICE_RULES.map((r) => ({ ...r }) as OciDeviceRule), ...s.devices.map((d): OciDeviceRule => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.access }))];
  const systemPaths = !s.privileged && !s.unmaskedPaths;
  return {
    // as Docker: a non-root user keeps the bounding set but no capability in effect
    capabilities: { bounding: names, effective: root ? names : [], permitted: root ? [...names] : [] },
    noNewPrivileges: s.noNewPrivileges,
    rlimits: containerRlimits(s, host.hardLimits),
    ...(s.oomScoreAdj !== undefined ? { oomScoreAdj: s.oomScoreAdj } : {}),
    ...(seccomp ? { seccomp } : {}),
    devices,
    deviceRules,
    maskedPaths: systemPaths ? [...MASKED_PATHS] : [],
    readonlyPaths: systemPaths ? [...READONLY_PATHS] : [],
    sysctl: { ...s.sysctls },
    rootReadonly: s.readOnly,
  };
}

/** The kernel mounts as this config has them: /dev/shm's size, and /sys and /sys/fs/cgroup
 * writable for --privileged (as Docker). */
export function securityMounts(mounts: OciMount[], s: Pick<SecurityConfig, 'privileged' | 'shmSize'>): OciMount[] {
  return mounts.map((m) => {
    if (m.destination === '/dev/shm' && s.shmSize !== undefined) {
      const size = s.shmSize % 1024 === 0 ? `size=${s.shmSize / 1024}k` : `size=${s.shmSize}`;
      return { ...m, options: [...(m.options ?? []).filter((o) => !o.startsWith('size=')), size] };
    }
    if (s.privileged && (m.destination === '/sys' || m.destination === '/sys/fs/cgroup')) {
      return { ...m, options: (m.options ?? []).filter((o) => o !== 'ro') };
    }
    return m;
  });
}
