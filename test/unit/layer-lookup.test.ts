/**
 * Finding a file in an image's layers as overlayfs merges them (src/image/layer-lookup.ts):
 * whiteouts and opaque directories hide the lower layers, symlinks are followed in the
 * merged view and never leave the image. Pure: the layers are described here, entry by entry,
 * as lstat would see them in each layer dir (the real walk reads them through the addon).
 */
import { describe, expect, it } from 'vitest';
import { findInLayers, SymlinkLoopError, type LayerEntry, type LayerView } from '../../src/image/layer-lookup.js';

type Layer = Record<string, LayerEntry>;
const file: LayerEntry = { type: 'file', major: 0, minor: 0, opaque: false };
const dir: LayerEntry = { type: 'directory', major: 0, minor: 0, opaque: false };
const opaque: LayerEntry = { ...dir, opaque: true };
const whiteout: LayerEntry = { type: 'char-device', major: 0, minor: 0, opaque: false };
const link = (target: string): LayerEntry => ({ type: 'symlink', major: 0, minor: 0, opaque: false, target });

/** Layers top first. Each path's parents must be directories of the same layer, as on disk. */
function view(...layers: Layer[]): LayerView & { asked: string[] } {
  const asked: string[] = [];
  return {
    count: layers.length,
    asked,
    entry(l, path) {
      asked.push(`${l}:${path}`);
      if (path === '') return layers[l]![''] ?? dir;
      const parts = path.split('/');
      for (let i = 1; i < parts.length; i++) {
        // the walk only ever asks below a directory it found in that very layer
        expect(layers[l]![parts.slice(0, i).join('/')]?.type).toBe('directory');
      }
      return layers[l]![path];
    },
  };
}

const where = (v: LayerView, path: string): string | undefined => {
  const f = findInLayers(v, path);
  return f && `${f.layer}:${f.path}`;
};

describe('findInLayers', () => {
  const base: Layer = { etc: dir, 'etc/passwd': file, 'etc/group': file };

  it('the top layer that has the file shows it', () => {
    expect(where(view({}, base), '/etc/passwd')).toBe('1:etc/passwd');
    expect(where(view({ etc: dir, 'etc/passwd': file }, base), '/etc/passwd')).toBe('0:etc/passwd');
    expect(where(view({ etc: dir, 'etc/passwd': file }, base), 'etc/group')).toBe('1:etc/group');
    expect(where(view({}, base), '/etc/shadow')).toBeUndefined();
  });

  it('a whiteout deletes the file, or the whole directory, for every lower layer', () => {
    expect(where(view({ etc: dir, 'etc/passwd': whiteout }, base), '/etc/passwd')).toBeUndefined();
    expect(where(view({ etc: dir, 'etc/passwd': whiteout }, base), '/etc/group')).toBe('1:etc/group');
    expect(where(view({ etc: whiteout }, base), '/etc/group')).toBeUndefined();
    // made anew above its whiteout (the overlay keeps only the new file)
    expect(where(view({ etc: dir, 'etc/passwd': file }, { etc: dir, 'etc/passwd': whiteout }, base), '/etc/passwd')).toBe('0:etc/passwd');
  });

  it('an opaque directory hides what the lower layers have in it, but not above it', () => {
    expect(where(view({ etc: opaque, 'etc/group': file }, base), '/etc/passwd')).toBeUndefined();
    expect(where(view({ etc: opaque, 'etc/group': file }, base), '/etc/group')).toBe('0:etc/group');
    expect(where(view({}, { etc: opaque }, base), '/etc/passwd')).toBeUndefined();
    expect(where(view({ etc: dir }, { etc: dir }, base), '/etc/passwd')).toBe('2:etc/passwd');
    // an opaque root
    expect(where(view({ '': opaque }, base), '/etc/passwd')).toBeUndefined();
  });

  it('a non-directory hides a directory below it, and a directory does not merge with a file below', () => {
    expect(where(view({ etc: file }, base), '/etc/passwd')).toBeUndefined();
    expect(where(view({ etc: dir }, { etc: file }, base), '/etc/passwd')).toBeUndefined();
    expect(where(view({ etc: dir }, base), '/etc')).toBe('0:etc');
  });

  it('symlinks are followed in the merged view: a link in one layer, its target in another', () => {
    const top: Layer = { etc: dir, 'etc/passwd': link('/u/passwd') };
    expect(where(view(top, { u: dir, 'u/passwd': file }), '/etc/passwd')).toBe('1:u/passwd');
    expect(where(view({ etc: link('conf') }, { conf: dir, 'conf/passwd': file }, base), '/etc/passwd')).toBe('1:conf/passwd');
    expect(where(view({ etc: dir, 'etc/passwd': link('../u/./passwd') }, { u: dir, 'u/passwd': file }), '/etc/passwd')).toBe('1:u/passwd');
    // the link hides the lower layers' etc/passwd even when its target is missing
    expect(where(view(top, base), '/etc/passwd')).toBeUndefined();
    // a link to a directory, at the end of the path
    expect(where(view({ e: link('etc') }, base), '/e')).toBe('1:etc');
  });

  it('an absolute link or "../.." never climbs above the image root', () => {
    const v = view({ etc: dir, 'etc/passwd': link('../../../../../../etc/shadow'), 'etc/shadow': file });
    expect(where(v, '/etc/passwd')).toBe('0:etc/shadow');
    expect(where(view({ etc: link('/../../tmp/etc') }, base), '/etc/passwd')).toBeUndefined();
    expect(where(view({ tmp: dir, 'tmp/etc': dir, 'tmp/etc/passwd': file, etc: link('/../../tmp/etc') }), '/etc/passwd')).toBe('0:tmp/etc/passwd');
    expect(where(view(base), '../../../etc/passwd')).toBe('0:etc/passwd');
  });

  it('a symlink loop is an error, after the kernel\'s 40 links', () => {
    const v = view({ etc: dir, 'etc/a': link('b'), 'etc/b': link('a') });
    expect(() => findInLayers(v, '/etc/a')).toThrow(SymlinkLoopError);
    const chain: Layer = { etc: dir, 'etc/l0': file };
    for (let i = 1; i <= 40; i++) chain[`etc/l${i}`] = link(`l${i - 1}`);
    expect(where(view(chain), '/etc/l40')).toBe('0:etc/l0');
    chain['etc/l41'] = link('l40');
    expect(() => findInLayers(view(chain), '/etc/l41')).toThrow(/too many levels of symbolic links/);
  });

  it('looks only where it must: the layers below a found file are not asked', () => {
    const v = view({ etc: dir, 'etc/passwd': file }, base, base);
    findInLayers(v, '/etc/passwd');
    expect(v.asked).not.toContain('2:etc/passwd');
    expect(v.asked).not.toContain('1:etc/passwd');
  });
});
