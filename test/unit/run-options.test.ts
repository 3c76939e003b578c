/** `run`'s -e, -v, --tmpfs and -w, checked before anything is made (src/runtime/options.ts). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { parseEnv, parseLabels, parseNetworkAliases, parseTmpfs, parseVolume, parseWorkdir } from '../../src/runtime/options.js';
import { hostsLine } from '../../src/network/container/attach.js';

const scratch = mkdtempSync(join(tmpdir(), 'minictr-unit-'));
mkdirSync(join(scratch, 'data'));
writeFileSync(join(scratch, 'file.conf'), 'x\n');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('parseEnv', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('K=V as given, values may be empty or hold "="', () => {
    expect(parseEnv(['A=1', 'EMPTY=', 'URL=a=b&c=d', 'SPACE=a b'])).toEqual(['A=1', 'EMPTY=', 'URL=a=b&c=d', 'SPACE=a b']);
    expect(parseEnv([])).toEqual([]);
  });

  it("a bare K copies the host's value, and is skipped when the host has none", () => {
    vi.stubEnv('MINICTR_UNIT_SET', 'from host');
    vi.stubEnv('MINICTR_UNIT_EMPTY', '');
    delete process.env.MINICTR_UNIT_UNSET;
    expect(parseEnv(['MINICTR_UNIT_SET', 'MINICTR_UNIT_UNSET', 'MINICTR_UNIT_EMPTY'])).toEqual(['MINICTR_UNIT_SET=from host', 'MINICTR_UNIT_EMPTY=']);
  });

  it.each(['=x', '', 'A B=1', 'A\tB', ' A=1'])('refuses %j', (e) => {
    expect(() => parseEnv(['OK=1', e])).toThrow(new UsageError(`invalid environment variable "${e}": expected KEY=VALUE`));
  });
});

describe('parseVolume', () => {
  const data = join(scratch, 'data');

  it('HOST:CTR is read-write, :ro and :rw say so', () => {
    expect(parseVolume(`${data}:/data`)).toEqual({ source: data, target: '/data', readonly: false });
    expect(parseVolume(`${data}:/data:ro`)).toEqual({ source: data, target: '/data', readonly: true });
    expect(parseVolume(`${data}:/data:rw`)).toEqual({ source: data, target: '/data', readonly: false });
  });

  it('a file can be bound too; both paths are normalised', () => {
    expect(parseVolume(`${scratch}/./data/../file.conf:/etc//app.conf:ro`)).toEqual({ source: join(scratch, 'file.conf'), target: '/etc/app.conf', readonly: true });
    expect(parseVolume(`${data}/:/data/`).source).toBe(`${data}/`);
  });

  it.each([
    ['/data', 'invalid volume "/data": expected HOST:CONTAINER[:ro]'],
    [':/data', 'invalid volume ":/data": expected HOST:CONTAINER[:ro]'],
    ['/a:', 'invalid volume "/a:": expected HOST:CONTAINER[:ro]'],
    ['/a:/b:ro:x', 'invalid volume "/a:/b:ro:x": expected HOST:CONTAINER[:ro]'],
    ['data:/data', 'invalid volume "data:/data": host path must be absolute'],
    ['/a:data', 'invalid volume "/a:data": container path must be absolute'],
    ['/a:/data:rx', 'invalid volume "/a:/data:rx": mode must be ro or rw'],
    ['/a:/data:RO', 'invalid volume "/a:/data:RO": mode must be ro or rw'],
  ])('refuses %j', (spec, message) => {
    expect(() => parseVolume(spec)).toThrow(new UsageError(message));
  });

  it('a host path that does not exist is not found (not created, as docker would)', () => {
    const missing = join(scratch, 'no-such-dir');
    expect(() => parseVolume(`${missing}:/data`)).toThrow(new NotFoundError(`volume source ${missing} does not exist`));
    try {
      parseVolume(`${missing}:/data`);
    } catch (err) {
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).exitCode).toBe(1);
    }
  });
});

describe('parseTmpfs and parseWorkdir', () => {
  it('--tmpfs: an absolute path, normalised', () => {
    expect(parseTmpfs('/run')).toBe('/run');
    expect(parseTmpfs('/var//cache/../tmp/')).toBe('/var/tmp/');
    expect(() => parseTmpfs('tmp')).toThrow(new UsageError('invalid --tmpfs "tmp": path must be absolute'));
  });

  it('-w: absent, or an absolute path as given', () => {
    expect(parseWorkdir(undefined)).toBeUndefined();
    expect(parseWorkdir('/srv/app')).toBe('/srv/app');
    expect(() => parseWorkdir('app')).toThrow(new UsageError('invalid working directory "app": must be an absolute path'));
    expect(() => parseWorkdir('')).toThrow(new UsageError('invalid working directory "": must be an absolute path'));
  });
});

describe('parseLabels and parseNetworkAliases', () => {
  it('K=V into a map (values may hold "=" or be empty); none: undefined', () => {
    expect(parseLabels(['com.docker.compose.project=p', 'e=', 'url=a=b', 'bare'])).toEqual({ 'com.docker.compose.project': 'p', e: '', url: 'a=b', bare: '' });
    expect(parseLabels([])).toBeUndefined();
  });
  it.each(['=v', 'a b=1', ''])('refuses the label %j', (l) => {
    expect(() => parseLabels([l])).toThrow(new UsageError(`invalid --label "${l}": expected KEY=VALUE`));
  });
  it('aliases are container-name-shaped host names, deduplicated', () => {
    expect(parseNetworkAliases(['db', 'db', 'db.local'])).toEqual(['db', 'db.local']);
    expect(() => parseNetworkAliases(['a/b'])).toThrow(UsageError);
    expect(() => parseNetworkAliases(['a b'])).toThrow(/--network-alias/);
  });
  it('an /etc/hosts line names the container, its hostname and aliases once each', () => {
    expect(hostsLine('10.1.2.3', { name: 'p-db-1', hostname: 'p-db-1', aliases: ['db', 'p-db-1'] })).toBe('10.1.2.3\tp-db-1 db');
    expect(hostsLine('10.1.2.3', { name: 'n', hostname: 'h' })).toBe('10.1.2.3\tn h');
  });
});
