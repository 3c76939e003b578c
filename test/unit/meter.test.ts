import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { digestMeter, meter } from '../../src/image/meter.js';

const sink = (got: Buffer[]) => new Writable({ write: (c: Buffer, _e, cb) => (got.push(c), cb()) });
const chunks = [Buffer.from('hello '), Buffer.from('layer '), Buffer.from('bytes')];

describe('meters', () => {
  it('digestMeter passes the bytes through unchanged and gives their sha256 and size', async () => {
    const got: Buffer[] = [];
    const m = digestMeter();
    await pipeline(Readable.from(chunks), m.stream, sink(got));
    const all = Buffer.concat(chunks);
    expect(Buffer.concat(got).equals(all)).toBe(true);
    expect(m.size).toBe(all.length);
    expect(m.digest()).toBe(`sha256:${createHash('sha256').update(all).digest('hex')}`);
  });

  it('a throw in the check ends the pipeline with that error, and nothing after it is written', async () => {
    const got: Buffer[] = [];
    const sizes: number[] = [];
    const m = digestMeter((size) => {
      sizes.push(size);
      if (size > 8) throw new Error('more than 8 bytes');
    });
    await expect(pipeline(Readable.from(chunks), m.stream, sink(got))).rejects.toThrow('more than 8 bytes');
    expect(sizes).toEqual([6, 12]);
    expect(Buffer.concat(got).toString()).toBe('hello ');
  });

  it('meter counts each chunk', async () => {
    let n = 0;
    await pipeline(Readable.from(chunks), meter((bytes) => (n += bytes)), sink([]));
    expect(n).toBe(17);
  });
});
