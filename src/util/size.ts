/**
 * Byte sizes as users type them and as minictr prints them, in binary units as Docker reads
 * them (go-units RAMInBytes): "64m", "1.5g", "512k", "1048576", "64MiB", "64mb".
 */
import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "64m", "1.5g", "512k", "1048576", "64MiB", "64mb" -> bytes; `flag` names the input in errors. */
export function parseBytes(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`invalid ${flag} "${value}": expected a size like 64m, 512k or 1g (units b, k, m, g, t)`);
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`invalid ${flag} "${value}": too large`);
  return bytes;
}

/** 67108864 -> "64MiB" */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : Number(v.toFixed(v < 10 ? 2 : 1))}${units[i]}`;
}
