/**
 * Image names: Docker's NAME[:TAG][@DIGEST] rules, and the CLI's answer to a bad name (a clear
 * one-line error, exit 2, nothing created).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseReference, tagKey } from '../src/image/reference.js';
import { UsageError } from '../src/errors.js';
import { minictr } from './helpers/cli.js';
import { craftTar, scratchDir, storeSnapshot } from './helpers/image-fixtures.js';

describe('parseReference', () => {
  it.each([
    ['ubuntu', { name: 'ubuntu', registry: 'docker.io', repository: 'library/ubuntu' }],
    ['ubuntu:24.04', { name: 'ubuntu', tag: '24.04' }],
    ['docker.io/library/ubuntu:noble', { name: 'ubuntu', tag: 'noble', repository: 'library/ubuntu' }],
    ['team/app_v2-x.y', { name: 'team/app_v2-x.y', repository: 'team/app_v2-x.y' }],
    ['a__b--c', { name: 'a__b--c' }],
    ['localhost:5000/app:v1', { name: 'localhost:5000/app', registry: 'localhost:5000', repository: 'app', tag: 'v1' }],
    ['registry.example.com/a/b/c', { name: 'registry.example.com/a/b/c', registry: 'registry.example.com' }],
    [`alpine@sha256:${'a'.repeat(64)}`, { name: 'alpine', digest: `sha256:${'a'.repeat(64)}` }],
    [`x:${'T'.repeat(128)}`, { name: 'x', tag: 'T'.repeat(128) }],
  ])('accepts %s', (ref, expected) => {
    expect(parseReference(ref)).toMatchObject(expected);
  });

  it('fills in the default tag for the store key', () => {
    expect(tagKey(parseReference('ubuntu'))).toBe('ubuntu:latest');
    expect(tagKey(parseReference('localhost:5000/app'))).toBe('localhost:5000/app:latest');
  });

  it.each([
    ['', /image name is empty/],
    ['   ', /image name is empty/],
    ['../x', /"\.\." is not allowed as a name component/],
    ['a/./b', /"\." is not allowed/],
    ['a.b..c', /name component "a\.b\.\.c" must be lowercase letters and digits/],
    ['a:b:c', /too many ':' in "a:b:c"/],
    ['a'.repeat(300), /the name is 300 characters long \(at most 255\)/],
    ['Ubuntu', /must be lowercase/],
    ['ubuntu:', /tag after ":" is empty/],
    ['ubuntu:-x', /tag "-x" must be/],
    [`x:${'t'.repeat(129)}`, /tag is 129 characters long/],
    ['a//b', /empty path component/],
    ['/abs', /empty path component/],
    ['a-', /name component "a-"/],
    ['x@sha256:abc', /digest must be sha256:/],
    ['a b', /whitespace/],
    ['a'.repeat(64).replace(/a/g, 'f'), /is an image ID, not a name/],
  ])('refuses %j', (ref, message) => {
    let err: unknown;
    try {
      parseReference(ref);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message.length).toBeLessThan(200);
  });
});

describe('minictr import with an invalid name', () => {
  it.each([['../x'], ['a:b:c'], [''], ['a'.repeat(300)], ['UPPER']])(
    'refuses %j: one line, exit 2, store untouched',
    async (name) => {
      const dir = await scratchDir();
      const tar = await craftTar(join(dir, 'ok.tar'), [{ name: 'hello', content: 'hi\n' }]);
      const before = storeSnapshot();
      const r = await minictr(['import', tar, name]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/^minictr: invalid image reference ".*": .+\n?$/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(storeSnapshot()).toEqual(before);
    },
  );
});
