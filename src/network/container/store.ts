/**
 * Container networks: $MINICTR_ROOT/networks/<name>.json. The default network `bridge`
 * (host bridge minictr0, 10.88.0.0/16) is created on first use, as Docker's docker0 is.
 * Its subnet and bridge can be moved with MINICTR_BRIDGE_SUBNET / MINICTR_BRIDGE_NAME.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BrokenRecordError, ConflictError, MinictrError, NotFoundError } from '../../errors.js';
import { checkName, isValidName } from '../../names.js';
import { paths } from '../../paths.js';
import { readBoundedFile } from '../../util/bounded-read.js';
import type { BrokenRecord } from '../../util/broken.js';
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

/** The record's path, for a checked name only: a name never reaches a path unchecked. */
function file(name: string): string {
  return join(paths.networks(), `${checkName('network', name)}.json`);
}

export function validateNetworkName(name: string): void {
  checkName('network', name);
}

type NetworkRead = { net: NetworkConfig } | { broken: BrokenRecord };

function readNetworkFile(name: string): NetworkRead | undefined {
  const path = file(name);
  let value: unknown;
  try {
    value = JSON.parse(readBoundedFile(path, 1 << 20, 'network record'));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    const problem = err instanceof MinictrError ? err.message.replace(/^network record \S+ /, '') : (err as Error).message;
    return { broken: brokenNetwork(path, name, problem) };
  }
  const problem = networkProblem(value, name);
  return problem ? { broken: brokenNetwork(path, name, problem) } : { net: value as NetworkConfig };
}

function brokenNetwork(path: string, name: string, problem: string): BrokenRecord {
  return { kind: 'network', path, problem, fix: `restore it, or remove the network with 'minictr network rm -f ${name}'` };
}

function networkProblem(v: unknown, name: string): string | undefined {
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  if (r.name !== name) return `its name ${JSON.stringify(r.name)} is not the file's`;
  if (r.driver !== 'linux' && r.driver !== 'ovs') return `unknown driver ${JSON.stringify(r.driver)}`;
  if (typeof r.bridge !== 'string' || !isValidName('interface', r.bridge)) return `bridge ${JSON.stringify(r.bridge)} is not an interface name`;
  try {
    parseSubnet(String(r.subnet));
  } catch {
    return `subnet ${JSON.stringify(r.subnet)} is not a subnet`;
  }
  if (typeof r.gateway !== 'string' || !/^\d+\.\d+\.\d+\.\d+$/.test(r.gateway)) return `gateway ${JSON.stringify(r.gateway)} is not an address`;
  return undefined;
}

/** The records of every network: readable ones, and broken ones (reported, kept). */
export function scanNetworks(): { networks: NetworkConfig[]; broken: BrokenRecord[] } {
  const out: { networks: NetworkConfig[]; broken: BrokenRecord[] } = { networks: [], broken: [] };
  let entries: string[];
  try {
    entries = readdirSync(paths.networks());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new MinictrError(`${paths.networks()} cannot be listed (${(err as NodeJS.ErrnoException).code}): the state root is damaged`);
  }
  for (const f of entries) {
    if (!f.endsWith('.json')) continue;
    const name = f.slice(0, -'.json'.length);
    if (!isValidName('network', name)) {
      out.broken.push({ kind: 'network', path: join(paths.networks(), f), problem: 'its file name is not a network name', fix: 'move it out of the store' });
      continue;
    }
    const r = readNetworkFile(name);
    if (r && 'net' in r) out.networks.push(r.net);
    else if (r) out.broken.push(r.broken);
  }
  return out;
}

export function listNetworks(): NetworkConfig[] {
  return scanNetworks().networks;
}

/** The network, or undefined when there is none of that name; a broken record is an error. */
export function findNetwork(name: string): NetworkConfig | undefined {
  if (!isValidName('network', name)) return undefined;
  const r = readNetworkFile(name);
  if (r && 'broken' in r) throw new BrokenRecordError(r.broken);
  return r?.net;
}

/** The broken record of a network, if that is what it is (for `network rm -f`). */
export function findBrokenNetwork(name: string): BrokenRecord | undefined {
  if (!isValidName('network', name)) return undefined;
  const r = readNetworkFile(name);
  return r && 'broken' in r ? r.broken : undefined;
}

function defaultNetwork(): Omit<NetworkConfig, 'created'> {
  const subnet = formatSubnet(parseSubnet(process.env.MINICTR_BRIDGE_SUBNET || '10.88.0.0/16'));
  const s = parseSubnet(subnet);
  return { name: DEFAULT_NETWORK, driver: 'linux', bridge: process.env.MINICTR_BRIDGE_NAME || 'minictr0', subnet, gateway: intToIp(s.base + 1) };
}

/**
 * The bridge of a network: a kernel link name (at most 15 bytes), so not the name itself but
 * a hash of it. Two names never share a bridge ("a.b" and "ab", or two long names with the
 * same start, once did): networks that are meant to be isolated would share a switch.
 */
export function bridgeNameFor(name: string): string {
  return `mctr-${createHash('sha256').update(name).digest('hex').slice(0, 10)}`;
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
    const twin = existing.find((n) => n.bridge === cfg.bridge);
    if (twin) throw new ConflictError(`network ${name} would share bridge ${cfg.bridge} with network ${twin.name}: choose another name`);
    if (existsSync(`/sys/class/net/${cfg.bridge}`)) throw new ConflictError(`network ${name}: a link ${cfg.bridge} already exists on the host and is not minictr's`);
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
  const path = file(name);
  if (!existsSync(path)) throw new NotFoundError(`no such network: ${name}`);
  rmSync(path, { force: true });
  rmSync(join(paths.networks(), name), { recursive: true, force: true });
}
