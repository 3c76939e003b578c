/**
 * `minictr run --userns=remap`: the container's root is an unprivileged range of host ids
 * (Docker's userns-remap), seen from both sides: inside, /proc/self/uid_map, `id` and the
 * image's owners; outside, the uid the kernel runs its processes as and owns its files by,
 * and what its root cannot do to the host's files.
 *
 * The file keeps a store of its own on a small ext4 (a loop device): idmapped mounts depend
 * on the filesystem, and the suite's state may be on one without them (tmpfs before 6.3, as
 * in the VM's Debian kernel); a ramfs store shows the refusal where they are missing. Its
 * /etc (subuid, subgid, passwd: MINICTR_SUBID_PREFIX) is its own too, so creating the user
 * minictr changes nothing on the host, and its default network has a bridge of its own.
 */
import { execa } from 'execa';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minictr, uniq, type CliResult } from './helpers/cli.js';
import { leftovers, newSince } from './helpers/container.js';
import { testBase } from './helpers/image-fixtures.js';

const base = testBase();
let dir: string;
let store: string;
let prefix: string;
const bridge = uniq('mtu');
const subnet = `10.${150 + (randomBytes(1)[0]! % 50)}.0.0/16`;
const made: string[] = [];

const envFor = (over: Record<string, string> = {}): Record<string, string> => ({
  MINICTR_ROOT: join(store, 'lib'), MINICTR_SUBID_PREFIX: prefix, MINICTR_BRIDGE_NAME: bridge, MINICTR_BRIDGE_SUBNET: subnet,
  // one firewall backend from the bridge's creation to its removal: left to choose, minictr
  // follows whether the host's iptables holds rules, which other suites change meanwhile
  MINICTR_FIREWALL: 'nftables',
  ...over,
});
const ctr = (args: string[], over: Record<string, string> = {}): Promise<CliResult> => minictr(args, { env: envFor(over) });
const lines = (text: string): string[] => text.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
const mounted = (path: string): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);

/** A prefix for useradd/usermod --prefix: the host's user database, and subid files as given. */
function etcPrefix(name: string, subuid: string, subgid: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, 'etc'), { recursive: true });
  for (const f of ['passwd', 'group', 'shadow', 'gshadow']) copyFileSync(`/etc/${f}`, join(p, 'etc', f));
  writeFileSync(join(p, 'etc', 'subuid'), subuid);
  writeFileSync(join(p, 'etc', 'subgid'), subgid);
  return p;
}

/** The range minictr's line in the prefix's subuid gives, once the first run made it. */
function minictrRange(): { start: number; count: number } {
  const line = readFileSync(join(prefix, 'etc', 'subuid'), 'utf8').split('\n').find((l) => l.startsWith('minictr:'));
  if (!line) throw new Error('no range for minictr in the prefix\'s subuid');
  const [, start, count] = line.split(':');
  return { start: Number(start), count: Number(count) };
}

/** The container dirs and names of this file's store. */
const storeContainers = (): string[] => {
  const d = join(store, 'lib', 'containers');
  return existsSync(d) ? [...readdirSync(d), ...readdirSync(join(d, '.names')).map((n) => `name ${n}`)].sort() : [];
};

/** Of what is new on the host (other engineers' runs may add theirs), what is this container's
 * (its id: cgroups, mounts) or this file's (its dir). */
const mine = (id: string) => (l: string): boolean => l.includes(id) || l.includes(dir);

