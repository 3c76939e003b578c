/**
 * Container networks: $MINICTR_ROOT/networks/<name>.json. The default network `bridge`
 * (host bridge minictr0, 10.88.0.0/16) is created on first use, as Docker's docker0 is.
 * Its subnet and bridge can be moved with MINICTR_BRIDGE_SUBNET / MINICTR_BRIDGE_NAME.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../errors.js';
import { checkName } from '../../names.js';
import { paths } from '../../paths.js';
import { writeJsonFileSync } from '../../util/json-file.js';
import { formatSubnet, intToIp, overlaps, parseSubnet, type Subnet } from './cidr.js';

export type SwitchDriver = 'linux' | 'ovs';

export interface NetworkConfig {
  name: string;
  driver: SwitchDriver;
  /** the host-side switch: a Linux bridge or an OVS bridge */
  bridge: string;
  subnet: string;
  gateway: string;
  created: string;
}

export const DEFAULT_NETWORK = 'bridge';

function file(name: string): string {
  return join(paths.networks(), `${name}.json`);
}

export function validateNetworkName(name: string): void {
  checkName('network', name);
}

export function listNetworks(): NetworkConfig[] {
  if (!existsSync(paths.networks())) return [];
  return readdirSync(paths.networks())
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(paths.networks(), f), 'utf8')) as NetworkConfig);
}

export function findNetwork(name: string): NetworkConfig | undefined {
  try {
    return JSON.parse(readFileSync(file(name), 'utf8')) as NetworkConfig;
  } catch {
    return undefined;
  }
}

function defaultNetwork(): Omit<NetworkConfig, 'created'> {
  const subnet = formatSubnet(parseSubnet(process.env.MINICTR_BRIDGE_SUBNET || '10.88.0.0/16'));
  const s = parseSubnet(subnet);
  return { name: DEFAULT_NETWORK, driver: 'linux', bridge: process.env.MINICTR_BRIDGE_NAME || 'minictr0', subnet, gateway: intToIp(s.base + 1) };
}

/** Bridge names are kernel link names: at most 15 chars. */
function bridgeNameFor(name: string): string {
  return `mctr-${name.replace(/[^a-zA-Z0-9]/g, '').slice(0, 10)}`;
}

/** Record a network (the caller holds the networks lock). Overlaps are refused. */
export function defineNetwork(name: string, opts: { subnet?: string; driver?: SwitchDriver }): NetworkConfig {
  validateNetworkName(name);
  if (findNetwork(name)) throw new ConflictError(`network ${name} already exists`);
  let cfg: Omit<NetworkConfig, 'created'>;
  if (name === DEFAULT_NETWORK) cfg = defaultNetwork();
  else {
    const existing = listNetworks();
    const subnet = opts.subnet ? parseSubnet(opts.subnet) : pickFreeSubnet(existing.map((n) => n.subnet));
    cfg = { name, driver: opts.driver ?? 'linux', bridge: bridgeNameFor(name), subnet: formatSubnet(subnet), gateway: intToIp(subnet.base + 1) };
  }
  if (opts.driver) cfg.driver = opts.driver;
  const mine = parseSubnet(cfg.subnet);
  for (const other of listNetworks()) {
    if (overlaps(mine, parseSubnet(other.subnet))) {
      throw new ConflictError(`subnet ${cfg.subnet} overlaps network ${other.name} (${other.subnet})`);
    }
  }
  const clash = hostRoutes().find((r) => r.dev !== cfg.bridge && overlaps(mine, r.subnet));
  if (clash) {
    throw new ConflictError(`subnet ${cfg.subnet} overlaps the host's route ${formatSubnet(clash.subnet)} on ${clash.dev}: choose another with --subnet`);
  }
  const full: NetworkConfig = { ...cfg, created: new Date().toISOString() };
  mkdirSync(paths.networks(), { recursive: true });
  writeJsonFileSync(file(name), full);
  return full;
}

/** The host's IPv4 routes (except the default route), from /proc/net/route. */
export function hostRoutes(): { dev: string; subnet: Subnet }[] {
  let text: string;
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const le = (hex: string): number => Buffer.from(hex, 'hex').readUInt32LE(0);
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[7] !== '00000000')
    .map((f) => {
      const mask = le(f[7]!);
      return { dev: f[0]!, subnet: { base: (le(f[1]!) & mask) >>> 0, prefix: 32 - trailingZeroBits(mask) } };
    });
}

function trailingZeroBits(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; n < 32 && (m & 1) === 0; m >>>= 1) n++;
  return n;
}

/** 10.89.0.0/24, 10.89.1.0/24, ... the first /24 no network (or host route) uses. */
function pickFreeSubnet(used: string[]): Subnet {
  const taken = [...used.map(parseSubnet), ...hostRoutes().map((r) => r.subnet)];
  for (let i = 0; i < 256 * 100; i++) {
    const candidate = parseSubnet(`10.${89 + (i >> 8)}.${i & 255}.0/24`);
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  throw new ConflictError('no free subnet left in 10.89.0.0-10.188.255.0: give one with --subnet');
}

export function deleteNetworkRecord(name: string): void {
  if (!findNetwork(name)) throw new NotFoundError(`no such network: ${name}`);
  rmSync(file(name), { force: true });
  rmSync(join(paths.networks(), name), { recursive: true, force: true });
}
