/**
 * The image store's pure parts: the unpack limits (src/image/limits.ts: --max-size,
 * MINICTR_IMPORT_MAX_BYTES, the free-space default, the budget), the size parser they use
 * (src/util/size.ts), the strict readers of store files (src/image/record.ts) and the
 * tar-slip checker's name bounds (src/image/tar-check.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  checkLayerCount, chooseUnpackLimits, defaultMaxBytes, DEFAULT_MAX_ENTRIES, MAX_LAYERS, UnpackBudget, UnpackLimitError, type FsSpace,
} from '../../src/image/limits.js';
import { writeJsonAtomic } from '../../src/image/files.js';
import { parseImageRecord, parseLayerMeta, parseTags, RecordProblem } from '../../src/image/record.js';
import { TarEntryChecker, UnsafeTarError, type Headers } from '../../src/image/tar-check.js';
import { formatBytes, parseBytes } from '../../src/util/size.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const ID = 'a'.repeat(64);
const DIGEST = `sha256:${'b'.repeat(64)}`;

/** statfs numbers in 4 KiB blocks */
const space = (freeBytes: number, sizeBytes: number, dir = '/var/lib/minictr'): FsSpace => ({ dir, bavail: freeBytes / 4096, bsize: 4096, blocks: sizeBytes / 4096 });
const noSpace = (): FsSpace => {
  throw new Error('statfs must not be needed');
};

describe('parseBytes (util/size.ts) for --max-size', () => {
  it.each<[string, number]>([
    ['500M', 500 * MiB],
    ['2G', 2 * GiB],
    ['1.5g', 1.5 * GiB],
    ['50MiB', 50 * MiB],
    ['4096', 4096],
  ])('%j = %d bytes', (v, n) => expect(parseBytes('--max-size', v)).toBe(n));

  it('refuses what is not a size, naming the flag', () => {
    expect(() => parseBytes('--max-size', '2 gigs')).toThrow(new UsageError('invalid --max-size "2 gigs": expected a size like 64m, 512k or 1g (units b, k, m, g, t)'));
  });

  it('prints binary units', () => {
    expect(formatBytes(50 * MiB)).toBe('50MiB');
    expect(formatBytes(1.5 * GiB)).toBe('1.5GiB');
  });
});

describe('defaultMaxBytes: free space less min(10% of the filesystem, 1 GiB)', () => {
  it('on a small filesystem the margin is 10% of its size', () => {
    expect(defaultMaxBytes(space(64 * MiB, 100 * MiB))).toEqual({ free: 64 * MiB, margin: 10 * MiB, limit: 54 * MiB });
  });
  it('on a large one the margin is 1 GiB', () => {
    expect(defaultMaxBytes(space(50 * GiB, 500 * GiB))).toEqual({ free: 50 * GiB, margin: GiB, limit: 49 * GiB });
  });
  it('is 0, not negative, on a filesystem fuller than the margin', () => {
    expect(defaultMaxBytes(space(4 * MiB, 100 * MiB)).limit).toBe(0);
  });
});

describe('chooseUnpackLimits', () => {
  it('--max-size wins over the variable and needs no statfs', () => {
    const l = chooseUnpackLimits({ maxSize: '50M', env: { MINICTR_IMPORT_MAX_BYTES: '2G' }, space: noSpace });
    expect(l.maxBytes).toBe(50 * MiB);
    expect(l.bytesSource).toBe('--max-size 50M');
  });

  it('MINICTR_IMPORT_MAX_BYTES when there is no flag', () => {
    const l = chooseUnpackLimits({ env: { MINICTR_IMPORT_MAX_BYTES: '2G' }, space: noSpace });
    expect(l).toMatchObject({ maxBytes: 2 * GiB, bytesSource: 'MINICTR_IMPORT_MAX_BYTES=2G' });
  });

  it('else the free space, and the message says how to raise it', () => {
    const l = chooseUnpackLimits({ env: {}, space: () => space(64 * MiB, 100 * MiB, '/srv/store') });
    expect(l.maxBytes).toBe(54 * MiB);
    expect(l.bytesSource).toBe('the free space of /srv/store, 64MiB, less a 10MiB margin; raise it with --max-size or MINICTR_IMPORT_MAX_BYTES');
    expect(l.maxEntries).toBe(DEFAULT_MAX_ENTRIES);
  });

  it('an empty variable counts as unset', () => {
    expect(chooseUnpackLimits({ env: { MINICTR_IMPORT_MAX_BYTES: '' }, space: () => space(GiB, 100 * GiB) }).maxBytes).toBe(0);
  });

  it.each([
    [{ maxSize: 'lots' }, 'invalid --max-size "lots": expected a size like 64m, 512k or 1g (units b, k, m, g, t)'],
    [{ maxSize: '0' }, 'invalid --max-size "0": must be more than 0'],
    [{ env: { MINICTR_IMPORT_MAX_BYTES: '-1' } }, 'invalid MINICTR_IMPORT_MAX_BYTES "-1": expected a size like 64m, 512k or 1g (units b, k, m, g, t)'],
    [{ env: { MINICTR_IMPORT_MAX_ENTRIES: '1e6' } }, 'invalid MINICTR_IMPORT_MAX_ENTRIES "1e6": expected a positive integer'],
    [{ env: { MINICTR_IMPORT_MAX_ENTRIES: '0' } }, 'invalid MINICTR_IMPORT_MAX_ENTRIES "0": expected a positive integer'],
  ])('refuses %j with one line', (input, message) => {
    const opts = { env: {}, space: () => space(GiB, 10 * GiB), ...input };
    expect(() => chooseUnpackLimits(opts)).toThrow(new UsageError(message));
  });

  it('MINICTR_IMPORT_MAX_ENTRIES sets the entry limit', () => {
    expect(chooseUnpackLimits({ maxSize: '1G', env: { MINICTR_IMPORT_MAX_ENTRIES: '500' }, space: noSpace })).toMatchObject({ maxEntries: 500, entriesSource: 'MINICTR_IMPORT_MAX_ENTRIES=500' });
  });
});

