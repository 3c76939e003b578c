/**
 * `minictr inspect`: what a container is, as JSON (`minictr ps`'s table is ps.ts). The
 * namespaces are read from the kernel (/proc/PID/ns/*), so a student can compare their
 * inode numbers with `ls -l /proc/$$/ns` inside; Spec is the OCI config.json it runs from,
 * the same record `minictr-oci` takes from an engine.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { formatDeviceRule } from '../cgroup/devices.js';
import { cgroupInfo } from '../cgroup/info.js';
import { compileSeccomp, describeSeccomp } from '../security/seccomp.js';
import type { OciSpec } from '../spec/config.js';
import { DEFAULT_SECURITY, securityOptStrings, ULIMIT_NAMES } from './security-options.js';
import { RLIM_INFINITY } from './security-spec.js';
import { attachments } from '../network/container/attach.js';
import { containerMac } from '../network/container/antispoof.js';
import { portsText } from './ps.js';
import { cgroupName, isRestarting, isRunning, readHealth, specFile, type Container } from './store.js';

const NAMESPACES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts'] as const;

export function namespaces(pid: number, user = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ns of user ? [...NAMESPACES, 'user'] : NAMESPACES) {
    try {
      out[ns] = readlinkSync(`/proc/${pid}/ns/${ns}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

export function inspectContainer(c: Container): Record<string, unknown> {
  const running = isRunning(c);
  const restarting = isRestarting(c);
  const spec = readSpec(c);
  return {
    Id: c.config.id,
    Name: c.config.name,
    Created: c.config.created,
    Image: c.config.image,
    ImageId: c.config.imageId,
    Path: c.config.command[0],
    Args: c.config.command.slice(1),
    Config: {
      Hostname: c.config.hostname,
      Env: c.config.env,
      Cmd: c.config.command,
      WorkingDir: c.config.cwd,
      User: c.config.user ?? '',
      Tty: c.config.tty,
      OpenStdin: c.config.interactive,
      AutoRemove: c.config.autoRemove,
      ...(c.config.healthcheck ? { Healthcheck: c.config.healthcheck } : {}),
      Labels: c.config.labels ?? {},
      ...(c.config.stopSignal ? { StopSignal: c.config.stopSignal } : {}),
      ...(c.config.stopTimeout !== undefined ? { StopTimeout: c.config.stopTimeout } : {}),
    },
    State: {
      Status: running ? 'running' : restarting ? 'restarting' : c.state.status,
      Running: running,
      Restarting: restarting,
      Pid: running ? c.state.pid : 0,
      ExitCode: c.state.exitCode ?? 0,
      Error: c.state.error ?? '',
      StartedAt: c.state.startedAt ?? '',
      FinishedAt: c.state.finishedAt ?? '',
      ...(c.config.healthcheck ? { Health: readHealth(c) } : {}),
      ...stateExtras(c),
    },
    RestartCount: c.state.restartCount ?? 0,
    Mounts: [
      { Type: 'overlay', Destination: '/', Source: join(c.dir, 'merged'), UpperDir: join(c.dir, 'upper') },
      ...c.config.volumes.map((v) =>
        v.type === 'volume'
          ? { Type: 'volume', Name: v.volume, Source: v.source, Destination: v.target, Driver: 'local', RW: !v.readonly }
          : v.type === 'tmpfs'
            ? { Type: 'tmpfs', Destination: v.target, RW: !v.readonly, ...(v.size !== undefined ? { Size: v.size } : {}) }
            : { Type: 'bind', Source: v.source, Destination: v.target, RW: !v.readonly },
      ),
      ...c.config.tmpfs.map((t) => ({ Type: 'tmpfs', Destination: t })),
    ],
    // where the kernel keeps the container's cgroup and the limits it enforces (read back
    // from the cgroup files), next to the limits asked for (run flags, update)
    Cgroup: { ...cgroupInfo(cgroupName(c.config.id)), Requested: c.config.resources ?? {} },
    Namespaces: running ? namespaces(c.state.pid!, c.config.userns !== undefined) : {},
    UserNamespace: userNamespace(c, running),
    NetworkSettings: networkSettings(c),
    LogPath: c.state.detached ? join(c.dir, 'container.log') : '',
    // the security flags as given (Docker's names), and what the container runs with
    HostConfig: hostConfig(c),
    Security: spec ? securityView(c, spec) : {},
    // the OCI runtime-spec config.json this container was last started from (spec.ts)
    Spec: spec,
  };
}

/**
 * --userns=remap: who the container's ids are on the host. Running, the maps are read back
 * from the kernel (/proc/PID/uid_map, the lines `cat /proc/self/uid_map` shows inside);
 * otherwise they are the ones it was created with.
 */
