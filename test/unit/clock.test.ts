import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/util/clock.js';

describe('isoTime (util/clock.ts): Date#toISOString without the time-zone cache', () => {
  it('writes what toISOString writes, around leap days, century years and the epoch', () => {
    const at = [
      0, -1, 1, 951_782_400_000 /* 2000-02-29 */, 951_868_799_999, 4_107_542_400_000 /* 2100-03-01 */,
      -62_167_219_200_000 /* 0000-01-01 */, 253_402_300_799_999 /* 9999-12-31T23:59:59.999 */,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2026, 11, 3, 11, 36, 22, 5), Date.UTC(1969, 11, 31, 0, 0, 0, 1),
    ];
    // and a spread of times over 0000-9999, deterministic
    for (let i = 0, x = 12345; i < 2000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
      at.push(Math.floor(-62_167_219_200_000 + (x / 2_147_483_648) * 315_537_897_599_999));
    }
    for (const ms of at) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('outside 0000-9999 it is toISOString itself (+YYYYYY, -YYYYYY)', () => {
    expect(isoTime(253_402_300_800_000)).toBe('+010000-01-01T00:00:00.000Z');
    expect(isoTime(-62_167_219_200_001)).toBe('-000001-12-31T23:59:59.999Z');
  });
});
