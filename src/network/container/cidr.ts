/** IPv4 addresses and subnets as numbers: parsing, validation, overlap, iteration. */
import { UsageError } from '../../errors.js';

export interface Subnet {
  /** network address as a 32-bit unsigned number */
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseSubnet(cidr: string): Subnet {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const base = m ? ipToInt(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (base === undefined || !(prefix >= 8 && prefix <= 30)) {
    throw new UsageError(`invalid subnet "${cidr}": expected an IPv4 CIDR like 10.89.0.0/24 (prefix 8-30)`);
  }
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) throw new UsageError(`invalid subnet "${cidr}": host bits set (did you mean ${intToIp((base & mask) >>> 0)}/${prefix}?)`);
  return { base, prefix };
}

export function subnetSize(s: Subnet): number {
  return 2 ** (32 - s.prefix);
}

export function formatSubnet(s: Subnet): string {
  return `${intToIp(s.base)}/${s.prefix}`;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const aEnd = a.base + subnetSize(a);
  const bEnd = b.base + subnetSize(b);
  return a.base < bEnd && b.base < aEnd;
}

export function contains(s: Subnet, ip: number): boolean {
  return ip >= s.base && ip < s.base + subnetSize(s);
}
