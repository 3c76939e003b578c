/**
 * `minictr-oci features`: what this runtime carries out, in the runtime-spec's features
 * format (features.md), so an engine can ask instead of guessing. Built from the same tables
 * the parser and the C child use.
 */
import { CAPABILITIES } from '../runtime/capabilities.js';
import { OCI_VERSION } from '../spec/config.js';

const MOUNT_OPTIONS = [
  'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'lazytime', 'loud', 'mand', 'noatime',
  'nodev', 'nodiratime', 'noexec', 'nolazytime', 'nomand', 'norelatime', 'nostrictatime', 'nosuid', 'nosymfollow',
  'private', 'rbind', 'relatime', 'rprivate', 'rshared', 'rslave', 'runbindable', 'ro', 'rw', 'shared', 'silent',
  'slave', 'strictatime', 'suid', 'symfollow', 'sync', 'unbindable',
];

export function features(): object {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: MOUNT_OPTIONS,
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'],
      capabilities: Object.keys(CAPABILITIES).map((c) => `CAP_${c}`),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'],
        operators: ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE'],
        archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
        knownFlags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
        supportedFlags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { 'org.minictr.runtime': 'minictr-oci' },
  };
}
