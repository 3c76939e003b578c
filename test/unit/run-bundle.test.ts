/**
 * bin/run-bundle.js names a command's V8 code cache after its verb. It used to take the
 * first lowercase word, so `minictr-oci --log-format json state X` ran from (and wrote) a
 * cache named `json`, shared by every verb called with that flag.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { OCI_GLOBAL_FLAGS } from '../../src/cli/oci/context.js';

const { cacheVerb, minictrBundles, OCI_VALUE_FLAGS } = createRequire(import.meta.url)('../../bin/run-bundle.js') as {
  cacheVerb: (args: string[], valueFlags?: string[]) => string;
  minictrBundles: (args: string[]) => string[];
  OCI_VALUE_FLAGS: string[];
};

describe('the code cache verb (bin/run-bundle.js)', () => {
  it('skips the value of a global flag that takes one', () => {
    expect(cacheVerb(['--log-format', 'json', 'state', 'web'], OCI_VALUE_FLAGS)).toBe('state');
    expect(cacheVerb(['--root', '/run/x', '--log', 'log', 'kill', 'web', 'KILL'], OCI_VALUE_FLAGS)).toBe('kill');
    expect(cacheVerb(['--log-format=json', 'delete', 'web'], OCI_VALUE_FLAGS)).toBe('delete');
    expect(cacheVerb(['--debug', 'create', '--bundle', 'b', 'web'], OCI_VALUE_FLAGS)).toBe('create');
  });

  it('takes the first word of minictr, and none where there is no verb-like word', () => {
    expect(cacheVerb(['run', '--rm', 'busybox', 'true'])).toBe('run');
    expect(cacheVerb(['--version'])).toBe('none');
    expect(cacheVerb(['--root', '/x'], OCI_VALUE_FLAGS)).toBe('none');
    expect(cacheVerb(['../../etc', 'run'])).toBe('none');
    expect(cacheVerb(['Run'])).toBe('none');
  });

  it("knows exactly minictr-oci's global flags that take a value", () => {
    expect([...OCI_VALUE_FLAGS].sort()).toEqual(OCI_GLOBAL_FLAGS.filter((f) => f.value).map((f) => f.flag).sort());
  });
});

describe('the bundles bin/minictr tries (bin/run-bundle.js minictrBundles)', () => {
  it('run, ps and --version first from their own bundle, then main.cjs (which takes what they decline)', () => {
    expect(minictrBundles(['run', '--rm', 'busybox', 'true'])).toEqual(['main-run', 'main']);
    expect(minictrBundles(['ps', '-a'])).toEqual(['main-ps', 'main']);
    expect(minictrBundles(['--version'])).toEqual(['version-main', 'main']);
    expect(minictrBundles(['-V'])).toEqual(['version-main', 'main']);
  });

  it('any other first word, none, or an inherited property name: main.cjs alone', () => {
    for (const words of [[], ['images'], ['--help', 'run'], ['-d', 'run'], ['constructor'], ['toString'], ['__proto__']]) {
      expect(minictrBundles(words), words.join(' ')).toEqual(['main']);
    }
  });
});