describe('UnpackBudget', () => {
  const limits = { maxBytes: 1000, bytesSource: '--max-size 1000', maxEntries: 3, entriesSource: 'MINICTR_IMPORT_MAX_ENTRIES=3' };

  it('allows exactly the limit and refuses one byte more, adding over calls (the layers of a pull)', () => {
    const b = new UnpackBudget(limits);
    b.addBytes(600);
    b.addBytes(400);
    expect(() => b.addBytes(1)).toThrow(new UnpackLimitError('unpacks to more than 1000B (--max-size 1000)'));
  });

  it('counts entries', () => {
    const b = new UnpackBudget(limits);
    for (let i = 0; i < 3; i++) b.addEntry(10);
    expect(() => b.addEntry(10)).toThrow('has more than 3 entries (MINICTR_IMPORT_MAX_ENTRIES=3)');
  });

  it('bounds the bytes of all entry names (they are kept in memory)', () => {
    const b = new UnpackBudget({ ...limits, maxEntries: 1e9 });
    b.addEntry(256 * MiB);
    expect(() => b.addEntry(1)).toThrow('has more than 256MiB of entry names');
  });

  it('an error is reworded for what was being unpacked, as one line', () => {
    const err = new UnpackLimitError('unpacks to more than 50MiB (--max-size 50M)').about('x.tar.xz', 'nothing was imported');
    expect(err).toBeInstanceOf(UnpackLimitError);
    expect(err.message).toBe('x.tar.xz unpacks to more than 50MiB (--max-size 50M); nothing was imported');
  });
});

describe('checkLayerCount', () => {
  it(`allows ${MAX_LAYERS} layers and refuses ${MAX_LAYERS + 1}`, () => {
    expect(MAX_LAYERS).toBe(127);
    expect(() => checkLayerCount('image x', 127, 'nothing was pulled')).not.toThrow();
    expect(() => checkLayerCount('image x', 128, 'nothing was pulled')).toThrow('image x has 128 layers, more than the 127 an image may have (as in Docker); nothing was pulled');
  });
});

describe('parseTags: images/tags.json', () => {
  it('reads a map of tags to image IDs', () => {
    expect(parseTags(JSON.stringify({ 'a:latest': ID }))).toEqual({ 'a:latest': ID });
    expect(parseTags('{}')).toEqual({});
  });
  it.each([
    ['{"a:latest": "aaa', /^Unterminated string in JSON|^Unexpected end of JSON input/],
    ['', /^Unexpected end of JSON input/],
    ['[]', /^not a JSON object of tags \(it is an array\)$/],
    ['null', /^not a JSON object of tags \(it is null\)$/],
    ['"x"', /^not a JSON object of tags \(it is a string\)$/],
    ['{"a:latest": 3}', /^the tag "a:latest" points to 3, not an image ID$/],
    ['{"a:latest": "../../etc"}', /^the tag "a:latest" points to "..\/..\/etc", not an image ID$/],
  ])('refuses %j', (text, problem) => {
    expect(() => parseTags(text)).toThrow(RecordProblem);
    expect(() => parseTags(text)).toThrow(problem);
  });
});

