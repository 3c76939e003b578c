/** `run`'s -e, -v, --mount, --tmpfs and -w, checked before anything is made (src/runtime/options.ts). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { parseEnv, parseLabels, parseMount, parseNetworkAliases, parseTmpfs, parseVolume, parseWorkdir } from '../../src/runtime/options.js';
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
    expect(parseVolume(`${data}:/data`)).toEqual({ type: 'bind', source: data, target: '/data', readonly: false });
    expect(parseVolume(`${data}:/data:ro`)).toEqual({ type: 'bind', source: data, target: '/data', readonly: true });
    expect(parseVolume(`${data}:/data:rw`)).toEqual({ type: 'bind', source: data, target: '/data', readonly: false });
  });

  it('a file can be bound too; both paths are normalised', () => {
    expect(parseVolume(`${scratch}/./data/../file.conf:/etc//app.conf:ro`)).toEqual({ type: 'bind', source: join(scratch, 'file.conf'), target: '/etc/app.conf', readonly: true });
    expect(parseVolume(`${data}/:/data/`)).toMatchObject({ type: 'bind', source: `${data}/` });
  });

  it('NAME:CTR is the volume NAME (not a path), CTR alone an anonymous volume', () => {
    expect(parseVolume('db:/var/lib/db')).toEqual({ type: 'volume', name: 'db', target: '/var/lib/db', readonly: false });
    expect(parseVolume('my.vol_1-x:/data//x/:ro')).toEqual({ type: 'volume', name: 'my.vol_1-x', target: '/data/x/', readonly: true });
    expect(parseVolume('/data')).toEqual({ type: 'volume', target: '/data', readonly: false });
    expect(parseVolume('/a/../b')).toEqual({ type: 'volume', target: '/b', readonly: false });
  });

  it.each([
    [':/data', 'invalid volume ":/data": expected HOST:CONTAINER[:ro], VOLUME:CONTAINER[:ro] or CONTAINER'],
    ['/a:', 'invalid volume "/a:": expected HOST:CONTAINER[:ro], VOLUME:CONTAINER[:ro] or CONTAINER'],
    ['/a:/b:ro:x', 'invalid volume "/a:/b:ro:x": expected HOST:CONTAINER[:ro], VOLUME:CONTAINER[:ro] or CONTAINER'],
    ['', 'invalid volume "": expected HOST:CONTAINER[:ro], VOLUME:CONTAINER[:ro] or CONTAINER'],
    ['data', 'invalid volume "data": container path must be absolute'],
    ['/a:data', 'invalid volume "/a:data": container path must be absolute'],
    ['db:data', 'invalid volume "db:data": container path must be absolute'],
    ['../x:/data', 'invalid volume "../x:/data": "../x" is not a valid volume name (use 1-64 of [a-zA-Z0-9_.-], starting with a letter or digit)'],
    ['a/b:/data', 'invalid volume "a/b:/data": "a/b" is not a valid volume name (use 1-64 of [a-zA-Z0-9_.-], starting with a letter or digit)'],
    ['.:/data', 'invalid volume ".:/data": "." is not a valid volume name (use 1-64 of [a-zA-Z0-9_.-], starting with a letter or digit)'],
    ['..:/data', 'invalid volume "..:/data": ".." is not a valid volume name (use 1-64 of [a-zA-Z0-9_.-], starting with a letter or digit)'],
    ['_x:/data', 'invalid volume "_x:/data": "_x" is not a valid volume name (use 1-64 of [a-zA-Z0-9_.-], starting with a letter or digit)'],
    [`${'v'.repeat(65)}:/data`, `invalid volume "${'v'.repeat(65)}:/data": "${'v'.repeat(40)}…" is not a valid volume name (longer than 64 characters)`],
    ['db:/data:RW', 'invalid volume "db:/data:RW": mode must be ro or rw'],
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

describe('parseMount', () => {
  const data = join(scratch, 'data');

  it('type=bind: a host path, with src/source and dst/destination/target as aliases', () => {
    const bind = { type: 'bind', source: data, target: '/data', readonly: false };
    expect(parseMount(`type=bind,source=${data},target=/data`)).toEqual(bind);
    expect(parseMount(`type=bind,src=${data},dst=/data`)).toEqual(bind);
    expect(parseMount(`target=/data,type=bind,source=${data}`)).toEqual(bind);
    expect(parseMount(`type=bind,src=${data},destination=/x/../data,readonly`)).toEqual({ ...bind, readonly: true });
    expect(parseMount(`type=bind,src=${data},dst=/data,ro=true`)).toEqual({ ...bind, readonly: true });
    expect(parseMount(`type=bind,src=${data},dst=/data,readonly=0`)).toEqual(bind);
  });

  it('type=volume (the default): a named volume, or without a source an anonymous one', () => {
    expect(parseMount('type=volume,source=db,target=/var/lib/db')).toEqual({ type: 'volume', name: 'db', target: '/var/lib/db', readonly: false });
    expect(parseMount('src=db,dst=/db,readonly=1')).toEqual({ type: 'volume', name: 'db', target: '/db', readonly: true });
    expect(parseMount('type=volume,target=/cache')).toEqual({ type: 'volume', target: '/cache', readonly: false });
  });

  it('type=tmpfs: no source; tmpfs-size in bytes or with a unit', () => {
    expect(parseMount('type=tmpfs,target=/run')).toEqual({ type: 'tmpfs', target: '/run', readonly: false });
    expect(parseMount('type=tmpfs,dst=/run,tmpfs-size=1048576')).toEqual({ type: 'tmpfs', target: '/run', readonly: false, size: 1048576 });
    expect(parseMount('type=tmpfs,dst=/run,tmpfs-size=64m,readonly')).toEqual({ type: 'tmpfs', target: '/run', readonly: true, size: 64 << 20 });
  });

  it.each([
    ['type=bind,target=/data', 'a bind mount needs source=/host/path'],
    ['type=bind,source=data,target=/data', 'a bind source must be an absolute path'],
    ['type=volume,source=db', 'target is required (target=/path)'],
    ['type=volume,source=db,target=data', 'target must be an absolute path'],
    ['type=nfs,target=/data', 'type must be bind, volume or tmpfs, not "nfs"'],
    ['type=tmpfs,source=x,target=/t', 'a tmpfs has no source'],
    ['type=volume,target=/t,tmpfs-size=1m', 'tmpfs-size is for type=tmpfs, not volume'],
    ['type=volume,target=/t,readonly=yes', 'readonly must be true or false, not "yes"'],
    ['type=volume,target=/t,bind-propagation=shared', 'unknown key "bind-propagation" (type, source, target, readonly, tmpfs-size)'],
    ['type=volume,target=/t,target=/u', 'target given twice'],
    ['type=volume,dst=/t,destination=/u', 'target given twice'],
    ['type=volume,,target=/t', 'empty field'],
    ['type,target=/t', 'type needs a value (type=...)'],
  ])('refuses %j', (spec, why) => {
    expect(() => parseMount(spec)).toThrow(new UsageError(`invalid --mount "${spec}": ${why}`));
  });

  it.each(['../x', 'a/b', '.', '..', '-x'])('a hostile volume name %j is refused before any path is made', (name) => {
    expect(() => parseMount(`type=volume,source=${name},target=/data`)).toThrow(UsageError);
    expect(() => parseMount(`type=volume,source=${name},target=/data`)).toThrow(`invalid --mount "type=volume,source=${name},target=/data": ${JSON.stringify(name)} is not a valid volume name`);
  });

  it('a bind source that does not exist is not found; a bad tmpfs-size is a usage error', () => {
    const missing = join(scratch, 'no-such-dir');
    expect(() => parseMount(`type=bind,src=${missing},dst=/d`)).toThrow(new NotFoundError(`bind source ${missing} does not exist`));
    expect(() => parseMount('type=tmpfs,dst=/d,tmpfs-size=lots')).toThrow(UsageError);
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
