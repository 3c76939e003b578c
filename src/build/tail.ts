/** Reading a growing file (a RUN's output) from where the last read stopped. */
import { readSync } from 'node:fs';

/** What fd has gained since byte `pos`, and the new position. */
export function readNewBytes(fd: number, pos: number): { text: string; pos: number } {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n <= 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    pos += n;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), pos };
}