describe('parseImageRecord: images/<id>.json', () => {
  const good = { id: ID, layers: [DIGEST], config: { Env: ['PATH=/bin'], Cmd: ['sh'] }, created: '2024-01-02T03:04:05.000Z', size: 10 };

  it('reads a record', () => {
    expect(parseImageRecord(JSON.stringify(good), ID)).toEqual(good);
  });

  it.each<[string, unknown, RegExp]>([
    ['truncated', JSON.stringify(good).slice(0, 40), /JSON/],
    ['an array', [], /^not a JSON object$/],
    ['another id', { ...good, id: 'c'.repeat(64) }, /^its "id" is "c{64}", not the a{12} its file name says$/],
    ['no layers', { ...good, layers: undefined }, /^"layers" is missing or not a list$/],
    ['a layer that is not a digest', { ...good, layers: ['../../x'] }, /^"layers" has "..\/..\/x", not a sha256 digest$/],
    ['128 layers', { ...good, layers: Array(128).fill(DIGEST) }, /^it has 128 layers, more than 127$/],
    ['no config', { ...good, config: 'x' }, /^"config" is missing or not an object$/],
    ['a Cmd that is a string', { ...good, config: { Cmd: 'sh' } }, /^"config.Cmd" is not a list of strings$/],
    ['a WorkingDir that is a number', { ...good, config: { WorkingDir: 1 } }, /^"config.WorkingDir" is not a string$/],
    ['no created', { ...good, created: undefined }, /^"created" is missing or not a time$/],
    ['a negative size', { ...good, size: -1 }, /^"size" is missing or not a number of bytes$/],
    ['history that is not a list', { ...good, history: {} }, /^"history" is not a list of steps$/],
    ['repoDigests that are not strings', { ...good, repoDigests: [1] }, /^"repoDigests" is not a list of strings$/],
  ])('refuses %s', (_what, value, problem) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    expect(() => parseImageRecord(text, ID)).toThrow(RecordProblem);
    expect(() => parseImageRecord(text, ID)).toThrow(problem);
  });
});

describe('parseLayerMeta: layers/<hex>/layer.json', () => {
  it('reads it, and refuses one for another digest', () => {
    expect(parseLayerMeta(JSON.stringify({ digest: DIGEST, size: 5 }), DIGEST)).toEqual({ digest: DIGEST, size: 5 });
    expect(() => parseLayerMeta(JSON.stringify({ digest: `sha256:${'c'.repeat(64)}`, size: 5 }), DIGEST)).toThrow(/not the bbbbbbbbbbbb its directory name says/);
    expect(() => parseLayerMeta('{"digest"', DIGEST)).toThrow(RecordProblem);
  });
});

describe('TarEntryChecker: names a filesystem can hold', () => {
  const entry = (name: string): Headers => ({ name, type: 'file', size: 0, mode: 0o644, linkname: null }) as unknown as Headers;

  it('refuses a path longer than PATH_MAX, and shows it cut short', () => {
    const long = `${'d/'.repeat(2100)}f`;
    const c = new TarEntryChecker();
    expect(() => c.check(entry(long))).toThrow(UnsafeTarError);
    expect(() => c.check(entry(long))).toThrow(/^entry "(d\/){50}\.\.\." is a path of more than 4096 bytes$/);
  });

  it('refuses a name longer than NAME_MAX (255 bytes)', () => {
    expect(() => new TarEntryChecker().check(entry(`dir/${'x'.repeat(256)}`))).toThrow(/has a name of more than 255 bytes$/);
    expect(() => new TarEntryChecker().check(entry(`dir/${'x'.repeat(255)}`))).not.toThrow();
  });
});

describe('writeJsonAtomic: every state file of the image store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'minictr-unit-atomic-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file whole, and leaves no temp file', async () => {
    const path = join(dir, 'tags.json');
    await writeJsonAtomic(path, { 'a:1': 'x' });
    await writeJsonAtomic(path, { 'b:2': 'y' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ 'b:2': 'y' });
    expect(readdirSync(dir)).toEqual(['tags.json']);
  });

  it('on a failure leaves the old file as it was and no temp file behind', async () => {
    const path = join(dir, 'record.json');
    writeFileSync(path, '{"old": true}\n');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(writeJsonAtomic(path, circular)).rejects.toThrow(/circular/i);
    // rename onto a directory fails after the temp file is written
    const asDir = join(dir, 'adir.json');
    rmSync(asDir, { recursive: true, force: true });
    await import('node:fs/promises').then((f) => f.mkdir(join(asDir, 'x'), { recursive: true }));
    await expect(writeJsonAtomic(asDir, { a: 1 })).rejects.toThrow();
    expect(readFileSync(path, 'utf8')).toBe('{"old": true}\n');
    expect(readdirSync(dir).sort()).toEqual(['adir.json', 'record.json', 'tags.json'].sort());
  });
});
