/**
 * `minictr-oci spec`: a config.json to start from, as `runc spec` writes one: `sh` on a
 * terminal in ./rootfs, Docker's capabilities, the usual mounts and masked paths. (A
 * container made by `minictr run` gets its spec from src/runtime/spec.ts instead.)
 */
import { DOCKER_DEFAULT_CAPS } from '../runtime/capabilities.js';
import { kernelMounts, MASKED_PATHS, READONLY_PATHS } from '../runtime/filesystem.js';
import { DEFAULT_PATH, OCI_VERSION, type OciSpec } from '../spec/config.js';

export function defaultSpec(): OciSpec {
  const caps = DOCKER_DEFAULT_CAPS.map((c) => `CAP_${c}`);
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: [`PATH=${DEFAULT_PATH}`, 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'minictr',
    mounts: kernelMounts(),
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  };
}
