/**
 * A stored layer as a tarball again, for push and save. The store keeps layers extracted
 * (layers/<digest>/diff/, an overlay lower dir), named by the digest of the uncompressed tar
 * they came from, so:
 *
 *  - a layer with a tar-split (tar-split.ts: every layer stored since minictr keeps them) is
 *    that very tar, its headers from the split and its file contents from diff/: same bytes,
 *    same digest, and the image keeps its identity (push, pull back: nothing new is stored);
 *  - a layer without one is archived anew from diff/, overlay whiteouts back to OCI ones (as
 *    commit does): a correct layer, but a new tar, so it gets another digest (diff_id).
 *
 * What a layer is sent as on the wire is remembered beside it (blob-cache.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Explainer } from '../util/explain.js';
import { runTool } from '../util/tool.js';
import { archiveChanges } from './commit.js';
import { digestMeter } from './meter.js';
import { layerDir } from './store.js';
import { readSplit, SplitMismatchError, splitSize, splitStream } from './tar-split.js';
import { overlayChanges } from './whiteout.js';

export interface LayerSource {
  /** The stored layer. */
  digest: string;
  /** sha256 of the uncompressed tar this gives: the stored digest, unless `remade`. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  size: number;
  /** Archived anew (the layer had no tar-split): its diffId is not the stored digest. */
  remade: boolean;
  /** The tar's bytes; a stream that does not hash to diffId fails at its end. */
  chunks(): AsyncIterable<Buffer>;
}

async function* verified(chunks: AsyncIterable<Buffer>, digest: string, display: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  for await (const c of chunks) {
    hash.update(c);
    yield c;
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== digest) {
    throw new SplitMismatchError(`${display}: its files no longer make the tarball it was stored from (digest ${got}, expected ${digest}); the store is damaged: pull or load the image again`);
  }
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of createReadStream(path)) hash.update(c as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** The stored layer `digest` as a tar; `scratch` holds a tar archived anew, if one is needed. */
export async function layerSource(digest: string, scratch: string, explain: Explainer): Promise<LayerSource> {
  const dir = layerDir(digest);
  const diff = join(dir, 'diff');
  const short = digest.slice(7, 19);
  const split = await readSplit(dir);
  if (split) {
    explain.step(`layer ${short}: its tarball again, headers from its tar-split and file contents from ${diff}`, `tar-split asm --input ${join(dir, 'tar-split')} --path ${diff}  # checked: sha256 = ${digest}`);
    return { digest, diffId: digest, size: splitSize(split), remade: false, chunks: () => verified(splitStream(split, diff), digest, `layer ${short}`) };
  }
  explain.note(`layer ${short} has no tar-split (stored by an older minictr): archiving its files anew, which gives it another digest`);
  const out = join(scratch, `${digest.slice(7)}.tar`);
  const changes = await overlayChanges(diff, [], () => false);
  if (changes.entries.length || changes.markers.length) await archiveChanges(diff, changes, scratch, out, explain);
  else await runTool('tar', ['-c', '-f', out, '--files-from', '/dev/null']);
  const diffId = await fileDigest(out);
  const size = (await stat(out)).size;
  return { digest, diffId, size, remade: true, chunks: () => verified(createReadStream(out), diffId, `layer ${short}`) };
}

/** gzip the layer's tar into `out`: the blob a registry gets. */
export async function gzipLayer(src: LayerSource, out: string): Promise<{ digest: string; size: number }> {
  const meter = digestMeter();
  await pipeline(Readable.from(src.chunks()), createGzip(), meter.stream, createWriteStream(out, { mode: 0o600 }));
  return { digest: meter.digest(), size: meter.size };
}
