/**
 * Address management: one file per address in use, $MINICTR_ROOT/networks/<net>/ips/<ip>,
 * created with O_EXCL and holding the container id. Creating the file IS taking the address,
 * so two concurrent `run`s can never get the same one; rm deletes the file.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError } from '../../errors.js';
import { checkName } from '../../names.js';
import { readBoundedFile } from '../../util/bounded-read.js';
import { paths } from '../../paths.js';
import { createFileExclusive } from '../../util/json-file.js';
import { intToIp, ipToInt, parseSubnet, subnetSize } from './cidr.js';
import type { NetworkConfig } from './store.js';

function ipsDir(net: string): string {
  return join(paths.networks(), checkName('network', net), 'ips');
}

export function allocateAddress(net: NetworkConfig, containerId: string): string {
  const s = parseSubnet(net.subnet);
  const dir = ipsDir(net.name);
  mkdirSync(dir, { recursive: true });
  const gateway = ipToInt(net.gateway);
  const size = subnetSize(s);
  // start at a random offset: concurrent runs then rarely even try the same address
  const start = 2 + Math.floor(Math.random() * Math.min(size - 3, 256));
  for (let i = 0; i < size - 3; i++) {
    const host = 2 + ((start - 2 + i) % (size - 3));
    const ip = s.base + host;
    if (ip === gateway) continue;
    try {
      createFileExclusive(join(dir, intToIp(ip)), containerId);
      return intToIp(ip);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new ConflictError(`network ${net.name} (${net.subnet}) has no free address left`);
}

const IP_RE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The file that is the lease of ip on net (what releaseAddress removes). */
export function leasePath(net: string, ip: string): string | undefined {
  return IP_RE.test(ip) ? join(ipsDir(net), ip) : undefined;
}

/**
 * Before a container's interface is wired (run, start, network connect): its recorded address
 * is still its own. A stopped container keeps its lease, but the next run's sweep
 * (runtime/lease-sweep.ts) frees the lease of a --rm container whose process died: a `start`
 * of it then takes the address again if it is free, and refuses it if another container has it
 * meanwhile (two containers never share an address).
 */
export function holdAddress(net: string, ip: string, containerId: string): void {
  const f = leasePath(net, ip);
  if (!f) throw new ConflictError(`container ${containerId.slice(0, 12)} has no valid address on network ${net} (${JSON.stringify(ip)})`);
  mkdirSync(ipsDir(net), { recursive: true });
  try {
    createFileExclusive(f, containerId);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = readBoundedFile(f, 128, 'address lease');
  if (owner !== containerId) {
    throw new ConflictError(`address ${ip} on network ${net} was given to container ${owner.slice(0, 12)} while container ${containerId.slice(0, 12)} was not running; remove it and run it again`);
  }
}

export function releaseAddress(net: string, ip: string, containerId: string): void {
  const f = leasePath(net, ip);
  if (!f) return;
  try {
    if (readFileSync(f, 'utf8') === containerId) rmSync(f);
  } catch {
    /* already free */
  }
}

/** ip -> container id, for every address in use on the network. */
export function addressesInUse(net: string): Map<string, string> {
  const out = new Map<string, string>();
  let entries: string[];
  try {
    entries = readdirSync(ipsDir(net));
  } catch {
    return out; // none yet
  }
  for (const ip of entries) {
    if (!IP_RE.test(ip)) continue;
    try {
      // an entry that is not a small file holding an id is not a lease anyone can own
      const id = readBoundedFile(join(ipsDir(net), ip), 128, 'address lease');
      if (/^[0-9a-f]{64}$/.test(id)) out.set(ip, id);
    } catch {
      /* being removed, or broken: skipped */
    }
  }
  return out;
}
