/** Names (src/names.ts), bridge names, the log tail (runtime/logs.ts) and the state roots' check (paths.ts): pure code. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { checkName, isValidName, type NameKind } from '../../src/names.js';
import { bridgeNameFor } from '../../src/network/container/store.js';
import { checkStateRoots } from '../../src/paths.js';
import { LineTail, type LogRecord } from '../../src/runtime/logs.js';

describe('checkName', () => {
  const kinds: NameKind[] = ['container', 'network', 'volume', 'network namespace', 'lab', 'interface'];
  it.each(kinds)('%s: no path, no dot names, no control characters, nothing empty', (kind) => {
    for (const bad of ['', '.', '..', '../x', 'a/b', '/abs', 'a\nb', 'a b', '-x', 'a\0b', 'ü']) {
      expect(isValidName(kind, bad), JSON.stringify(bad)).toBe(false);
      expect(() => checkName(kind, bad)).toThrow(UsageError);
    }
    expect(checkName(kind, 'web1')).toBe('web1');
  });

  it.each<[NameKind, number]>([
    ['interface', 15],
    ['network', 32],
    ['container', 64],
    ['network namespace', 64],
  ])('%s names are at most %i characters', (kind, max) => {
    expect(isValidName(kind, 'a'.repeat(max))).toBe(true);
    expect(() => checkName(kind, 'a'.repeat(max + 1))).toThrow(`longer than ${max} characters`);
  });

  it('a message is one line and names what is wrong, also for a huge or multi-line name', () => {
    const msg = (() => {
      try {
        checkName('container', `${'x'.repeat(2_000_000)}\n`);
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();
    expect(msg).toMatch(/^invalid container name "x{40}…": longer than 64 characters$/);
    expect(() => checkName('interface', 'a/b', 'links[0]')).toThrow('links[0]: "a/b" is not a valid interface name');
  });
});

describe('bridgeNameFor', () => {
  it('gives different networks different bridges, within IFNAMSIZ', () => {
    const names = ['a.b', 'ab', 'a-b', 'a_b', 'averylongname1', 'averylongname2', 'x'.repeat(32)];
    const bridges = names.map(bridgeNameFor);
    expect(new Set(bridges).size).toBe(names.length);
    for (const b of bridges) expect(b).toMatch(/^mctr-[0-9a-f]{10}$/);
    expect(bridgeNameFor('ab')).toBe(bridgeNameFor('ab'));
  });
});

describe('LineTail', () => {
  const rec = (stream: 1 | 2, text: string): LogRecord => ({ stream, timeNs: 0n, data: Buffer.from(text) });
  const text = (rs: LogRecord[]): string[] => rs.map((r) => `${r.stream}:${r.data.toString()}`);

  it('keeps the last n lines, joining a line split over records of one stream', () => {
    const t = new LineTail(2);
    for (const r of [rec(1, 'a\nb'), rec(1, 'c\nd\n'), rec(2, 'err\n'), rec(1, 'tail')]) t.add(r);
    expect(text(t.take())).toEqual(['2:err\n', '1:tail']);
    const t3 = new LineTail(3);
    for (const r of [rec(1, 'a\nb'), rec(1, 'c\nd\n')]) t3.add(r);
    expect(text(t3.take())).toEqual(['1:a\n', '1:bc\n', '1:d\n']);
  });

  it('does not join lines of different streams, and -n 0 prints nothing', () => {
    const t = new LineTail(5);
    for (const r of [rec(1, 'out-part'), rec(2, 'err\n'), rec(1, 'rest\n')]) t.add(r);
    expect(text(t.take())).toEqual(['1:out-part', '2:err\n', '1:rest\n']);
    const none = new LineTail(0);
    for (let i = 0; i < 100; i++) none.add(rec(1, `${i}\n`));
    expect(none.take()).toEqual([]);
  });

  it('holds only about n lines however long the log is', () => {
    const t = new LineTail(3);
    for (let i = 0; i < 100_000; i++) t.add(rec(1, `line ${i}\n`));
    expect(text(t.take())).toEqual(['1:line 99997\n', '1:line 99998\n', '1:line 99999\n']);
    expect((t as unknown as { lines: unknown[] }).lines.length).toBeLessThanOrEqual(3 * 2 + 16);
  });
});

describe('checkStateRoots', () => {
  const saved = { root: process.env.MINICTR_ROOT, run: process.env.MINICTR_RUN };
  const base = mkdtempSync(join(tmpdir(), 'minictr-roots-'));
  mkdirSync(join(base, 'dir'));
  writeFileSync(join(base, 'file'), '');
  symlinkSync(join(base, 'dir'), join(base, 'to-dir'));
  symlinkSync(join(base, 'file'), join(base, 'to-file'));
  symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
  afterEach(() => {
    for (const [k, v] of [['MINICTR_ROOT', saved.root], ['MINICTR_RUN', saved.run]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const check = (root: string, run: string): void => {
    process.env.MINICTR_ROOT = join(base, root);
    process.env.MINICTR_RUN = join(base, run);
    checkStateRoots();
  };

  it('takes a directory, a symlink to one, a trailing slash, and a root not made yet', () => {
    for (const ok of ['dir', 'to-dir', 'dir/', 'missing', 'dangling']) expect(() => check(ok, 'dir'), ok).not.toThrow();
    expect(() => check('dir', 'missing')).not.toThrow();
  });

  it('refuses a file, or a symlink to one, naming the variable', () => {
    for (const bad of ['file', 'to-file']) {
      expect(() => check(bad, 'dir'), bad).toThrow(new UsageError(`MINICTR_ROOT ${join(base, bad)} is not a directory`));
      expect(() => check('dir', bad), bad).toThrow(new UsageError(`MINICTR_RUN ${join(base, bad)} is not a directory`));
    }
  });

  it('cleans up', () => rmSync(base, { recursive: true }));
});
