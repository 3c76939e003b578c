/**
 * Pass 2 of an import: GNU tar extracts an archive that tar-check.ts has already approved.
 * GNU tar, run as root, keeps what a root filesystem needs: numeric owners, modes including
 * setuid bits, symlinks, hardlinks, device nodes and file capabilities.
 *
 * tar reads the archive through the file descriptor pass 1 read (not from the path again), so
 * the file cannot be swapped between the check and the extraction.
 */
import { runTool, TAR_NOISE } from '../util/tool.js';
import type { Explainer } from '../util/explain.js';
import type { Compression } from './tar-check.js';

const COMPRESSION_FLAG: Record<Compression, string[]> = { none: [], gzip: ['-z'], xz: ['-J'], zstd: ['--zstd'] };

export function tarExtractArgs(dir: string, compression: Compression, file: string): string[] {
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
    ...COMPRESSION_FLAG[compression],
    '-C',
    dir,
    '-f',
    file,
  ];
}

/** Extract the archive open as fd into dir (which must exist and be empty). */
export async function extractTarball(
  fd: number,
  file: string,
  dir: string,
  compression: Compression,
  explain: Explainer,
): Promise<void> {
  explain.step('extract with GNU tar, keeping owners, modes, links, devices and capabilities', `tar ${tarExtractArgs(dir, compression, file).join(' ')}`);
  // /proc/self/fd/N opens the very inode pass 1 checked, with its own file offset.
  // tar's last words are "Exiting with failure status due to previous errors"; the reason is
  // the line before
  await runTool('tar', tarExtractArgs(dir, compression, '-'), { stdinFile: `/proc/self/fd/${fd}`, stdout: 'ignore', label: `tar -x ${file}`, noise: TAR_NOISE });
}
