/**
 * The built-in `busybox` image, made offline from the host's statically linked busybox
 * (Debian/Ubuntu package busybox-static), so a machine with no network can run a container.
 *
 * We write the rootfs as a tarball (fixed mtimes: the same busybox gives the same layer digest
 * on every machine) and import it through the normal import path, so it gets the same checks,
 * the same store layout and the same locking. Two first runs at once both build it; the commit
 * under the store lock makes that harmless (same digest, same image id, one layer stored).
 */
import { runTool } from '../util/tool.js';
import { createWriteStream } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { NotFoundError } from '../errors.js';
import { DEFAULT_PATH } from '../spec/config.js';
import { makeTempDir } from './files.js';
import { importTarball } from './import.js';
import type { ImageRecord } from './store.js';

const CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/usr/sbin/busybox'];

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;
const GROUP = `root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
`;
const SHADOW = `root:*::0:::::
daemon:*::0:::::
nobody:*::0:::::
`;

/** True if the ELF file has no PT_INTERP program header, i.e. needs no dynamic loader. */
export async function isStaticElf(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const ehdr = Buffer.alloc(64);
    await fh.read(ehdr, 0, 64, 0);
    if (ehdr.readUInt32BE(0) !== 0x7f454c46) return false; // "\x7fELF"
    const is64 = ehdr[4] === 2;
    const le = ehdr[5] === 1;
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? ehdr.readBigUInt64LE(32) : ehdr.readBigUInt64BE(32)) : u32(ehdr, 28);
    const phentsize = u16(ehdr, is64 ? 54 : 42);
    const phnum = u16(ehdr, is64 ? 56 : 44);
    const phdrs = Buffer.alloc(phentsize * phnum);
    await fh.read(phdrs, 0, phdrs.length, phoff);
    for (let i = 0; i < phnum; i++) if (u32(phdrs, i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    await fh.close();
  }
}

/** The host's static busybox: $MINICTR_BUSYBOX, or the first static one on the usual paths. */
export async function findStaticBusybox(): Promise<string> {
  const env = process.env.MINICTR_BUSYBOX;
  const candidates = env ? [env] : CANDIDATES;
  let dynamic: string | undefined;
  for (const path of candidates) {
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) continue;
    if (await isStaticElf(path)) return path;
    dynamic ??= path;
  }
  const why = dynamic
    ? `${dynamic} is dynamically linked`
    : `no busybox found at ${candidates.join(', ')}`;
  throw new NotFoundError(
    `image not found: busybox (the built-in image needs a static busybox and ${why}; install busybox-static, or set MINICTR_BUSYBOX)`,
  );
}

/** Write the busybox rootfs as a tar file. */
async function writeRootfsTar(busybox: string, out: string): Promise<void> {
  const binary = await readFile(busybox);
  const mtime = (await stat(busybox)).mtime;
  const applets = (await runTool(busybox, ['--list-full'])).stdout
    .split('\n')
    .map((l) => l.trim().replace(/^\/+/, ''))
    .filter((l) => l && l !== 'bin/busybox' && !l.split('/').includes('..'));

  const dirs = new Map<string, number>([
    ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o555], ['root', 0o700],
    ['sbin', 0o755], ['sys', 0o555], ['tmp', 0o1777], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755],
    ['var', 0o755],
  ]);
  for (const a of applets) {
    for (let d = dirname(a); d !== '.' && !dirs.has(d); d = dirname(d)) dirs.set(d, 0o755);
  }

  const pack = tarStream.pack();
  const writing = pipeline(pack, createWriteStream(out));
  const base = { uid: 0, gid: 0, mtime, uname: 'root', gname: 'root' };
  pack.entry({ ...base, name: './', type: 'directory', mode: 0o755 });
  for (const [name, mode] of [...dirs].sort(([a], [b]) => a.localeCompare(b))) {
    pack.entry({ ...base, name, type: 'directory', mode });
  }
  pack.entry({ ...base, name: 'bin/busybox', type: 'file', mode: 0o755 }, binary);
  for (const [name, text, mode] of [
    ['etc/passwd', PASSWD, 0o644],
    ['etc/group', GROUP, 0o644],
    ['etc/shadow', SHADOW, 0o600],
  ] as const) {
    pack.entry({ ...base, name, type: 'file', mode }, text);
  }
  for (const a of [...new Set(applets)].sort()) {
    // Relative links, so they resolve the same inside the container and when inspected on the host.
    const linkname = relative(dirname(`/${a}`), '/bin/busybox');
    pack.entry({ ...base, name: a, type: 'symlink', mode: 0o777, linkname });
  }
  pack.finalize();
  await writing;
}

/** Build and store the busybox image (tagged busybox:latest). */
export async function createBusyboxImage(): Promise<ImageRecord> {
  const busybox = await findStaticBusybox();
  const tmp = await makeTempDir('busybox');
  try {
    const tarball = join(tmp, 'busybox-rootfs.tar');
    await writeRootfsTar(busybox, tarball);
    return await importTarball(tarball, 'busybox:latest', { config: { Env: [`PATH=${DEFAULT_PATH}`], Cmd: ['sh'] } });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
