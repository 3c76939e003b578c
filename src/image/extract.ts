/**
 * Pass 2 of an import: GNU tar extracts an archive that tar-check.ts has already approved.
 * GNU tar, run as root, keeps what a root filesystem needs: numeric owners, modes including
 * setuid bits, symlinks, hardlinks, device nodes and file capabilities.
 *
 * minictr decompresses (decompress.ts) and tar reads the plain tar stream on its stdin, from
 * the file descriptor pass 1 read (not from the path again), so the file cannot be swapped
 * between the check and the extraction; and the stream is counted: tar is given no more bytes
 * than pass 1 checked and counted against the limits (limits.ts), even if the file grows.
 */
import { pipeline } from 'node:stream/promises';
import { CommandError, MinictrError } from '../errors.js';
import { streamTool, TAR_NOISE } from '../util/tool.js';
import type { Explainer } from '../util/explain.js';
import { decompress, decompressShell, type Compression } from './decompress.js';
import { meter } from './meter.js';

export function tarExtractArgs(dir: string): string[] {
  return [
    '-x',
    '--numeric-owner', // uid/gid numbers from the archive, not names mapped through the host's /etc/passwd
    '--same-owner',
    '--same-permissions', // -p: modes as archived, umask ignored
    '--xattrs',
    // Only these xattrs: security.capability (e.g. ping's cap_net_raw) and user.*. Never
    // trusted.overlay.*: overlayfs would take those as whiteouts, redirects or metacopy.
    '--xattrs-include=security.capability',
    '--xattrs-include=user.*',
    '--warning=no-unknown-keyword', // docker export writes LIBARCHIVE.* / SCHILY.* pax keys
    '--warning=no-timestamp',
    '-C',
    dir,
    '-f',
    '-',
  ];
}

/** The archive changed between the two passes (it now holds more than pass 1 checked). */
export class ArchiveChangedError extends MinictrError {}

/**
 * Extract the archive open as fd into dir (which must exist and be empty), feeding tar at most
 * `tarBytes` bytes of the uncompressed stream: the size pass 1 found.
 */
export async function extractTarball(
  fd: number,
  file: string,
  dir: string,
  compression: Compression,
  tarBytes: number,
  explain: Explainer,
): Promise<void> {
  const args = tarExtractArgs(dir);
  const shell = compression === 'none' ? `tar ${args.join(' ')} < ${file}` : `${decompressShell(compression, file)}tar ${args.join(' ')}`;
  explain.step('extract with GNU tar, keeping owners, modes, links, devices and capabilities', shell);
  const input = decompress(fd, compression);
  void input.finished.catch(() => undefined); // its status is not needed here (see below)
  const { child, done } = streamTool('tar', args);
  child.stdout!.resume();
  child.stdin!.on('error', () => undefined); // tar may stop reading after the end-of-archive blocks
  let fed = 0;
  let grew = false;
  const feeding = pipeline(
    input.output,
    meter((n) => {
      fed += n;
      if (fed > tarBytes) {
        grew = true;
        throw new ArchiveChangedError('grew');
      }
    }),
    child.stdin!,
  ).catch(() => undefined);
  let result;
  try {
    result = await done;
    await feeding;
  } finally {
    // tar may end before the decompressor has written the archive's last padding: the
    // decompressor's status says nothing then (pass 1 read the whole stream)
    input.stop();
  }
  if (grew) throw new ArchiveChangedError(`${file} changed while it was imported: it now holds more than the ${tarBytes} bytes checked`);
  if (result.exitCode !== 0) {
    // tar's last words are "Exiting with failure status due to previous errors"; the reason is
    // the line before
    const reason = result.stderr.split('\n').filter((l) => l.trim() && !TAR_NOISE.test(l)).join('\n');
    throw new CommandError(`tar -x ${file}`, reason || 'failed');
  }
}
