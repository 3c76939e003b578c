/**
 * `minictr net ns`: interchangeable with `ip netns` in both directions.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';
import { netnsNames, sh } from './net-helpers.js';

const made: string[] = [];
afterEach(async () => {
  for (const n of made.splice(0)) {
    if (netnsNames().includes(n)) await sh('ip', ['netns', 'del', n]);
    rmSync(`/etc/netns/${n}`, { recursive: true, force: true });
  }
});

describe('net ns', () => {
  it('add makes a namespace ip netns sees (a bind mount at /run/netns/NAME), del removes it', async () => {
    const n = uniq('ns');
    made.push(n);
    const r = await minictr(['net', 'ns', 'add', n]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`$ ip netns add ${n}`);
    expect((await sh('ip', ['netns', 'list'])).stdout).toMatch(new RegExp(`^${n}\\b`, 'm'));
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    expect(mounts).toContain(` /run/netns/${n} `);
    // It really is a network namespace of its own: only lo inside.
    const links = await sh('ip', ['-n', n, '-o', 'link']);
    expect(links.stdout.trim().split('\n').map((l) => l.split(': ')[1])).toEqual(['lo']);
    const d = await minictr(['net', 'ns', 'del', n]);
    expect(d.exitCode, d.stderr).toBe(0);
    expect((await sh('ip', ['netns', 'list'])).stdout).not.toMatch(new RegExp(`^${n}\\b`, 'm'));
  });

  it('ls shows namespaces made by ip netns add', async () => {
    const n = uniq('ns');
    made.push(n);
    await sh('ip', ['netns', 'add', n]);
    const r = await minictr(['net', 'ns', 'ls']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${n}\\b`, 'm'));
  });

  it('exec runs in the namespace, honours /etc/netns/NAME/hosts and returns the exit status', async () => {
    const n = uniq('ns');
    made.push(n);
    await sh('ip', ['netns', 'add', n]);
    mkdirSync(`/etc/netns/${n}`, { recursive: true });
    writeFileSync(`/etc/netns/${n}/hosts`, '127.0.0.1 localhost\n10.1.2.3 only-in-this-lab\n');
    const inode = statSync(`/run/netns/${n}`).ino;
    const self = await minictr(['net', 'ns', 'exec', n, '--', 'readlink', '/proc/self/ns/net']);
    expect(self.stdout.trim()).toBe(`net:[${inode}]`);
    const hosts = await minictr(['net', 'ns', 'exec', n, '--', 'getent', 'hosts', 'only-in-this-lab']);
    expect(hosts.stdout).toMatch(/^10\.1\.2\.3\s+only-in-this-lab/);
    expect((await sh('getent', ['hosts', 'only-in-this-lab'])).exitCode).not.toBe(0);
    const status = await minictr(['net', 'ns', 'exec', n, '--', 'sh', '-c', 'exit 7']);
    expect(status.exitCode).toBe(7);
  });

  it('refuses bad input with one line and changes nothing', async () => {
    const n = uniq('ns');
    made.push(n);
    await sh('ip', ['netns', 'add', n]);
    const dup = await minictr(['net', 'ns', 'add', n]);
    expect(dup.exitCode).toBe(1);
    expect(dup.stderr.trim()).toBe(`minictr: namespace ${n} already exists`);
    const missing = await minictr(['net', 'ns', 'del', `${n}x`]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain(`no namespace ${n}x`);
    const bad = await minictr(['net', 'ns', 'add', 'a/b']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const execMissing = await minictr(['net', 'exec', `${n}x`, '--', 'true']);
    expect(execMissing.exitCode).toBe(1);
  });
});
