/**
 * Pass-through streams that watch the bytes of a blob or tarball on their way somewhere else:
 * `meter` counts them, `digestMeter` also takes their sha256 (save's gzipped layers, load's
 * files, a registry download, a tarball's scan). A throw in the callback refuses the chunk and
 * ends the pipeline with that error (an archive over its budget, a download longer than its
 * descriptor).
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** A pass-through that hands each chunk to `count` first; a throw there fails the stream. */
export function meter(count: (bytes: number, chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        count(chunk.length, chunk);
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb(null, chunk);
    },
  });
}

export interface DigestMeter {
  /** Put it in the pipeline between the source and where the bytes go. */
  readonly stream: Transform;
  /** Bytes that went through. */
  readonly size: number;
  /** `sha256:<hex>` of what went through; call once, after the pipeline has ended. */
  digest(): string;
}

/** `meter` that also hashes; `check` sees each chunk with the byte count including it. */
export function digestMeter(check?: (size: number, chunk: Buffer) => void): DigestMeter {
  const hash = createHash('sha256');
  let size = 0;
  const stream = meter((bytes, chunk) => {
    size += bytes;
    check?.(size, chunk);
    hash.update(chunk);
  });
  return {
    stream,
    get size() {
      return size;
    },
    digest: () => `sha256:${hash.digest('hex')}`,
  };
}