function userNamespace(c: Container, running: boolean): Record<string, unknown> {
  const u = c.config.userns;
  if (!u) return { Mode: 'host' };
  const recorded = (maps: { containerID: number; hostID: number; size: number }[]): string[] => maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`);
  const kernel = (file: string): string[] | undefined => {
    try {
      return readFileSync(`/proc/${c.state.pid}/${file}`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    } catch {
      return undefined;
    }
  };
  return {
    Mode: u.mode,
    SubordinateIdsOf: u.user,
    UidMap: (running && kernel('uid_map')) || recorded(u.uidMappings),
    GidMap: (running && kernel('gid_map')) || recorded(u.gidMappings),
  };
}

function hostConfig(c: Container): Record<string, unknown> {
  const s = c.config.security ?? DEFAULT_SECURITY;
  const ulimitName = Object.fromEntries(Object.entries(ULIMIT_NAMES).map(([k, v]) => [v, k]));
  return {
    Privileged: s.privileged,
    CapAdd: s.capAdd,
    CapDrop: s.capDrop,
    ReadonlyRootfs: s.readOnly,
    SecurityOpt: securityOptStrings(s),
    Ulimits: s.ulimits.map((u) => ({ Name: ulimitName[u.type], Soft: u.soft, Hard: u.hard })),
    Sysctls: s.sysctls,
    OomScoreAdj: s.oomScoreAdj ?? 0,
    ShmSize: s.shmSize ?? 64 * 1024 * 1024,
    GroupAdd: s.groupAdd,
    Devices: s.devices.map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.path, CgroupPermissions: d.access })),
    RestartPolicy: c.config.restartPolicy ?? { Name: 'no', MaximumRetryCount: 0 },
  };
}

/** The layers that confine the container, by name, from the spec it was started with. */
function securityView(c: Container, spec: OciSpec): Record<string, unknown> {
  const s = c.config.security ?? DEFAULT_SECURITY;
  const names = (l: string[] | undefined): string[] => (l ?? []).map((n) => n.replace(/^CAP_/, ''));
  const caps = spec.process?.capabilities;
  const limit = (v: number): number | string => (v >= RLIM_INFINITY ? 'unlimited' : v);
  let seccomp: Record<string, unknown> = { Mode: 'unconfined', Profile: 'unconfined' };
  if (spec.linux?.seccomp) {
    const compiled = compileSeccomp(spec.linux.seccomp);
    seccomp = {
      Mode: 'filter',
      Profile: s.seccomp.mode === 'file' ? s.seccomp.path : 'default (profiles/seccomp-default.json, Docker\'s)',
      SyscallsAllowed: compiled.allowed,
      DefaultAction: spec.linux.seccomp.defaultAction,
      Summary: describeSeccomp(compiled),
    };
  }
  return {
    Privileged: s.privileged,
    Capabilities: { Effective: names(caps?.effective), Bounding: names(caps?.bounding) },
    Seccomp: seccomp,
    NoNewPrivileges: spec.process?.noNewPrivileges ?? false,
    DeviceRules: (spec.linux?.resources?.devices ?? []).map(formatDeviceRule),
    Devices: (spec.linux?.devices ?? []).map((d) => `${d.path} ${d.type} ${d.major}:${d.minor}`),
    Rlimits: (spec.process?.rlimits ?? []).map((r) => ({ Type: r.type, Soft: limit(r.soft), Hard: limit(r.hard) })),
    ReadonlyRootfs: spec.root?.readonly ?? false,
    MaskedPaths: spec.linux?.maskedPaths ?? [],
    ReadonlyPaths: spec.linux?.readonlyPaths ?? [],
    SupplementaryGroups: spec.process?.user.additionalGids ?? [],
  };
}

function readSpec(c: Container): OciSpec | null {
  try {
    return JSON.parse(readFileSync(specFile(c.dir), 'utf8')) as OciSpec;
  } catch {
    return null; /* never started */
  }
}

function networkSettings(c: Container): Record<string, unknown> {
  const n = c.config.network;
  return {
    Mode: n?.mode ?? 'none',
    IPAddress: n?.ip ?? '',
    Ports: portsText(c),
    Networks: Object.fromEntries(attachments(n).map((a) => [a.network, { IPAddress: a.ip, Interface: a.ifname, MacAddress: containerMac(a.ip), Aliases: a.aliases ?? [] }])),
    Dns: n?.dns ?? [],
  };
}

/** Fields other modules add to the state (e.g. OOMKilled from the cgroup code). */
function stateExtras(c: Container): Record<string, unknown> {
  const { status: _s, pid: _p, pidStart: _ps, startedAt: _sa, finishedAt: _f, exitCode: _e, error: _er, detached: _d, restartCount: _rc, backoffMs: _b, stoppedByUser: _u, restarting: _r, ...rest } = c.state as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]));
}
