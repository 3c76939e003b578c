/**
 * besideModule: a path beside a module from its file: URL, without node:url's parser; the
 * same path as fileURLToPath for every name pathToFileURL encodes.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { besideModule } from '../../src/util/module-path.js';

describe('besideModule', () => {
  it.each([
    '/work/minictr/dist/bundle/main-run.cjs',
    '/tmp/a b/c%20d/x.js',
    '/tmp/100%/#hash?q/ü日本/x.js',
    "/tmp/quote'\"[]{}|\\^`/x.js",
  ])('%s', (file) => {
    const url = pathToFileURL(file).href;
    expect(besideModule(url, '..', '..', 'bin', 'minictr')).toBe(join(dirname(fileURLToPath(url)), '..', '..', 'bin', 'minictr'));
    expect(besideModule(url)).toBe(dirname(file));
  });

  it('a URL not of the form file:/// goes to fileURLToPath (and its errors)', () => {
    expect(besideModule('file://localhost/tmp/x.js', 'y')).toBe('/tmp/y');
    expect(() => besideModule('https://example.com/x.js')).toThrow(TypeError);
  });

  it("this test's own module", () => {
    expect(besideModule(import.meta.url, 'module-path.test.ts')).toBe(fileURLToPath(import.meta.url));
  });
});
