/**
 * An interrupted `run --rm` (kill -9) leaves its address lease, its port's anti-spoofing set
 * elements and, a moment, its veth: the next run on the network frees them (runtime/
 * lease-sweep.ts), elements and veth before the lease, and never a live container's. Facts:
 * the lease files, `nft list set`, /sys/class/net, the live container's own eth0.
 */
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { leftovers, newSince } from './helpers/container.js';
import { until } from './helpers/until.js';

const net = uniq('sw');
const made: string[] = [];
let table = '';
const ipsDir = (): string => join(process.env.MINICTR_ROOT!, 'networks', net, 'ips');
const leases = (): Map<string, string> => new Map(existsSync(ipsDir()) ? readdirSync(ipsDir()).map((ip) => [ip, readFileSync(join(ipsDir(), ip), 'utf8')]) : []);
const leaseOf = (id: string): string | undefined => [...leases()].find(([, owner]) => owner === id)?.[0];

/** The three sets' listings of the network's bridge table, as nft prints them. */
async function setListing(): Promise<string> {
  const out = await Promise.all(['arp_ok', 'ip_ok', 'guarded'].map(async (s) => (await execa('nft', ['list', 'set', 'bridge', table, s])).stdout));
  return out.join('\n');
}

const macOf = (ip: string): string => ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');

beforeAll(async () => {
  expect((await minictr(['network', 'create', net])).exitCode).toBe(0);
  table = `minictr-${JSON.parse((await minictr(['network', 'inspect', net])).stdout)[0].bridge as string}`;
});
afterAll(async () => {
  if (made.length) await minictr(['rm', '-f', ...made.splice(0)]);
  await minictr(['network', 'rm', '-f', net]);
});

