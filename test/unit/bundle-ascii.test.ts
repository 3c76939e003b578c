/**
 * The CLI bundles (dist/bundle/*.cjs, what every minictr command loads first) must be pure
 * ASCII. bin/run-bundle.js reads them as latin1, a copy of the bytes: a non-ASCII character
 * (esbuild escapes them in strings, not in regular expression literals) would be read as
 * two wrong ones, and as UTF-8 the 1.4 MB file took ~1 ms more and V8 held it as a two-byte
 * string. The bundles are made here as `npm run build` makes them (scripts/bundle.mjs), in
 * memory.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_ENTRIES, bundleOptions } from '../../scripts/bundle.mjs';
import { parseDuration } from '../../src/build/plan.js';
import { parseGoDuration } from '../../src/runtime/healthcheck.js';

describe('the CLI bundle', () => {
  it('is ASCII only in each bundle, so Node reads it as a one-byte string', async () => {
    const r = await build({ ...bundleOptions, entryPoints: BUNDLE_ENTRIES, outdir: 'dist/bundle', write: false, logLevel: 'silent' });
    expect(r.outputFiles).toHaveLength(BUNDLE_ENTRIES.length);
    const offending = r.outputFiles.flatMap((f) =>
      f.text.split('\n').flatMap((l, i) => (/[\u0080-\uffff]/.test(l) ? [`${f.path}:${i + 1}: ${l.trim().slice(0, 120)}`] : [])));
    expect(offending).toEqual([]);
  }, 30_000);

  it('the duration parsers still take Go\'s "µs" (written \\u00b5 in their regular expressions)', () => {
    expect(parseDuration('1500\u00b5s')).toBe(1_500_000);
    expect(parseDuration('2us')).toBe(2000);
    expect(parseGoDuration('1500\u00b5s')).toBe(parseGoDuration('1500us'));
    expect(parseGoDuration('1500\u00b5s')).toBeDefined();
  });
});
