/** Image references: Docker's NAME[:TAG][@DIGEST] rules (src/image/reference.ts). */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { DEFAULT_TAG, parseReference, splitTagKey, tagKey } from '../../src/image/reference.js';

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

  it.each([
    ['index.docker.io/library/alpine', { name: 'alpine', registry: 'docker.io', repository: 'library/alpine' }],
    ['docker.io/team/app', { name: 'team/app', registry: 'docker.io', repository: 'team/app' }],
    ['library/alpine:3', { name: 'alpine', registry: 'docker.io', repository: 'library/alpine', tag: '3' }],
    ['library/team/app', { name: 'library/team/app', repository: 'library/team/app' }],
    ['localhost/app', { name: 'localhost/app', registry: 'localhost', repository: 'app' }],
    ['Registry.Example.com/app', { name: 'Registry.Example.com/app', registry: 'Registry.Example.com', repository: 'app' }],
    ['[::1]:5000/app:v2', { name: '[::1]:5000/app', registry: '[::1]:5000', repository: 'app', tag: 'v2' }],
    ['[::1]/app', { name: '[::1]/app', registry: '[::1]', repository: 'app' }],
    ['[fd00::1]:443/team/app', { name: '[fd00::1]:443/team/app', registry: '[fd00::1]:443', repository: 'team/app' }],
    ['10.0.0.1:5000/a/b@sha256:' + 'c'.repeat(64), { name: '10.0.0.1:5000/a/b', registry: '10.0.0.1:5000', repository: 'a/b', digest: 'sha256:' + 'c'.repeat(64) }],
    ['app:v1@sha256:' + 'd'.repeat(64), { name: 'app', tag: 'v1', digest: 'sha256:' + 'd'.repeat(64) }],
    ['app:V1.0_rc-2', { name: 'app', tag: 'V1.0_rc-2' }],
  ])('accepts %s, in its familiar form', (ref, expected) => {
    const r = parseReference(ref);
    expect(r).toMatchObject(expected);
    if (!('tag' in expected)) expect(r).not.toHaveProperty('tag');
    if (!('digest' in expected)) expect(r).not.toHaveProperty('digest');
  });

  it.each([
    ['host:port:x/app', /registry "host:port:x" has more than one ':'/],
    ['host:http/app', /registry port "http" must be a number/],
    ['[::1]:5000:1/app', /registry "\[::1\]:5000:1" has more than one ':'/],
    ['[::1]:port/app', /registry port "port" must be a number/],
    ['[::g]/app', /registry host "\[::g\]" is not a valid host name/],
    ['[::1/app', /registry "\[::1" has more than one ':'/],
    ['-bad.example.com/app', /registry host "-bad\.example\.com" is not a valid host name/],
    ['bad_host.example.com/app', /registry host "bad_host\.example\.com" is not a valid host name/],
    ['example.com/App', /repository names must be lowercase/],
    ['a..b', /name component "a\.\.b" must be/],
    ['a___b', /name component "a___b" must be/],
    ['x@sha256:' + 'A'.repeat(64), /digest must be sha256: followed by 64 lowercase hex digits/],
    ['x@sha512:' + 'a'.repeat(64), /digest must be sha256:/],
    ['a\tb', /whitespace/],
  ])('refuses %j', (ref, message) => {
    expect(() => parseReference(ref)).toThrow(message);
  });

  it('a long reference is cut short in the message', () => {
    expect(() => parseReference(`${'a'.repeat(300)}:x`)).toThrow(`invalid image reference "${'a'.repeat(57)}...": the name is 300 characters long (at most 255)`);
  });

  it('an image ID is refused as a name, but not with a registry in front', () => {
    expect(parseReference(`example.com/${'f'.repeat(64)}`).name).toBe(`example.com/${'f'.repeat(64)}`);
  });

  it('splitTagKey undoes tagKey, registry ports included', () => {
    for (const ref of ['ubuntu', 'ubuntu:24.04', 'localhost:5000/app', 'localhost:5000/team/app:v1']) {
      const r = parseReference(ref);
      expect(splitTagKey(tagKey(r))).toEqual({ name: r.name, tag: r.tag ?? DEFAULT_TAG });
    }
  });
});
