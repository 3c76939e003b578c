/**
 * --userns=remap's pure parts (src/runtime/userns.ts): the flag, the subordinate id files,
 * the free range minictr would give the user minictr, whose range a container gets, the
 * networks it refuses, and what the spec and the child's record get from it.
 */
import { describe, expect, it } from 'vitest';
import { CLONE } from '../../src/native/index.js';
import { parseNetworkMode } from '../../src/network/container/mode.js';
import { toSpawnRecord } from '../../src/runtime/native-spec.js';
import { buildContainerSpec } from '../../src/runtime/spec.js';
import type { Container } from '../../src/runtime/store.js';
import {
  checkUsernsNetwork, checkUsernsSecurity, freeRange, idMappings, mappedRoot, parseSubids, parseUsernsMode, pickMapping, userNamespace, usernsProblem, type SubidEntry, type UsernsConfig,
} from '../../src/runtime/userns.js';

const REMAP: UsernsConfig = {
  mode: 'remap', user: 'minictr', uidMappings: [{ containerID: 0, hostID: 165536, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 231072, size: 65536 }],
};
const OWNERS = [['minictr', '995'], ['root', '0']];
const e = (owner: string, start: number, count: number): SubidEntry => ({ owner, start, count });

describe('--userns', () => {
  it('remap and auto (the same) make a user namespace; host, or no flag, none', () => {
    expect(parseUsernsMode('remap')).toBe('remap');
    expect(parseUsernsMode('auto')).toBe('remap');
    expect(parseUsernsMode('host')).toBe('host');
    expect(parseUsernsMode(undefined)).toBe('host');
  });

  it.each(['', 'keep-id', 'Remap', 'remap:1000'])('%j is refused with one line', (flag) => {
    expect(() => parseUsernsMode(flag)).toThrow(`invalid --userns "${flag}": expected remap (auto is the same), or host`);
  });

  it('with remap, --network host, container: and netns: are refused; bridge, a network and none are not', () => {
    expect(() => checkUsernsNetwork('remap', parseNetworkMode('host'))).toThrow('--userns=remap cannot be used with --network host: that network namespace belongs to the host\'s user namespace, not the container\'s');
    expect(() => checkUsernsNetwork('remap', parseNetworkMode('container:db'))).toThrow('--network container:db');
    expect(() => checkUsernsNetwork('remap', parseNetworkMode('netns:red'))).toThrow('--network netns:red');
    for (const m of [undefined, 'bridge', 'mynet', 'none']) expect(() => checkUsernsNetwork('remap', parseNetworkMode(m))).not.toThrow();
    expect(() => checkUsernsNetwork('host', parseNetworkMode('host'))).not.toThrow();
  });
});

describe('--userns=remap with security flags', () => {
  it('--privileged and --device are refused with one line; without remap, or with other flags, they are not', () => {
    expect(() => checkUsernsSecurity('remap', { privileged: true, devices: [] })).toThrow("--userns=remap cannot be used with --privileged: its root is an unprivileged host uid, not the host's root (use --cap-add for capabilities inside its namespaces)");
    expect(() => checkUsernsSecurity('remap', { privileged: false, devices: [{}] })).toThrow("--userns=remap cannot be used with --device: a host device node is not given to a remapped container's root");
    expect(() => checkUsernsSecurity('remap', { privileged: false, devices: [] })).not.toThrow();
    expect(() => checkUsernsSecurity('host', { privileged: true, devices: [{}] })).not.toThrow();
  });
});

describe('/etc/subuid and /etc/subgid', () => {
  it('OWNER:START:COUNT lines; comments, blank and malformed lines are skipped', () => {
    const text = '# ranges\nminictr:100000:65536\n\n  root:200000:1000  \nbad line\nx:1:0\ny:-1:5\nz:4294967290:10\n995:300000:65536';
    expect(parseSubids(text)).toEqual([e('minictr', 100000, 65536), e('root', 200000, 1000), e('995', 300000, 65536)]);
  });

  it('the free range starts at 100000, after every range of both files that is in its way', () => {
    expect(freeRange([])).toBe(100000);
    expect(freeRange([e('alice', 100000, 65536)])).toBe(165536);
    // unsorted, overlapping, in both files; a gap too small is skipped, a big enough one taken
    expect(freeRange([e('bob', 165536, 10), e('alice', 100000, 65536), e('carol', 200000, 65536), e('alice', 120000, 100)])).toBe(265536);
    expect(freeRange([e('bob', 165536 + 65536, 10), e('alice', 100000, 65536)])).toBe(165536);
    expect(freeRange([e('low', 1000, 50000)])).toBe(100000);
    expect(() => freeRange([e('all', 100000, 4294967295 - 100000)])).toThrow('--userns=remap: no 65536 free subordinate ids are left below 4294967295');
  });

  it("minictr's range (by name or uid) is taken before root's; none: undefined", () => {
    expect(pickMapping([e('root', 1, 65536), e('995', 100000, 65536)], [e('minictr', 200000, 70000)], OWNERS)).toEqual({
      mode: 'remap', user: 'minictr', uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 200000, size: 70000 }],
    });
    expect(pickMapping([e('0', 300000, 65536)], [e('root', 400000, 65536)], OWNERS)?.uidMappings).toEqual([{ containerID: 0, hostID: 300000, size: 65536 }]);
    expect(pickMapping([e('alice', 100000, 65536)], [], OWNERS)).toBeUndefined();
  });

  it('a range in one file only, or one too small for an image\'s users, is refused naming the file', () => {
    expect(() => pickMapping([e('minictr', 100000, 65536)], [e('root', 1, 65536)], OWNERS)).toThrow(
      '--userns=remap: /etc/subgid has no range for minictr, though /etc/subuid has one: add it (usermod --add-subgids FIRST-LAST minictr)',
    );
    expect(() => pickMapping([e('root', 100000, 1000)], [e('root', 100000, 65536)], OWNERS)).toThrow(
      "--userns=remap: root's range in /etc/subuid (root:100000:1000) has fewer than 65536 ids, which an image's users need",
    );
  });
});

