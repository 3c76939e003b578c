/**
 * config.json logins (src/image/auth.ts): Docker's format read and written, the keys Docker and
 * other tools use for the same registry found, Docker Hub's legacy key, broken files named.
 */
import { describe, expect, it } from 'vitest';
import { authKey, credentialsIn, decodeAuth, encodeAuth, normalizeRegistry, parseDockerConfig, DOCKER_HUB_KEY } from '../../src/image/auth.js';
import { errorDetailOf } from '../../src/image/registry.js';

describe('config.json auth', () => {
  it('encodes and decodes auth as base64("user:password"); a password may hold ":"', () => {
    const auth = encodeAuth({ username: 'alice', password: 'pa:ss' });
    expect(auth).toBe(Buffer.from('alice:pa:ss').toString('base64'));
    expect(decodeAuth(auth)).toEqual({ username: 'alice', password: 'pa:ss' });
    expect(decodeAuth('not base64!')).toBeUndefined();
    expect(decodeAuth(Buffer.from('nocolon').toString('base64'))).toBeUndefined();
  });

  it('finds a login by its key, or a key naming the same host with a scheme or path', () => {
    const cfg = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://reg.example:5000/v1/': { auth: encodeAuth({ username: 'u1', password: 'p1' }) },
          'other.example': { username: 'u2', password: 'p2' },
          [DOCKER_HUB_KEY]: { auth: encodeAuth({ username: 'hub', password: 'h' }) },
        },
        credsStore: 'desktop',
      }),
      'config.json',
    );
    expect(credentialsIn(cfg, 'reg.example:5000')).toEqual({ username: 'u1', password: 'p1' });
    expect(credentialsIn(cfg, 'other.example')).toEqual({ username: 'u2', password: 'p2' });
    expect(credentialsIn(cfg, 'docker.io')).toEqual({ username: 'hub', password: 'h' });
    expect(credentialsIn(cfg, 'reg.example')).toBeUndefined(); // another port is another registry
    expect(credentialsIn({}, 'reg.example:5000')).toBeUndefined();
  });

  it('normalizes registry arguments; Docker Hub gets its legacy key', () => {
    expect(normalizeRegistry('https://127.0.0.1:5000/v2/')).toBe('127.0.0.1:5000');
    expect(normalizeRegistry('Registry.Example')).toBe('registry.example');
    expect(normalizeRegistry('index.docker.io')).toBe('docker.io');
    expect(authKey('docker.io')).toBe(DOCKER_HUB_KEY);
    expect(authKey('127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(() => normalizeRegistry('')).toThrow(/no host name/);
    expect(() => normalizeRegistry('a b')).toThrow(/expected HOST\[:PORT\]/);
  });

  it('refuses a config.json that is not a JSON object, or whose auths is not one, naming the file', () => {
    expect(() => parseDockerConfig('{', '/x/config.json')).toThrow('/x/config.json is not valid JSON');
    expect(() => parseDockerConfig('[]', '/x/config.json')).toThrow('/x/config.json is not a JSON object');
    expect(() => parseDockerConfig('{"auths":[]}', '/x/config.json')).toThrow('"auths" is not an object');
  });

  it("quotes what a registry said in one line: its API error, an HTML page's title, a first line", () => {
    expect(errorDetailOf(JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }))).toBe('DENIED: requested access to the resource is denied');
    expect(errorDetailOf('<html><head><title>413 Request Entity Too Large</title></head><body>\n<h1>x</h1></body></html>')).toBe('413 Request Entity Too Large');
    expect(errorDetailOf('first line\nsecond')).toBe('first line');
  });
});

describe('push --chunk-size', () => {
  it('takes bytes, or k, m, g (powers of 1024); refuses anything else in one line', async () => {
    const { parseSize } = await import('../../src/image/push.js');
    expect(parseSize('8m')).toBe(8 * 1024 * 1024);
    expect(parseSize('256k')).toBe(256 * 1024);
    expect(parseSize('1G')).toBe(1024 ** 3);
    expect(parseSize('0')).toBe(0);
    expect(parseSize('4096')).toBe(4096);
    expect(() => parseSize('8 megs')).toThrow(/invalid size "8 megs"/);
    expect(() => parseSize('-1')).toThrow(/invalid size/);
  });
});
