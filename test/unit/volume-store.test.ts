/**
 * The volume store (src/volume/store.ts) in a scratch MINICTR_ROOT: volumes made whole or not
 * at all, created once, broken records named and kept, hostile names refused before any path.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrokenRecordError, UsageError } from '../../src/errors.js';
import { anonymousVolumeName, createVolume, deleteVolumeFiles, findBrokenVolume, findVolume, scanVolumes, staleVolumeTemps, volumeData, volumeIsEmpty } from '../../src/volume/store.js';

const scratch = mkdtempSync(join(tmpdir(), 'minictr-unit-vol-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let root = '';
beforeEach(() => {
  root = mkdtempSync(join(scratch, 'root-'));
  vi.stubEnv('MINICTR_ROOT', root);
  return () => vi.unstubAllEnvs();
});

describe('volume store', () => {
  it('a volume is volumes/NAME/_data with its record; a second create of the name returns it unchanged', () => {
    const { volume, created } = createVolume('db', { labels: { app: 'shop' } });
    expect(created).toBe(true);
    expect(volume).toEqual({ Name: 'db', CreatedAt: expect.any(String), Labels: { app: 'shop' }, Anonymous: false });
    expect(volumeData('db')).toBe(join(root, 'volumes', 'db', '_data'));
    expect(volumeIsEmpty('db')).toBe(true);
    expect(createVolume('db', { labels: { other: 'x' } })).toEqual({ volume, created: false });
    // nothing half-made is left beside it
    expect(readdirSync(join(root, 'volumes'))).toEqual(['db']);
    expect(scanVolumes()).toEqual({ volumes: [volume], broken: [] });
    deleteVolumeFiles('db');
    expect(findVolume('db')).toBeUndefined();
  });

  it('anonymous volumes are named by 64 hex digits, like Docker', () => {
    const name = anonymousVolumeName();
    expect(name).toMatch(/^[0-9a-f]{64}$/);
    expect(createVolume(name, { anonymous: true }).volume.Anonymous).toBe(true);
  });

  it.each(['../x', 'a/b', '.', '..', '', '/abs'])('refuses the name %j before any path is made', (bad) => {
    expect(() => createVolume(bad)).toThrow(UsageError);
    expect(() => findVolume(bad)).toThrow(UsageError);
    expect(findBrokenVolume(bad)).toBeUndefined();
    expect(existsSync(join(root, 'volumes'))).toBe(false);
  });

  it('a record that cannot be read is broken: listed with its path and a fix, kept, and an error to find', () => {
    createVolume('good');
    createVolume('trunc');
    writeFileSync(join(root, 'volumes', 'trunc', 'volume.json'), '{"Name": "tr');
    createVolume('moved');
    writeFileSync(join(root, 'volumes', 'moved', 'volume.json'), JSON.stringify({ Name: 'other', CreatedAt: 'x', Labels: {}, Anonymous: false }));
    createVolume('nodata');
    rmSync(join(root, 'volumes', 'nodata', '_data'), { recursive: true });
    mkdirSync(join(root, 'volumes', 'norecord'));
    const { volumes, broken } = scanVolumes();
    expect(volumes.map((v) => v.Name)).toEqual(['good']);
    expect(broken.map((b) => [b.path.slice(root.length), b.problem])).toEqual([
      ['/volumes/moved/volume.json', 'its name "other" is not the directory\'s'],
      ['/volumes/nodata/_data', 'missing'],
      ['/volumes/norecord/volume.json', 'missing'],
      ['/volumes/trunc/volume.json', expect.stringMatching(/JSON/)],
    ]);
    expect(broken[0]!.fix).toBe("restore it, or remove the volume with 'minictr volume rm -f moved'");
    expect(() => findVolume('trunc')).toThrow(BrokenRecordError);
    expect(findBrokenVolume('trunc')?.kind).toBe('volume');
    // and a create of that name does not paper over it
    expect(() => createVolume('trunc')).toThrow(BrokenRecordError);
    expect(existsSync(join(root, 'volumes', 'trunc', 'volume.json'))).toBe(true);
  });
});

describe('half-made volumes', () => {
  it('a volumes/.tmp-* dir older than a minute is stale (system prune removes it); a young one, or a volume, is not', () => {
    createVolume('real');
    const tmp = join(root, 'volumes', '.tmp-0123456789abcdef');
    mkdirSync(join(tmp, '_data'), { recursive: true });
    expect(staleVolumeTemps()).toEqual([]);
    expect(staleVolumeTemps(Date.now() + 61_000)).toEqual([tmp]);
    // and it is never listed as a volume, broken or not
    expect(scanVolumes().volumes.map((v) => v.Name)).toEqual(['real']);
    expect(scanVolumes().broken).toEqual([]);
  });
});