/** Every mount of every process that names this path: the host's and each namespace's. */
function mountsNaming(fragment: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      for (const l of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) if (l.includes(fragment)) out.push(`${pid}: ${l}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

let initial: Awaited<ReturnType<typeof leftovers>>;

beforeAll(async () => {
  initial = await leftovers();
  // the container's root (a host uid with no rights over the host's files) must get through
  // the dirs above its store, as in the OCI user-namespace test
  chmodSync(base, 0o711);
  dir = mkdtempSync(join(base, 'userns-'));
  chmodSync(dir, 0o755);
  await execa('modprobe', ['-a', 'loop', 'ext4'], { reject: false }); // the VM's kernel has them as modules
  const img = join(dir, 'store.img');
  await execa('truncate', ['-s', '256M', img]);
  await execa('mkfs.ext4', ['-q', '-F', img]);
  store = join(dir, 'store');
  mkdirSync(store);
  await execa('mount', ['-o', 'loop', img, store]);
  chmodSync(store, 0o755);
  // someone else's ranges are where minictr's would go first: it must pick the next free one
  prefix = etcPrefix('etc-prefix', 'alice:100000:65536\n', 'alice:100000:65536\nbob:165536:10\n');
  // an image of two layers: busybox, then a commit with a file of uid 1000, a deleted file
  // (a whiteout) and a replaced directory (opaque): the idmapped layers must keep all three
  const name = uniq('un-base-');
  const r = await ctr(['run', '--name', name, '--network', 'none', 'busybox', 'sh', '-c',
    'mkdir -p /home/user && echo hi > /home/user/file && chown -R 1000:1000 /home/user && rm /etc/shadow && rm -rf /usr/sbin && mkdir /usr/sbin && echo only > /usr/sbin/only']);
  expect(r.stderr).toBe('');
  const c = await ctr(['commit', name, 'owners:1']);
  expect(c.stderr).toBe('');
  expect((await ctr(['rm', name])).exitCode).toBe(0);
}, 120_000);

afterAll(async () => {
  if (made.length) await ctr(['rm', '-f', ...made]);
  await ctr(['network', 'rm', '-f', 'bridge']);
  if (store && mounted(store)) await execa('umount', ['-l', store], { reject: false });
});

describe('run --userns=remap', () => {
  it('with no range for minictr or root, the first run creates the user minictr with 65536 ids in a free range, and says so', async () => {
    const r = await ctr(['run', '--rm', '--userns=remap', '--network', 'none', 'busybox', 'cat', '/proc/self/uid_map', '/proc/self/gid_map']);
    const range = '165546-231081'; // after alice's 100000-165535 (subuid and subgid) and bob's 165536-165545 (subgid)
    expect(r.stderr).toBe(`minictr: --userns=remap: neither minictr nor root had subordinate ids in ${prefix}/etc/subuid: created the system user minictr with uids and gids ${range} (useradd --system minictr; usermod --add-subuids ${range} --add-subgids ${range} minictr)`);
    expect(r.exitCode).toBe(0);
    expect(lines(r.stdout)).toEqual(['0 165546 65536', '0 165546 65536']);
    expect(readFileSync(join(prefix, 'etc', 'subuid'), 'utf8')).toBe('alice:100000:65536\nminictr:165546:65536\n');
    expect(readFileSync(join(prefix, 'etc', 'subgid'), 'utf8')).toBe('alice:100000:65536\nbob:165536:10\nminictr:165546:65536\n');
    expect(readFileSync(join(prefix, 'etc', 'passwd'), 'utf8')).toMatch(/^minictr:x:\d+:\d+::\/nonexistent:\/usr\/sbin\/nologin$/m);
    // once made, the range is used as it is: no second user, no second note
    const again = await ctr(['run', '--rm', '--userns=remap', '--network', 'none', 'busybox', 'cat', '/proc/self/uid_map']);
    expect(again.stderr).toBe('');
    expect(lines(again.stdout)).toEqual(['0 165546 65536']);
    expect(readFileSync(join(prefix, 'etc', 'subuid'), 'utf8').match(/^minictr:/gm)).toHaveLength(1);
  });

  it('inside, root with the image as it was built; outside, its processes run as the mapped uid and its files belong to it', async () => {
    const { start } = minictrRange();
    const before = await leftovers();
    const name = uniq('un-');
    made.push(name);
    const d = await ctr(['run', '-d', '--userns=remap', '--name', name, 'owners:1', 'sleep', '300']);
    expect(d.stderr).toBe('');
    expect(d.exitCode).toBe(0);
    const id = d.stdout.trim();
    const info = JSON.parse((await ctr(['inspect', name])).stdout)[0];
    const pid = info.State.Pid as number;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(/^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual([`${start}`, `${start}`, `${start}`, `${start}`]);
    expect(/^Gid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual([`${start}`, `${start}`, `${start}`, `${start}`]);
    // the idmapped layers and the overlay are in the container's mount namespace, not the host's
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(id);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(join(store, 'lib', 'layers'));

    const script = [
      'cat /proc/self/uid_map /proc/self/gid_map', 'id', 'ls -ln /bin/busybox', 'stat -c "%u %g %n" /home/user/file / /bin',
      'touch /new && stat -c "%u %g %n" /new', 'test -e /etc/shadow || echo no /etc/shadow', 'ls /usr/sbin', 'ip -4 -o addr show eth0 | grep -c inet',
    ].join('; ');
    const x = await ctr(['exec', name, 'sh', '-c', script]);
    expect(x.stderr).toBe('');
    const out = lines(x.stdout);
    expect(out.slice(0, 3)).toEqual([`0 ${start} 65536`, `0 ${start} 65536`, 'uid=0(root) gid=0(root)']);
    expect(out[3]).toMatch(/^-rwxr-xr-x 1 0 0 \d+ /); // ls -ln /bin/busybox
    expect(out.slice(4)).toEqual(['1000 1000 /home/user/file', '0 0 /', '0 0 /bin', '0 0 /new', 'no /etc/shadow', 'only', '1']);
    // the same files from the host: the layers as the image has them, the container's own as the mapped root
    const upper = join(store, 'lib', 'containers', id, 'upper');
    expect([statSync(join(upper, 'new')).uid, statSync(join(upper, 'new')).gid]).toEqual([start, start]);
    expect(statSync(upper).uid).toBe(start);

    expect(info.UserNamespace).toEqual({ Mode: 'remap', SubordinateIdsOf: 'minictr', UidMap: [`0 ${start} 65536`], GidMap: [`0 ${start} 65536`] });
    expect(info.Namespaces.user).toBe(readlinkSync(`/proc/${pid}/ns/user`));
    expect(info.Namespaces.user).not.toBe(readlinkSync('/proc/self/ns/user'));
    expect(info.Spec.linux.namespaces).toContainEqual({ type: 'user' });
    expect(info.Spec.linux.uidMappings).toEqual([{ containerID: 0, hostID: start, size: 65536 }]);
    // its changes belong to host ids: commit and export refuse, rather than make an image of them
    for (const verb of [['commit', name, 'remapped:1'], ['export', '-o', join(dir, 'x.tar'), name]]) {
      const refused = await ctr(verb);
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toBe(`minictr: ${verb[0]}: container ${name} runs with --userns=remap: its changes belong to host uids from ${start} on, which minictr does not map back to the container's for an image`);
    }
    expect(existsSync(join(dir, 'x.tar'))).toBe(false);

    expect((await ctr(['rm', '-f', name])).exitCode).toBe(0);
    made.splice(made.indexOf(name), 1);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(mountsNaming(id)).toEqual([]);
    expect(newSince(before, await leftovers()).filter(mine(id))).toEqual([]);
  });

  it('a file its root writes into a volume belongs to the mapped uid; the host\'s root-only files stay out of its reach (--userns=auto)', async () => {
    const { start } = minictrRange();
    const vol = mkdtempSync(join(dir, 'vol-'));
    chmodSync(vol, 0o777);
    const rootDir = mkdtempSync(join(dir, 'rootdir-'));
    chmodSync(rootDir, 0o755);
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'top secret\n', { mode: 0o600 });
    const script = [
      'echo hi > /vol/f', 'stat -c "%u %g" /vol/f /secret',
      'cat /secret; echo cat=$?', 'touch /rootdir/x; echo touch=$?', 'chmod 644 /secret; echo chmod=$?', 'chown 0 /secret; echo chown=$?',
    ].join('; ');
    const r = await ctr(['run', '--rm', '--userns=auto', '--network', 'none', '-v', `${vol}:/vol`, '-v', `${rootDir}:/rootdir`, '-v', `${secret}:/secret`, 'busybox', 'sh', '-c', script]);
    expect(r.exitCode).toBe(0);
    // inside: root owns what it wrote; the host's root is nobody (unmapped), and root's
    // capabilities (DAC override, chown, fowner) do not reach it
    expect(lines(r.stdout)).toEqual(['0 0', '65534 65534', 'cat=1', 'touch=1', 'chmod=1', 'chown=1']);
    expect(r.stderr).toMatch(/cat: can't open '\/secret': Permission denied/);
    // outside
    expect([statSync(join(vol, 'f')).uid, statSync(join(vol, 'f')).gid]).toEqual([start, start]);
    expect(existsSync(join(rootDir, 'x'))).toBe(false);
    const st = statSync(secret);
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
  });

  it('a named volume it makes belongs to its root: writable inside, filled from the image with in-image owners, mapped ids on the host', async () => {
    const { start } = minictrRange();
    const vol = uniq('unvol-');
    const r = await ctr(['run', '--rm', '--userns=remap', '--network', 'none', '-v', `${vol}:/usr`, 'busybox', 'sh', '-c', 'stat -c "%u %g %n" /usr /usr/bin; touch /usr/new && echo wrote']);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout)).toEqual(['0 0 /usr', '0 0 /usr/bin', 'wrote']);
    const data = join(store, 'lib', 'volumes', vol, '_data');
    for (const f of ['', 'bin', 'new']) expect([statSync(join(data, f)).uid, statSync(join(data, f)).gid]).toEqual([start, start]);
    expect((await ctr(['volume', 'rm', vol])).exitCode).toBe(0);
  });

  it("root's range is used when minictr has none", async () => {
    const rootOnly = etcPrefix('etc-root', 'root:300000:70000\n', 'root:400000:65536\n');
    const r = await ctr(['run', '--rm', '--explain', '--userns=remap', '--network', 'none', 'busybox', 'sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u'], { MINICTR_SUBID_PREFIX: rootOnly });
    expect(r.exitCode).toBe(0);
    expect(lines(r.stdout)).toEqual(['0 300000 70000', '0 400000 65536', '0']);
    // --explain: the map writes, then the idmapped clone of each layer (as util-linux spells
    // it), then the overlay of them, in the order they ran, before the child is released
    const cmds = r.stderr.split('\n').filter((l) => l.startsWith('    $ ')).map((l) => l.slice(6));
    const at = (re: RegExp): number => cmds.findIndex((c) => re.test(c));
    const uidMap = at(/^echo '0 300000 70000' > \/proc\/\d+\/uid_map$/);
    const gidMap = at(/^echo '0 400000 65536' > \/proc\/\d+\/gid_map$/);
    const idmapped = at(new RegExp(`^mount --bind -o X-mount\\.idmap=/proc/\\d+/ns/user (${store}/lib/layers/[0-9a-f]{64}/diff) \\1$`));
    const overlay = at(/^mount -t overlay overlay -o lowerdir=/);
    const released = at(/^setresgid\(0, 0, 0\); setresuid\(0, 0, 0\)$/);
    expect([uidMap, gidMap, idmapped, overlay, released].every((i) => i >= 0)).toBe(true);
    expect(uidMap < gidMap && gidMap < idmapped && idmapped < overlay && overlay < released).toBe(true);
    expect(readFileSync(join(rootOnly, 'etc', 'passwd'), 'utf8')).not.toMatch(/^minictr:/m);
  });

  it('a bad --userns, and --userns=remap with --network host, --privileged or --device, are refused with one line, leaving nothing behind', async () => {
    const before = await leftovers();
    const dirsBefore = storeContainers();
    const bad = await ctr(['run', '--rm', '--userns=bogus', 'busybox', 'true']);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toBe('minictr: invalid --userns "bogus": expected remap (auto is the same), or host');
    const host = await ctr(['run', '--rm', '--userns=remap', '--network', 'host', 'busybox', 'true']);
    expect(host.exitCode).toBe(125);
    expect(host.stderr).toBe("minictr: --userns=remap cannot be used with --network host: that network namespace belongs to the host's user namespace, not the container's");
    const priv = await ctr(['run', '--rm', '--userns=remap', '--privileged', '--network', 'none', 'busybox', 'true']);
    expect(priv.exitCode).toBe(125);
    expect(priv.stderr).toBe("minictr: --userns=remap cannot be used with --privileged: its root is an unprivileged host uid, not the host's root (use --cap-add for capabilities inside its namespaces)");
    const dev = await ctr(['run', '--rm', '--userns=remap', '--device', '/dev/null:/dev/xnull', '--network', 'none', 'busybox', 'true']);
    expect(dev.exitCode).toBe(125);
    expect(dev.stderr).toBe("minictr: --userns=remap cannot be used with --device: a host device node is not given to a remapped container's root");
    // refused before anything was made: no container, no name
    expect(newSince(before, await leftovers()).filter((l) => l.includes(dir))).toEqual([]);
    expect(storeContainers()).toEqual(dirsBefore);
  });

  it('a record whose maps were edited onto the host\'s root is broken: not started, named, removable', async () => {
    const name = uniq('un-');
    made.push(name);
    const r = await ctr(['run', '--userns=remap', '--network', 'none', '--name', name, 'busybox', 'true']);
    expect(r.exitCode).toBe(0);
    const id = JSON.parse((await ctr(['inspect', name])).stdout)[0].Id as string;
    const file = join(store, 'lib', 'containers', id, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    config.userns.uidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
    writeFileSync(file, JSON.stringify(config));
    const s = await ctr(['start', '-a', name]);
    expect(s.exitCode).not.toBe(0);
    expect(s.stderr).toBe(`minictr: container record ${file} is broken (userns.uidMappings: {"containerID":0,"hostID":0,"size":65536} maps onto the host's root (host id 0)): restore it, or remove the container with 'minictr rm -f ${id.slice(0, 12)}'`);
    expect((await ctr(['rm', '-f', id.slice(0, 12)])).exitCode).toBe(0);
    made.splice(made.indexOf(name), 1);
    expect(existsSync(join(store, 'lib', 'containers', id))).toBe(false);
  });

  it('where the layers\' filesystem has no idmapped mounts (ramfs), run is refused with one line naming the step, leaving nothing behind', async () => {
    const ram = join(dir, 'ram');
    mkdirSync(ram);
    await execa('mount', ['-t', 'ramfs', '-o', 'mode=755', 'ramfs', ram]);
    try {
      const before = await leftovers();
      // --explain, to learn the container's id (its cgroup's name) and see the step refused
      const r = await ctr(['run', '--rm', '--explain=full', '--userns=remap', '--network', 'none', 'busybox', 'true'], { MINICTR_ROOT: join(ram, 'lib'), MINICTR_IMPORT_MAX_BYTES: '64M' }); // ramfs reports no free space
      expect(r.exitCode).toBe(125);
      const said = r.stderr.split('\n').filter((l) => !l.startsWith('  '));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(new RegExp(`^minictr: --userns=remap needs idmapped image layers, which this host refuses: mount_setattr\\(${ram}/lib/layers/[0-9a-f]{64}/diff, MOUNT_ATTR_IDMAP\\): Invalid argument \\(they need kernel >= 5\\.12, overlayfs >= 5\\.19, and under MINICTR_ROOT a filesystem that allows them: ext4, xfs, btrfs, tmpfs >= 6\\.3\\)$`));
      expect(r.stderr).toMatch(/\$ mount --bind -o X-mount\.idmap=\/proc\/\d+\/ns\/user /);
      const id = /mkdir \/sys\/fs\/cgroup\/\S*minictr\/([0-9a-f]{64})/.exec(r.stderr)?.[1];
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(readdirSync(join(ram, 'lib', 'containers')).filter((e) => e !== '.names')).toEqual([]);
      expect(newSince(before, await leftovers()).filter(mine(id!))).toEqual([]);
      expect(mountsNaming(id!)).toEqual([]);
    } finally {
      await execa('umount', [ram]);
    }
  });

  it('the idmapped layers and the overlay live as long as the container: while it runs its store is busy, once it is gone nothing holds it', async () => {
    const name = uniq('un-');
    made.push(name);
    const d = await ctr(['run', '-d', '--userns=remap', '--network', 'none', '--name', name, 'busybox', 'sleep', '300']);
    expect(d.exitCode).toBe(0);
    const busy = await execa('umount', [store], { reject: false });
    expect(busy.exitCode).not.toBe(0);
    expect(busy.stderr).toMatch(/busy/i);
    expect((await ctr(['rm', '-f', name])).exitCode).toBe(0);
    made.splice(made.indexOf(name), 1);
    // the last test: the store's filesystem goes (a clone left in any mount namespace would keep it busy)
    await ctr(['network', 'rm', '-f', 'bridge']);
    const free = await execa('umount', [store], { reject: false });
    expect(free.stderr).toBe('');
    expect(free.exitCode).toBe(0);
    // and nothing of this file's is left on the host: its bridge, its rules, its mounts
    expect(newSince(initial, await leftovers()).filter((l) => l.includes(bridge) || l.includes(dir))).toEqual([]);
  });
});