describe('the next run on a network frees what a killed run --rm left on it', () => {
  it('kill -9 of an attached run --rm: the next run frees its lease, elements and veth; a live container\'s lease is untouched', async () => {
    const before = await leftovers();
    const live = uniq('swl-');
    const r = await minictr(['run', '-d', '--name', live, '--network', net, 'busybox', 'sleep', '300']);
    expect(r.exitCode, r.stderr).toBe(0);
    made.push(live);
    const liveId = r.stdout.trim();
    const liveIp = leaseOf(liveId)!;
    expect(liveIp).toBeDefined();

    const killed = uniq('swk-');
    const run = execa(BIN, ['run', '--rm', '--name', killed, '--network', net, 'busybox', 'sleep', '300'], { reject: false, stdin: 'ignore' });
    // running: its lease, its veth and its elements are there
    const [ip, id] = await until('the killed run\'s container is wired', () => [...leases()].find(([, owner]) => owner !== liveId && existsSync(`/sys/class/net/veth${owner.slice(0, 11)}`)));
    const veth = `veth${id.slice(0, 11)}`;
    await until('its elements', async () => (await setListing()).includes(`"${veth}"`));
    run.kill('SIGKILL');
    await run;
    made.push(id); // its record stays (rm or system prune removes it)
    // its container died with it (PDEATHSIG) and the kernel removed its veth; the lease and
    // the elements stay: nothing ran after the kill
    await until('its veth gone with its namespace', () => !existsSync(`/sys/class/net/${veth}`));
    expect(leaseOf(id)).toBe(ip);
    expect(await setListing()).toContain(`"${veth}"`);

    // not --rm: its own release is then rm's, done when rm returns (a --rm run's is detached,
    // and may still run when the leftovers are looked at below)
    const nextName = uniq('swn-');
    const next = await minictr(['run', '--name', nextName, '--network', net, 'busybox', 'true']);
    expect([next.exitCode, next.stderr]).toEqual([0, '']);
    made.push(nextName);
    expect(leaseOf(id)).toBeUndefined();
    const sets = await setListing();
    // (the next run may have been given the freed address: its elements then name it)
    const nextIp = [...leases()].find(([, owner]) => owner !== liveId)?.[0];
    for (const gone of [`"${veth}"`, ...(nextIp === ip ? [] : [macOf(ip), ` ${ip} `])]) expect(sets).not.toContain(gone);
    expect((await execa('ip', ['-br', 'link'])).stdout).not.toContain(veth);
    // the live container: its lease, its elements, its address in its namespace
    expect(leaseOf(liveId)).toBe(liveIp);
    expect(sets).toContain(`"veth${liveId.slice(0, 11)}"`);
    const inside = await minictr(['exec', live, 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(inside.stdout).toContain(` ${liveIp}/`);

    expect((await minictr(['rm', '-f', live, id, nextName])).exitCode).toBe(0);
    made.splice(0);
    // the network's own bridge and table stay until network rm (afterAll), and so does the NAT
    // table `ip minictr` its first run made (alone, this file is the first to make it)
    expect(newSince(before, await leftovers()).filter((l) => !l.includes(table.slice('minictr-'.length)) && l !== 'firewall: table ip minictr')).toEqual([]);
  });

  it('a lease whose veth still exists is kept until the veth is gone; one of a broken record is reported and kept', async () => {
    const subnet = JSON.parse((await minictr(['network', 'inspect', net])).stdout)[0].subnet as string;
    const base = subnet.split('.').slice(0, 3).join('.');
    const fakeId = (): string => [...Array(64)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
    // a container gone from the store whose teardown has not removed its veth yet
    const tearing = fakeId();
    const veth = `veth${tearing.slice(0, 11)}`;
    const ip = `${base}.250`;
    writeFileSync(join(ipsDir(), ip), tearing, { flag: 'wx' });
    await execa('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', uniq('swp')]);
    try {
      const r = await minictr(['run', '--rm', '--network', net, 'busybox', 'true']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(leaseOf(tearing)).toBe(ip);
    } finally {
      await execa('ip', ['link', 'del', veth]);
    }
    // a lease of a container whose record cannot be read: kept (system prune reports it)
    const broken = fakeId();
    const brokenDir = join(process.env.MINICTR_ROOT!, 'containers', broken);
    await execa('mkdir', ['-p', brokenDir]);
    writeFileSync(join(brokenDir, 'config.json'), '{ not json');
    writeFileSync(join(brokenDir, 'state.json'), '{}');
    writeFileSync(join(ipsDir(), `${base}.251`), broken, { flag: 'wx' });
    try {
      const r = await minictr(['run', '--rm', '--network', net, 'busybox', 'true']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(leaseOf(tearing)).toBeUndefined(); // its veth is gone now
      expect(leaseOf(broken)).toBe(`${base}.251`);
    } finally {
      await execa('rm', ['-rf', brokenDir, join(ipsDir(), `${base}.251`)]);
    }
  });
});

describe('network rm frees what a killed run --rm left on it', () => {
  it('a network whose only user was a kill -9\'d run --rm is removed: its bridge and lease go', async () => {
    const own = uniq('swr');
    expect((await minictr(['network', 'create', own])).exitCode).toBe(0);
    const bridge = JSON.parse((await minictr(['network', 'inspect', own])).stdout)[0].bridge as string;
    const ownIps = join(process.env.MINICTR_ROOT!, 'networks', own, 'ips');
    const killed = uniq('swrk-');
    const run = execa(BIN, ['run', '--rm', '--name', killed, '--network', own, 'busybox', 'sleep', '300'], { reject: false, stdin: 'ignore' });
    const id = await until('the killed run\'s container is wired', () => {
      const owner = existsSync(ownIps) ? readdirSync(ownIps).map((ip) => readFileSync(join(ownIps, ip), 'utf8'))[0] : undefined;
      return owner && existsSync(`/sys/class/net/veth${owner.slice(0, 11)}`) ? owner : undefined;
    });
    // its pid, saved before the network was wired (start.ts beforeStart)
    const { pid } = JSON.parse(readFileSync(join(process.env.MINICTR_ROOT!, 'containers', id, 'state.json'), 'utf8')) as { pid: number };
    run.kill('SIGKILL');
    await run;
    made.push(id);
    await until('its veth is gone', () => !existsSync(`/sys/class/net/veth${id.slice(0, 11)}`));
    // the veth goes when the namespace's last process exits, while the container's init (PID 1
    // of its pid namespace) may still be in the kernel's exit path, waiting for it: until it
    // is a zombie or gone its recorded pid lives, and the sweep rightly keeps the lease
    await until('its init has exited', () => {
      try {
        return /^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return true; // reaped
      }
    });
    expect(readdirSync(ownIps).length).toBe(1); // the lease stays: nothing ran after the kill
    const r = await minictr(['network', 'rm', own]);
    if (r.exitCode !== 0) await minictr(['network', 'rm', '-f', own]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await execa('ip', ['-br', 'link'])).stdout).not.toContain(bridge);
    expect(existsSync(ownIps)).toBe(false);
  });
});
