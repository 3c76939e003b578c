/**
 * The CLI bundle (dist/bundle/main.cjs, what every minictr command loads first) must be pure
 * ASCII. One non-ASCII character anywhere (esbuild escapes them in strings, not in regular
 * expression literals) makes Node decode the whole 1.2 MB file as UTF-8 and V8 hold and
 * scan it as a two-byte string: about 2 ms more on every start (readFileSync and the code
 * cache check in bin/run-bundle.js). The bundle is made here as `npm run build` makes it
 * (scripts/bundle.mjs), in memory.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleOptions } from '../../scripts/bundle.mjs';
import { parseDuration } from '../../src/build/plan.js';
import { parseGoDuration } from '../../src/runtime/healthcheck.js';

describe('the CLI bundle', () => {
  it('is ASCII only, so Node reads it as a one-byte string', async () => {
    const r = await build({ ...bundleOptions, entryPoints: ['src/cli/main.ts'], write: false, logLevel: 'silent' });
    const text = r.outputFiles[0]!.text;
    const lines = text.split('\n');
    const offending = lines.flatMap((l, i) => (/[\u0080-\uffff]/.test(l) ? [`${i + 1}: ${l.trim().slice(0, 120)}`] : []));
    expect(offending).toEqual([]);
  }, 30_000);

  it('the duration parsers still take Go\'s "µs" (written \\u00b5 in their regular expressions)', () => {
    expect(parseDuration('1500\u00b5s')).toBe(1_500_000);
    expect(parseDuration('2us')).toBe(2000);
    expect(parseGoDuration('1500\u00b5s')).toBe(parseGoDuration('1500us'));
    expect(parseGoDuration('1500\u00b5s')).toBeDefined();
  });
});
