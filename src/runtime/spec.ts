/**
 * `minictr run`'s one description of a container: its flags and its image's config become an
 * OCI runtime-spec config.json, the same record an engine hands minictr-oci. Built here once
 * per start and never patched afterwards; what `run` adds on top (the overlay of image
 * layers, the bridge network's eth0, the detached monitor) is not in the spec but in the
 * launch options (src/runtime/launch.ts). `minictr inspect` shows this spec.
 */
import { join } from 'node:path';
import { CGROUP_PARENT } from '../cgroup/paths.js';
import { resourcesFromLimits } from '../cgroup/resources.js';
import type { NetworkMode } from '../network/container/mode.js';
import { DEFAULT_PATH, OCI_VERSION, type OciMount, type OciNamespace, type OciSpec } from '../spec/config.js';
import { kernelMounts } from './filesystem.js';
import { hostSecurityFacts, type HostSecurityFacts } from './host-facts.js';
import { DEFAULT_SECURITY } from './security-options.js';
import { securityMounts, securityParts, type SecurityParts } from './security-spec.js';
import type { Container } from './store.js';
import type { UserIds } from './users.js';


export interface SpecInputs {
  container: Container;
  /** the image config's Env */
  imageEnv: string[];
  /** -u / the image's User, resolved in the container's /etc/passwd; root when absent */
  user?: UserIds;
  /** /etc/hosts, hostname and resolv.conf, bound over the image's */
  etcMounts: OciMount[];
  /** --network, as the container records it (parsed once, at start) */
  network: NetworkMode;
  /** the network namespace to join for --network container:X / netns:X */
  joinNetns?: string;
  ttySize?: { rows: number; cols: number };
  /** the user's supplementary groups (users.ts supplementaryGroups: /etc/group, --group-add) */
  groups?: number[];
  /** what this process may hand the container; default: read from this machine */
  host?: HostSecurityFacts;
}

/** PATH, HOSTNAME, HOME (and TERM with a tty), then the image's Env, then -e: later wins. */
export function containerEnv(hostname: string, tty: boolean, imageEnv: string[], userEnv: string[]): string[] {
  const env = new Map<string, string>();
  const put = (kv: string): void => {
    const eq = kv.indexOf('=');
    if (eq > 0) env.set(kv.slice(0, eq), kv);
  };
  [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`, 'HOME=/root'].forEach(put);
  if (tty) put('TERM=xterm');
  imageEnv.forEach(put);
  userEnv.forEach(put);
  return [...env.values()];
}

/** The security layers (security-spec.ts): capabilities, seccomp, devices, rlimits, paths. */
function securityOf(i: SpecInputs): SecurityParts {
  const root = !i.user || i.user.uid === 0;
  return securityParts(i.container.config.security ?? DEFAULT_SECURITY, root, i.host ?? hostSecurityFacts());
}

export function buildContainerSpec(i: SpecInputs): OciSpec {
  const c = i.container.config;
  const mode = i.network;
  const namespaces: OciNamespace[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }];
  if (mode.kind === 'container' || mode.kind === 'netns') namespaces.push({ type: 'network', path: i.joinNetns });
  else if (mode.kind !== 'host') namespaces.push({ type: 'network' });

  const mounts: OciMount[] = [...kernelMounts(), ...i.etcMounts];
  for (const v of c.volumes) {
    const ro = v.readonly ? ['ro'] : [];
    if (v.type === 'tmpfs') {
      mounts.push({ destination: v.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', `size=${v.size !== undefined ? v.size : '65536k'}`, ...ro] });
      continue;
    }
    // a host path, or a volume: its directory on the host (volumes/NAME/_data) bound in
    mounts.push({ destination: v.target, type: 'bind', source: v.source, options: ['rbind', 'rprivate', ...ro] });
  }
  for (const t of c.tmpfs) {
    mounts.push({ destination: t, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=65536k'] });
  }
  const sec = securityOf(i);
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: c.tty,
      ...(i.ttySize ? { consoleSize: { height: i.ttySize.rows, width: i.ttySize.cols } } : {}),
      user: { uid: i.user?.uid ?? 0, gid: i.user?.gid ?? 0, ...(i.groups?.length ? { additionalGids: i.groups } : {}) },
      args: c.command,
      env: containerEnv(c.hostname, c.tty, i.imageEnv, c.env),
      cwd: c.cwd,
      capabilities: sec.capabilities,
      rlimits: sec.rlimits,
      noNewPrivileges: sec.noNewPrivileges,
      ...(sec.oomScoreAdj !== undefined ? { oomScoreAdj: sec.oomScoreAdj } : {}),
    },
    root: { path: join(i.container.dir, 'merged'), ...(sec.rootReadonly ? { readonly: true } : {}) },
    hostname: c.hostname,
    mounts: securityMounts(mounts, i.container.config.security ?? DEFAULT_SECURITY),
    annotations: { 'org.minictr.name': c.name, 'org.minictr.image': c.image },
    linux: {
      namespaces,
      cgroupsPath: `${CGROUP_PARENT}/${c.id}`,
      // Docker's device allowlist and each --device: any other device node, from the image or mknod, is unusable
      resources: { ...resourcesFromLimits(c.resources), devices: sec.deviceRules },
      ...(sec.devices.length ? { devices: sec.devices } : {}),
      ...(Object.keys(sec.sysctl).length ? { sysctl: sec.sysctl } : {}),
      ...(sec.seccomp ? { seccomp: sec.seccomp } : {}),
      maskedPaths: sec.maskedPaths,
      readonlyPaths: sec.readonlyPaths,
    },
  };
}