describe('a container record\'s userns, as read back (store.ts)', () => {
  it('absent, or as remap wrote it: fine', () => {
    expect(usernsProblem(undefined)).toBeUndefined();
    expect(usernsProblem(REMAP)).toBeUndefined();
  });

  it('edited into something else, or onto the host\'s root: a broken record, naming what', () => {
    const withUid = (m: unknown): unknown => ({ ...REMAP, uidMappings: m });
    expect(usernsProblem('remap')).toBe('userns is not an object');
    expect(usernsProblem({ ...REMAP, mode: 'host' })).toBe('userns: mode is not "remap", or user is missing');
    expect(usernsProblem(withUid([]))).toBe('userns.uidMappings is not a list of mappings');
    expect(usernsProblem(withUid([{ containerID: 0, hostID: -1, size: 1 }]))).toBe('userns.uidMappings: {"containerID":0,"hostID":-1,"size":1} is not a mapping');
    expect(usernsProblem(withUid([{ containerID: 0, hostID: 100000, size: 0 }]))).toBe('userns.uidMappings: {"containerID":0,"hostID":100000,"size":0} is not a mapping');
    expect(usernsProblem(withUid([{ containerID: 0, hostID: 0, size: 65536 }]))).toBe('userns.uidMappings: {"containerID":0,"hostID":0,"size":65536} maps onto the host\'s root (host id 0)');
    expect(usernsProblem(withUid([{ containerID: 1, hostID: 100000, size: 65536 }]))).toBe("userns.uidMappings: no mapping for the container's root (0)");
    expect(usernsProblem({ ...REMAP, gidMappings: [{ containerID: 0, hostID: 0, size: 10 }] })).toMatch(/^userns\.gidMappings: .* maps onto the host's root/);
  });

  it('a subordinate range that starts at host id 0 is refused when picked', () => {
    expect(() => pickMapping([e('root', 0, 65536)], [e('root', 100000, 65536)], OWNERS)).toThrow(
      "--userns=remap: root's range in /etc/subuid (root:0:65536) starts at the host's root (0)",
    );
  });
});

const container = (userns?: UsernsConfig): Container => ({
  dir: '/var/lib/minictr/containers/c1',
  state: { status: 'created' },
  config: {
    id: 'c1', name: 'web', image: 'busybox', imageId: 'i', created: '2025-01-01T00:00:00.000Z', command: ['sh'], env: [], cwd: '/', hostname: 'c1',
    tty: false, interactive: false, autoRemove: false, volumes: [], tmpfs: [], ...(userns ? { userns } : {}),
  },
});

describe('what the spec and the child get', () => {
  it('remap: a user namespace and the maps (copies, so the record is never shared); host: neither', () => {
    expect(userNamespace(REMAP)).toEqual([{ type: 'user' }]);
    expect(idMappings(REMAP)).toEqual({ uidMappings: REMAP.uidMappings, gidMappings: REMAP.gidMappings });
    expect(idMappings(REMAP).uidMappings).not.toBe(REMAP.uidMappings);
    expect(userNamespace(undefined)).toEqual([]);
    expect(idMappings(undefined)).toEqual({});
    expect(mappedRoot(REMAP)).toEqual({ uid: 165536, gid: 231072 });
  });

  it('the spec of a remapped container has them; the child is cloned into a user namespace, its root from the parent', () => {
    const spec = buildContainerSpec({ container: container(REMAP), imageEnv: [], etcMounts: [], network: parseNetworkMode(undefined) });
    expect(spec.linux!.namespaces).toContainEqual({ type: 'user' });
    expect(spec.linux!.uidMappings).toEqual([{ containerID: 0, hostID: 165536, size: 65536 }]);
    expect(spec.linux!.gidMappings).toEqual([{ containerID: 0, hostID: 231072, size: 65536 }]);
    const r = toSpawnRecord(spec, { bundle: '/b', rootFromParent: true, initMode: 'pid1', initPath: '/x', stdio: [0, 1, 2], cgroupFd: -1, explainFd: -1, dieWithParent: true, lastCap: 40 });
    expect(r.cloneFlags & CLONE.NEWUSER).toBe(CLONE.NEWUSER);
    expect(r.rootFromParent).toBe(true);
    expect(r).not.toHaveProperty('overlay');

    const plain = buildContainerSpec({ container: container(), imageEnv: [], etcMounts: [], network: parseNetworkMode(undefined) });
    expect(plain.linux!.namespaces).not.toContainEqual({ type: 'user' });
    expect(plain.linux).not.toHaveProperty('uidMappings');
    const p = toSpawnRecord(plain, { bundle: '/b', overlay: 'lowerdir=/l', initMode: 'pid1', initPath: '/x', stdio: [0, 1, 2], cgroupFd: -1, explainFd: -1, dieWithParent: true, lastCap: 40 });
    expect(p.cloneFlags & CLONE.NEWUSER).toBe(0);
    expect(p.rootFromParent).toBe(false);
  });
});
