/** The addon's SHA-256 (native/src/sha256.c, the seccomp cache's hash) against node:crypto's,
 * at the lengths where its padding changes (55, 56, 63, 64, 119, 120 bytes) and beyond. */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/index.js';

const reference = (d: Buffer | string): string => createHash('sha256').update(d).digest('hex');

describe('sha256Hex', () => {
  it('gives FIPS 180-4\'s digests of "" and "abc"', () => {
    expect(native().sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(native().sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('agrees with node:crypto on buffers of every padding case and on UTF-8 strings', () => {
    for (const n of [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65537]) {
      const b = randomBytes(n);
      expect(native().sha256Hex(b)).toBe(reference(b));
    }
    const s = `{"profile":"é✓ ${'x'.repeat(300)}"}`;
    expect(native().sha256Hex(s)).toBe(reference(s));
  });

  it('refuses what is neither a Buffer nor a string', () => {
    expect(() => native().sha256Hex(42 as unknown as string)).toThrow(/sha256Hex\(data: Buffer \| string\)/);
  });
});
