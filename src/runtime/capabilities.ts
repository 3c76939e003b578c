/**
 * Linux capabilities by name (include/uapi/linux/capability.h) and Docker's default set:
 * the 14 a container's root keeps. Everything else (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ...)
 * is dropped from the bounding set before the command runs.
 */
export const CAPABILITIES = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6,
  SETUID: 7, SETPCAP: 8, LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11,
  NET_ADMIN: 12, NET_RAW: 13, IPC_LOCK: 14, IPC_OWNER: 15, SYS_MODULE: 16, SYS_RAWIO: 17,
  SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_PACCT: 20, SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23,
  SYS_RESOURCE: 24, SYS_TIME: 25, SYS_TTY_CONFIG: 26, MKNOD: 27, LEASE: 28, AUDIT_WRITE: 29,
  AUDIT_CONTROL: 30, SETFCAP: 31, MAC_OVERRIDE: 32, MAC_ADMIN: 33, SYSLOG: 34, WAKE_ALARM: 35,
  BLOCK_SUSPEND: 36, AUDIT_READ: 37, PERFMON: 38, BPF: 39, CHECKPOINT_RESTORE: 40,
} as const;

export type CapabilityName = keyof typeof CAPABILITIES;

export const DOCKER_DEFAULT_CAPS: readonly CapabilityName[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID',
  'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

/** "net_admin", "CAP_NET_ADMIN" -> "NET_ADMIN", as Docker reads --cap-add/--cap-drop; "ALL"
 * stays "ALL"; undefined for a name Linux does not have. */
export function normalizeCapability(name: string): CapabilityName | 'ALL' | undefined {
  const short = name.trim().toUpperCase().replace(/^CAP_/, '');
  if (short === 'ALL') return 'ALL';
  return short in CAPABILITIES ? (short as CapabilityName) : undefined;
}

/** The capabilities in a /proc/PID/status mask ("000001fffeffffff"), lowest number first. */
export function capabilitiesInMask(hex: string): CapabilityName[] {
  const mask = BigInt(`0x${hex}`);
  return (Object.keys(CAPABILITIES) as CapabilityName[]).filter((n) => (mask >> BigInt(CAPABILITIES[n])) & 1n);
}
