/**
 * Reading a file a user (or an engine) names: it must be a regular file and no larger than a
 * bound, checked on the open file, so a FIFO, a device or /dev/zero is refused at once
 * instead of hanging or filling memory.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { NotFoundError, UsageError } from '../errors.js';

export function readBoundedFile(path: string, maxBytes: number, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`${what} ${path} does not exist`);
    throw new UsageError(`${what} ${path} cannot be read (${code})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`${what} ${path} is not a regular file`);
    if (st.size > maxBytes) throw new UsageError(`${what} ${path} is ${st.size} bytes, more than the ${maxBytes} allowed`);
    return readOpenFile(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

/** The text of an open regular file whose size (from fstat, already checked against its
 * bound) is `size`; a file that shrinks meanwhile gives what is there. */
export function readOpenFile(fd: number, size: number): string {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, off);
    if (n <= 0) break;
    off += n;
  }
  return buf.subarray(0, off).toString('utf8');
}
