/**
 * What a lab file may ask for and what a lab journal may say (issue 13): the limits of
 * src/network/lab/topology/limits.ts, the ranges and cross-checks of schema.ts, the plan check
 * of plan.ts, and the journal reader (journal.ts), which refuses a journal that is a symlink,
 * not a regular file, outside $MINICTR_RUN/net, or that names anything `up` never makes. No
 * root, no kernel object: the files are in a temp dir of this test.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, UsageError } from '../../src/errors.js';
import { InterruptedError } from '../../src/errors.js';
import type { Step } from '../../src/network/host/actions.js';
import { JournalError, journalPath, listJournals, parseJournal, readJournal } from '../../src/network/lab/topology/journal.js';
import { DEFAULT_LIMITS, labLimits, type LabLimits } from '../../src/network/lab/topology/limits.js';
import { lockPath, withLabLock } from '../../src/network/lab/topology/lock.js';
import { checkPlan, planUp } from '../../src/network/lab/topology/plan.js';
import { loadLabName, loadTopology, parseTopology, readLabFile, validateTopology } from '../../src/network/lab/topology/schema.js';
import { formatStatus } from '../../src/network/lab/topology/status.js';

const scratch = mkdtempSync(join(tmpdir(), 'minictr-unit-lab-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function refusal(doc: unknown, limits?: LabLimits): string {
  try {
    validateTopology(doc, 'lab.yaml', limits);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('validateTopology accepted it');
}

/** Two hosts on one switch; each case changes one thing. */
const base = (): Record<string, any> => ({
  name: 'lab',
  hosts: { a: { addresses: { eth0: '10.0.0.1/24' } }, b: { addresses: { eth0: '10.0.0.2/24' } } },
  switches: { sw: { type: 'linux' } },
  links: [{ endpoints: ['a:eth0', 'sw'] }, { endpoints: ['b:eth0', 'sw'] }],
});
const edited = (edit: (d: Record<string, any>) => void): Record<string, any> => {
  const d = base();
  edit(d);
  return d;
};

/** n hosts, each cabled to one of the switches (s0, s1, ...), one link per host. */
function star(n: number, switches = 1): Record<string, any> {
  const hosts: Record<string, unknown> = {};
  const links: unknown[] = [];
  const sw: Record<string, unknown> = {};
  for (let s = 0; s < switches; s++) sw[`s${s}`] = {};
  for (let i = 0; i < n; i++) {
    hosts[`h${i}`] = { addresses: { eth0: `10.${Math.floor(i / 65536) % 256}.${Math.floor(i / 256) % 256}.${i % 256}/8` } };
    links.push({ endpoints: [`h${i}:eth0`, `s${i % switches}:p${i}`] });
  }
  return { name: 'big', hosts, switches: sw, links };
}

describe('labLimits: a flag, else the variable, else the default', () => {
  it('the defaults', () => {
    expect(labLimits({}, {})).toEqual({ bytes: 1048576, hosts: 1000, switches: 1000, links: 4000 });
    expect(DEFAULT_LIMITS).toEqual(labLimits({}, {}));
  });

  it('variables raise them, flags win over variables', () => {
    const env = { MINICTR_LAB_MAX_HOSTS: '5000', MINICTR_LAB_MAX_SWITCHES: '7', MINICTR_LAB_MAX_LINKS: '9000', MINICTR_LAB_MAX_BYTES: '2097152' };
    expect(labLimits({}, env)).toEqual({ bytes: 2097152, hosts: 5000, switches: 7, links: 9000 });
    expect(labLimits({ hosts: '20000', links: '30000' }, env)).toEqual({ bytes: 2097152, hosts: 20000, switches: 7, links: 30000 });
    expect(labLimits({}, { MINICTR_LAB_MAX_HOSTS: '' }).hosts).toBe(1000);
  });

  it.each<[Partial<Record<'hosts' | 'switches' | 'links', string>>, NodeJS.ProcessEnv, string]>([
    [{ hosts: 'many' }, {}, '--max-hosts: "many" is not a whole number of at least 1'],
    [{ switches: '0' }, {}, '--max-switches: "0" is not a whole number of at least 1'],
    [{ links: '-5' }, {}, '--max-links: "-5" is not a whole number of at least 1'],
    [{ hosts: '1e6' }, {}, '--max-hosts: "1e6" is not a whole number of at least 1'],
    [{ hosts: '9'.repeat(13) }, {}, '--max-hosts: "9999999999999" is not a whole number of at least 1'],
    [{}, { MINICTR_LAB_MAX_HOSTS: '10k' }, 'MINICTR_LAB_MAX_HOSTS: "10k" is not a whole number of at least 1'],
    [{}, { MINICTR_LAB_MAX_BYTES: '1.5' }, 'MINICTR_LAB_MAX_BYTES: "1.5" is not a whole number of at least 1'],
  ])('refuses %j %j', (flags, env, message) => {
    expect(() => labLimits(flags, env)).toThrow(new UsageError(message));
  });
});

describe('counts are checked first, with how to raise them', () => {
  it('hosts, switches and links over their limits', () => {
    const small: LabLimits = { bytes: 1 << 20, hosts: 1, switches: 5, links: 5 };
    expect(refusal(base(), small)).toBe('lab.yaml: hosts: 2 hosts, more than the 1 allowed (--max-hosts or MINICTR_LAB_MAX_HOSTS raises it)');
    expect(refusal(base(), { ...small, hosts: 5, switches: 0 })).toBe('lab.yaml: switches: 1 switches, more than the 0 allowed (--max-switches or MINICTR_LAB_MAX_SWITCHES raises it)');
    expect(refusal(base(), { ...small, hosts: 5, links: 1 })).toBe('lab.yaml: links: 2 links, more than the 1 allowed (--max-links or MINICTR_LAB_MAX_LINKS raises it)');
  });

  it('the default stops at 1000 hosts, before looking at any of them', () => {
    const doc = star(1001);
    doc.hosts['h5'] = { no_such_key: 1 }; // never reached: the count comes first
    expect(refusal(doc)).toBe('lab.yaml: hosts: 1001 hosts, more than the 1000 allowed (--max-hosts or MINICTR_LAB_MAX_HOSTS raises it)');
  });

  it('raised, thousands of hosts and links validate and plan quickly', () => {
    const t0 = Date.now();
    const t = validateTopology(star(5000, 50), 'big.yaml', { ...DEFAULT_LIMITS, hosts: 5000, links: 5000 });
    const steps = planUp(t, { ovs: 'kernel', etcNetnsExisting: new Set() });
    checkPlan(steps, 'big.yaml');
    expect(t.hosts).toHaveLength(5000);
    expect(steps[0]!.actions.filter((a) => a.creates?.length)).toHaveLength(5000);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('sizes: any key or value, the nesting', () => {
  it('a value over 4096 bytes', () => {
    expect(refusal(edited((d) => { d.hosts.a.addresses.eth0 = '1'.repeat(4097); }))).toBe('lab.yaml: hosts.a.addresses.eth0: a value of 4097 bytes, more than the 4096 allowed');
    // bytes, not characters: 1366 × "é" is 2732 bytes... and 2049 of them are 4098
    expect(refusal(edited((d) => { d.links[0].rate = 'é'.repeat(2049); }))).toBe('lab.yaml: links[0].rate: a value of 4098 bytes, more than the 4096 allowed');
  });

  it('a 2 MB value is one line naming the field, not a stack trace', () => {
    const msg = refusal(edited((d) => { d.hosts.b.routes = [{ to: 'default', via: '9'.repeat(2_000_000) }]; }));
    expect(msg).toBe('lab.yaml: hosts.b.routes[0].via: a value of 2000000 bytes, more than the 4096 allowed');
  });

  it('a key over 4096 bytes is named by its parent, cut short', () => {
    expect(refusal(edited((d) => { d.hosts.a.addresses['x'.repeat(5000)] = '10.0.0.9/24'; }))).toBe('lab.yaml: hosts.a.addresses: a key of 5000 bytes, more than the 4096 allowed');
  });

  it('nesting deeper than any field', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 20; i++) deep = [deep];
    expect(refusal(edited((d) => { d.hosts.a.routes = deep; }))).toMatch(/^lab\.yaml: hosts\.a\.routes(\[0\])+: nested deeper than any field of a lab file \(8 levels\)$/);
  });

  it('a lab name too long, from the file or from its name', () => {
    expect(refusal(edited((d) => { d.name = 'n'.repeat(300); }))).toBe(`lab.yaml: name: "${'n'.repeat(40)}…" is not a valid lab name (longer than 64 characters)`);
    expect(() => validateTopology({ hosts: { a: {} } }, `/labs/${'f'.repeat(70)}.yaml`)).toThrow(/: name: "f{40}…" is not a valid lab name \(longer than 64 characters\)$/);
    expect(() => validateTopology({ hosts: { a: {} } }, '/labs/my lab.yaml')).toThrow('/labs/my lab.yaml: name: "my lab" is not a valid lab name');
  });

  it('lists of a host: at most 1000 addresses on an interface, 1000 routes', () => {
    const many = Array.from({ length: 1001 }, (_, i) => `10.1.${i >> 8}.${i & 255}/16`);
    expect(refusal(edited((d) => { d.hosts.a.addresses.eth0 = many; }))).toBe('lab.yaml: hosts.a.addresses.eth0: 1001 addresses, more than the 1000 allowed');
    const routes = Array.from({ length: 1001 }, () => ({ to: 'default', dev: 'eth0' }));
    expect(refusal(edited((d) => { d.hosts.a.routes = routes; }))).toBe('lab.yaml: hosts.a.routes: 1001 routes, more than the 1000 allowed');
  });
});

describe('ranges: rates, times, losses', () => {
  it.each<[unknown, string]>([
    [0, 'lab.yaml: links[1].rate: 0 is not a rate (1kbit..100gbit)'],
    ['0kbit', 'lab.yaml: links[1].rate: "0kbit" is not a rate (1kbit..100gbit)'],
    ['999bit', 'lab.yaml: links[1].rate: "999bit" is not a rate (1kbit..100gbit)'],
    ['101gbit', 'lab.yaml: links[1].rate: "101gbit" is not a rate (1kbit..100gbit)'],
    ['99999999999999999999mbit', 'lab.yaml: links[1].rate: "99999999999999999999mbit" is not a rate (1kbit..100gbit)'],
    ['13gbps', 'lab.yaml: links[1].rate: "13gbps" is not a rate (1kbit..100gbit)'], // 104 gbit: bps is bytes
    [Infinity, 'lab.yaml: links[1].rate: Infinity is not a rate (1kbit..100gbit)'],
    ['10 mbit', 'lab.yaml: links[1].rate: "10 mbit" is not a rate (1kbit..100gbit)'],
  ])('a rate of %j', (rate, message) => {
    expect(refusal(edited((d) => { d.links[1].rate = rate; }))).toBe(message);
  });

  it.each(['1kbit', '100gbit', '12.5gbps', '1.5kbit', '10Mbit', '125kbps'])('a rate of %s is one', (rate) => {
    expect(validateTopology(edited((d) => { d.links[1].rate = rate; }), 'lab.yaml').links[1]!.impair).toEqual({ rate });
  });

  it.each<[string, unknown, string]>([
    ['delay', '61s', 'lab.yaml: links[0].delay: "61s" is not a time (0us..60s, like 50ms)'],
    ['delay', '60001ms', 'lab.yaml: links[0].delay: "60001ms" is not a time (0us..60s, like 50ms)'],
    ['delay', '1h', 'lab.yaml: links[0].delay: "1h" is not a time (0us..60s, like 50ms)'],
    ['delay', 50, 'lab.yaml: links[0].delay: 50 is not a time (0us..60s, like 50ms)'],
    ['delay', `${'9'.repeat(30)}ms`, `lab.yaml: links[0].delay: "${'9'.repeat(30)}ms" is not a time (0us..60s, like 50ms)`],
    ['loss', '100.5%', 'lab.yaml: links[0].loss: "100.5%" is not a percentage like 1%'],
    ['loss', '1e2', 'lab.yaml: links[0].loss: "1e2" is not a percentage like 1%'],
  ])('a %s of %j', (key, value, message) => {
    expect(refusal(edited((d) => { d.links[0].delay = '10ms'; d.links[0][key] = value; }))).toBe(message);
  });

  it('a jitter out of range, and the largest times that are ones', () => {
    expect(refusal(edited((d) => { d.links[0].delay = '10ms'; d.links[0].jitter = '90s'; }))).toBe('lab.yaml: links[0].jitter: "90s" is not a time (0us..60s, like 5ms)');
    const t = validateTopology(edited((d) => { d.links[0].delay = '60s'; d.links[0].jitter = '60000ms'; d.links[0].loss = '100%'; }), 'lab.yaml');
    expect(t.links[0]!.impair).toEqual({ delay: '60s', jitter: '60000ms', loss: '100%' });
  });
});

describe('cross-checks: addresses, routes, names in one namespace', () => {
  it.each<[string, (d: Record<string, any>) => void, string]>([
    ['a zone in an address', (d) => { d.hosts.a.addresses.eth0 = 'fe80::1%eth0/64'; }, 'lab.yaml: hosts.a.addresses.eth0: "fe80::1%eth0/64" is not an address with a prefix length (like 10.0.0.1/24)'],
    ['a zone in a gateway', (d) => { d.hosts.a.routes = [{ to: 'default', via: 'fe80::1%eth0' }]; }, 'lab.yaml: hosts.a.routes[0].via: "fe80::1%eth0" is not an IP address'],
    ['a prefix with leading digits', (d) => { d.hosts.a.addresses.eth0 = '10.0.0.1/0024'; }, 'lab.yaml: hosts.a.addresses.eth0: "10.0.0.1/0024" is not an address with a prefix length (like 10.0.0.1/24)'],
    ['a route to a host, not a network', (d) => { d.hosts.a.routes = [{ to: '10.9.0.1/16', dev: 'eth0' }]; }, 'lab.yaml: hosts.a.routes[0].to: "10.9.0.1/16" is not a network: host bits set (did you mean 10.9.0.0/16?)'],
    ['an IPv6 route to a host', (d) => { d.hosts.a.routes = [{ to: 'fd00:1:2::5/64', dev: 'eth0' }]; }, 'lab.yaml: hosts.a.routes[0].to: "fd00:1:2::5/64" is not a network: host bits set (did you mean fd00:1:2::/64?)'],
    ['a mapped IPv4 route to a host', (d) => { d.hosts.a.routes = [{ to: '::ffff:10.0.0.1/120', dev: 'eth0' }]; }, 'lab.yaml: hosts.a.routes[0].to: "::ffff:10.0.0.1/120" is not a network: host bits set (did you mean ::ffff:a00:0/120?)'],
    // what ip(8) would refuse midway, found before the first step
    ['the same address twice on an interface', (d) => { d.hosts.a.addresses.eth0 = ['10.0.0.1/24', '10.0.0.1/16']; }, 'lab.yaml: hosts.a.addresses.eth0[1]: 10.0.0.1 is already an address of a:eth0 (at [0])'],
    ['the same IPv6 address written two ways', (d) => { d.hosts.a.addresses.eth0 = ['fd00::1/64', 'fd00:0:0::0:1/64']; }, 'lab.yaml: hosts.a.addresses.eth0[1]: fd00:0:0::0:1 is already an address of a:eth0 (at [0])'],
    ['an IPv6 multicast address', (d) => { d.hosts.a.addresses.eth0 = 'ff02::5/64'; }, 'lab.yaml: hosts.a.addresses.eth0: ff02::5 is a multicast address: not an address of an interface'],
    ['the unspecified IPv6 address', (d) => { d.hosts.a.addresses.eth0 = ['10.0.0.1/24', '::/64']; }, 'lab.yaml: hosts.a.addresses.eth0[1]: :: is the unspecified address: not an address of an interface'],
    ['a destination twice', (d) => { d.hosts.a.routes = [{ to: '10.9.0.0/16', via: '10.0.0.2' }, { to: '10.9.0.0/16', dev: 'eth0' }]; }, 'lab.yaml: hosts.a.routes[1].to: a route to 10.9.0.0/16 is already at routes[0]'],
    ['default and 0.0.0.0/0', (d) => { d.hosts.a.routes = [{ to: 'default', via: '10.0.0.2' }, { to: '0.0.0.0/0', via: '10.0.0.3' }]; }, 'lab.yaml: hosts.a.routes[1].to: a route to 0.0.0.0/0 is already at routes[0]'],
    ['an IPv6 gateway for an IPv4 network', (d) => { d.hosts.a.routes = [{ to: '10.9.0.0/16', via: 'fd00::1' }]; }, 'lab.yaml: hosts.a.routes[0].via: fd00::1 is an IPv6 gateway for an IPv4 destination'],
    ['a gateway on no subnet', (d) => { d.hosts.a.routes = [{ to: 'default', via: '192.168.5.5' }]; }, 'lab.yaml: hosts.a.routes[0].via: host a cannot reach 192.168.5.5: it is on no subnet of its addresses or of an earlier route by dev'],
    ['a gateway on the subnet of another interface than dev', (d) => { d.links.push({ endpoints: ['a:eth1', 'b:eth1'] }); d.hosts.a.routes = [{ to: 'default', via: '10.0.0.2', dev: 'eth1' }]; }, 'lab.yaml: hosts.a.routes[0].via: host a cannot reach 10.0.0.2 through eth1: it is on no subnet of its addresses or of an earlier route by dev'],
    ['a gateway reached only by a later route', (d) => { d.hosts.a.routes = [{ to: '10.9.0.0/16', via: '10.8.0.1' }, { to: '10.8.0.0/16', dev: 'eth0' }]; }, 'lab.yaml: hosts.a.routes[0].via: host a cannot reach 10.8.0.1: it is on no subnet of its addresses or of an earlier route by dev'],
    ['a link-local gateway without dev', (d) => { d.hosts.a.routes = [{ to: 'fd01::/64', via: 'fe80::1' }]; }, 'lab.yaml: hosts.a.routes[0]: needs dev: fe80::1 is link-local (fe80::/10), reachable only through a named interface'],
    ['an interface called lo', (d) => { d.links[0].endpoints = ['a:lo', 'sw']; }, 'lab.yaml: links[0].endpoints[0]: lo is the loopback every namespace already has'],
    ['a switch port called lo', (d) => { d.links[0].endpoints = ['a:eth0', 'sw:lo']; }, 'lab.yaml: links[0].endpoints[1]: lo is the loopback every namespace already has'],
    ['a switch called lo', (d) => { d.switches = { lo: {} }; d.links = []; }, 'lab.yaml: switches.lo: lo is the loopback every namespace already has'],
    ['a host whose name starts with _', (d) => { d.hosts._a = {}; }, 'lab.yaml: hosts._a: "_a" is not a valid lab host name (1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)'],
    ['a host called ..', (d) => { d.hosts['..'] = {}; }, 'lab.yaml: hosts...: ".." is not a valid lab host name (1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)'],
    ['a host that climbs out of /etc/netns', (d) => { d.hosts['../../etc'] = {}; }, 'lab.yaml: hosts.../../etc: "../../etc" is not a valid lab host name (1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)'],
    ['a host name too long', (d) => { d.hosts['h'.repeat(65)] = {}; }, `lab.yaml: hosts.${'h'.repeat(40)}…: "${'h'.repeat(40)}…" is not a valid lab host name (longer than 64 characters)`],
    ['a link naming an unknown host', (d) => { d.links[0].endpoints = ['nobody:eth0', 'sw']; }, 'lab.yaml: links[0].endpoints[0]: unknown node "nobody" (not in hosts or switches)'],
    ['an unknown key, cut short', (d) => { d.hosts.a['k'.repeat(100)] = 1; }, `lab.yaml: hosts.a: unknown key "${'k'.repeat(40)}…" (expected one of: addresses, routes, sysctls, machine, image, cmd, env, binds)`],
  ])('%s', (_what, edit, message) => {
    expect(refusal(edited(edit))).toBe(message);
  });

  it('gateways on a subnet, through an earlier route by dev, or link-local with dev are fine', () => {
    const t = validateTopology(edited((d) => {
      d.hosts.a.addresses.eth0 = ['10.0.0.1/24', 'fd00::1/64'];
      d.hosts.a.routes = [
        { to: '10.8.0.0/16', dev: 'eth0' },
        { to: '10.9.0.0/16', via: '10.8.0.1' },
        { to: 'fd01::/64', via: 'fd00::2' },
        { to: 'fd02::/64', via: 'fe80::1', dev: 'eth0' },
        { to: 'default', via: '10.0.0.2' },
        { to: 'default', via: 'fd00::2' },
      ];
    }), 'lab.yaml');
    expect(t.hosts[0]!.routes).toHaveLength(6);
  });

  it('a route to a network, and default, are fine', () => {
    const t = validateTopology(edited((d) => { d.hosts.a.routes = [{ to: '10.9.0.0/16', dev: 'eth0' }, { to: 'fd00:1:2::/64', dev: 'eth0' }, { to: '0.0.0.0/0', via: '10.0.0.2' }]; }), 'lab.yaml');
    expect(t.hosts[0]!.routes.map((r) => r.to)).toEqual(['10.9.0.0/16', 'fd00:1:2::/64', '0.0.0.0/0']);
  });
});

describe('YAML: one line for anything the parser says', () => {
  it.each<[string, string, RegExp]>([
    ['a key twice', 'hosts: {a: {}}\nhosts: {b: {}}\n', /^lab\.yaml: not valid YAML: Map keys must be unique at line 2, column 1:$/],
    ['an unknown tag', 'hosts: !foo {a: {}}\n', /^lab\.yaml: not valid YAML: Unresolved tag: !foo at line 1, column 8:$/],
    ['two documents', 'hosts: {a: {}}\n---\nx: 1\n', /^lab\.yaml: not valid YAML: Source contains multiple documents/],
    ['100,000 [', `hosts: ${'['.repeat(100_000)}`, /^lab\.yaml: line 1: nested deeper than any field of a lab file \(32 levels\)$/],
  ])('%s', async (_what, text, message) => {
    const err = await parseTopology(text, 'lab.yaml').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('aliases expand at most 100 times (no "billion laughs")', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const err = await parseTopology(`${lines.join('\n')}\nhosts: {a: {}}\n`, 'lab.yaml').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^lab\.yaml: not valid YAML: Excessive alias count/);
  });
});

describe('the lab file: a regular file of bounded size', () => {
  it('a FIFO and /dev/zero are refused at once', () => {
    const fifo = join(scratch, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    expect(() => readLabFile(fifo)).toThrow(new UsageError(`lab file ${fifo} is not a regular file`));
    expect(() => readLabFile('/dev/zero')).toThrow(new UsageError('lab file /dev/zero is not a regular file'));
    expect(() => readLabFile(scratch)).toThrow(new UsageError(`lab file ${scratch} is not a regular file`));
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('more than the limit, with the variable that raises it', async () => {
    const file = join(scratch, 'big.yaml');
    writeFileSync(file, `# ${'x'.repeat(2000)}\nhosts: {a: {}}\n`);
    const small = { ...DEFAULT_LIMITS, bytes: 1000 };
    await expect(loadTopology(file, small)).rejects.toThrow(new UsageError(`lab file ${file} is 2018 bytes, more than the 1000 allowed (MINICTR_LAB_MAX_BYTES raises it)`));
    expect((await loadTopology(file)).name).toBe('big');
  });

  it('a missing file', async () => {
    await expect(loadTopology(join(scratch, 'none.yaml'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('loadLabName reads only the name (down and status act on the journal)', async () => {
    const file = join(scratch, 'named.yaml');
    writeFileSync(file, 'name: kept\nhosts: {a: {addresses: {eth9: nonsense}}}\n');
    expect(await loadLabName(file)).toBe('kept');
    writeFileSync(file, `name: ${'n'.repeat(65)}\n`);
    await expect(loadLabName(file)).rejects.toThrow(/name: "n{40}…" is not a valid lab name/);
  });
});

describe('checkPlan: each object once, each by a name its journal entry passes', () => {
  const step = (...creates: { kind: 'netns' | 'link' | 'ovs-bridge' | 'etc-netns'; name: string }[]): Step[] => [
    { title: 't', actions: creates.map((c) => ({ kind: 'ip', what: 'x', args: [], creates: [c] })) },
  ];
  it('refuses twice, and names down would refuse', () => {
    expect(() => checkPlan(step({ kind: 'link', name: 'p1' }, { kind: 'link', name: 'p1' }), 'lab.yaml')).toThrow(new UsageError('lab.yaml: the plan makes link p1 twice (two names collide in one namespace)'));
    expect(() => checkPlan(step({ kind: 'netns', name: '../x' }), 'lab.yaml')).toThrow('lab.yaml: the plan makes netns "../x", not a valid lab host name');
    expect(() => checkPlan(step({ kind: 'netns', name: 'a' }, { kind: 'etc-netns', name: 'a' }, { kind: 'link', name: 'a' }), 'lab.yaml')).not.toThrow();
  });
});

describe('InterruptedError: the shell status of the signal', () => {
  it('SIGINT 130, SIGTERM 143', () => {
    expect(new InterruptedError('SIGINT').exitCode).toBe(130);
    expect(new InterruptedError('SIGTERM').exitCode).toBe(143);
    expect(new InterruptedError('SIGTERM').message).toBe('interrupted by SIGTERM');
  });
});

describe('journals: read only from $MINICTR_RUN/net, by checked names, every entry checked', () => {
  const run = join(scratch, 'run');
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.MINICTR_RUN;
    process.env.MINICTR_RUN = run;
    mkdirSync(join(run, 'net'), { recursive: true });
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.MINICTR_RUN;
    else process.env.MINICTR_RUN = saved;
  });

  const good = [
    '{"lab":"lab1","hash":"0123456789abcdef","file":"/labs/lab1.yaml","started":"2026-01-01T00:00:00.000Z"}',
    '{"created":[{"kind":"netns","name":"h1"},{"kind":"link","name":"s1-h1"}]}',
    '{"created":[{"kind":"ovs-bridge","name":"s1"},{"kind":"etc-netns","name":"h1"}]}',
    '{"complete":true}',
  ];

  it('a good journal', () => {
    expect(parseJournal('lab1', good.join('\n') + '\n', 'j')).toEqual({
      lab: 'lab1',
      hash: '0123456789abcdef',
      file: '/labs/lab1.yaml',
      complete: true,
      created: [{ kind: 'netns', name: 'h1' }, { kind: 'link', name: 's1-h1' }, { kind: 'ovs-bridge', name: 's1' }, { kind: 'etc-netns', name: 'h1' }],
      runs: [],
    });
  });

  it('a container run is on its way from its "run" record to its "ran" record', () => {
    const runs = ['{"run":{"name":"lab1-c1","pid":4242,"start":"123456"}}', '{"run":{"name":"lab1-c2","pid":4243,"start":"123457"}}'];
    expect(parseJournal('lab1', [good[0], ...runs].join('\n') + '\n', 'j').runs).toEqual([
      { name: 'lab1-c1', pid: 4242, start: '123456' },
      { name: 'lab1-c2', pid: 4243, start: '123457' },
    ]);
    expect(parseJournal('lab1', [good[0], ...runs, '{"ran":"lab1-c1"}'].join('\n') + '\n', 'j').runs).toEqual([{ name: 'lab1-c2', pid: 4243, start: '123457' }]);
  });

  it('a torn last line (killed mid-write) is ignored; a torn line before it is not', () => {
    const torn = good.slice(0, 2).join('\n') + '\n{"created":[{"kind":"netns","na';
    expect(parseJournal('lab1', torn, 'j').created).toHaveLength(2);
    expect(() => parseJournal('lab1', `${good[0]}\n{"crea\n${good[1]}\n`, 'j')).toThrow(new JournalError('journal j: line 2: not a JSON record: refused, nothing was removed'));
  });

  it.each<[string, string]>([
    ['{"created":[{"kind":"etc-netns","name":"../../tmp/x"}]}', 'line 2: "../../tmp/x" is not a valid lab host name for a etc-netns entry'],
    ['{"created":[{"kind":"netns","name":".."}]}', 'line 2: ".." is not a valid lab host name for a netns entry'],
    ['{"created":[{"kind":"link","name":"eth0 type veth"}]}', 'line 2: "eth0 type veth" is not a valid interface name for a link entry'],
    ['{"created":[{"kind":"link","name":"a-name-too-long-for-a-link"}]}', 'line 2: "a-name-too-long-for-a-link" is not a valid interface name for a link entry'],
    ['{"created":[{"kind":"ovs-bridge","name":"-- del-br x"}]}', 'line 2: "-- del-br x" is not a valid interface name for a ovs-bridge entry'],
    ['{"created":[{"kind":"netns","name":42}]}', 'line 2: "42" is not a valid lab host name for a netns entry'],
    ['{"created":[{"kind":"file","name":"x"}]}', 'line 2: an entry of unknown kind "file"'],
    ['{"created":[{"kind":"netns","name":"h","path":"/"}]}', 'line 2: an entry is not {kind, name}'],
    ['{"created":"h1"}', 'line 2: created is not a list'],
    ['{"created":[null]}', 'line 2: an entry is not {kind, name}'],
    ['{"rm":"-rf /"}', 'line 2: unknown key "rm"'],
    ['{"lab":"other"}', 'line 2: it is the journal of lab "other", not of lab1'],
    ['{"hash":"../x"}', 'line 2: hash is not a hex digest'],
    ['{"file":"relative.yaml"}', 'line 2: file is not an absolute path'],
    ['{"complete":"yes"}', 'line 2: complete is not true'],
    ['{"run":{"name":"../x","pid":5,"start":"1"}}', 'line 2: run.name is not a container name'],
    ['{"run":{"name":"c1","pid":-1,"start":"1"}}', 'line 2: run.pid is not a process id'],
    ['{"run":{"name":"c1","pid":1.5,"start":"1"}}', 'line 2: run.pid is not a process id'],
    ['{"run":{"name":"c1","pid":5,"start":"1; rm"}}', 'line 2: run.start is not a process start time'],
    ['{"run":{"name":"c1","pid":5,"start":"1","cmd":"x"}}', 'line 2: run is not {name, pid, start}'],
    ['{"ran":7}', 'line 2: ran is not a container name'],
    ['[1,2]', 'line 2: not a JSON record'],
  ])('refuses %s', (line, why) => {
    expect(() => parseJournal('lab1', `${good[0]}\n${line}\n`, 'j')).toThrow(new JournalError(`journal j: ${why}: refused, nothing was removed`));
  });

  it('the path is built from a checked lab name', () => {
    expect(journalPath('lab1')).toBe(join(run, 'net', 'lab1.journal'));
    expect(() => journalPath('../../tmp/x')).toThrow(UsageError);
    expect(() => journalPath('a/b')).toThrow(UsageError);
  });

  it('reads a regular file; refuses a symlink (even to a good journal), a FIFO, a directory', () => {
    const dir = join(run, 'net');
    writeFileSync(join(dir, 'lab1.journal'), good.join('\n') + '\n');
    expect(readJournal('lab1')?.complete).toBe(true);
    const outside = join(scratch, 'outside.journal');
    writeFileSync(outside, good.join('\n').replaceAll('lab1', 'lab2') + '\n');
    symlinkSync(outside, join(dir, 'lab2.journal'));
    expect(() => readJournal('lab2')).toThrow(new JournalError(`journal ${join(dir, 'lab2.journal')} is a symlink: refused`));
    execFileSync('mkfifo', [join(dir, 'lab3.journal')]);
    expect(() => readJournal('lab3')).toThrow(new JournalError(`journal ${join(dir, 'lab3.journal')} is not a regular file: refused`));
    mkdirSync(join(dir, 'lab4.journal'));
    expect(() => readJournal('lab4')).toThrow(new JournalError(`journal ${join(dir, 'lab4.journal')} is not a regular file: refused`));
    expect(readJournal('none')).toBeUndefined();
    // only LAB.journal with a valid LAB is a lab
    writeFileSync(join(dir, '.hidden.journal'), '');
    writeFileSync(join(dir, 'notes.txt'), '');
    expect(listJournals()).toEqual(['lab1', 'lab2', 'lab3', 'lab4']);
    for (const f of ['lab1.journal', 'lab2.journal', 'lab3.journal', '.hidden.journal', 'notes.txt']) rmSync(join(dir, f));
    rmSync(join(dir, 'lab4.journal'), { recursive: true });
  });

  it('refuses a net/ that is a symlink out of $MINICTR_RUN', () => {
    const elsewhere = join(scratch, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'lab1.journal'), good.join('\n') + '\n');
    rmSync(join(run, 'net'), { recursive: true });
    symlinkSync(elsewhere, join(run, 'net'));
    try {
      expect(() => readJournal('lab1')).toThrow(new JournalError(`${join(run, 'net')} is not a directory (a symlink or a file): no lab journal is read from it`));
      expect(() => listJournals()).toThrow(JournalError);
    } finally {
      rmSync(join(run, 'net'));
      mkdirSync(join(run, 'net'));
    }
  });

  it('status lists a broken journal with why', () => {
    expect(formatStatus({ lab: 'lab2', state: 'broken', objects: [], reason: 'journal /x is a symlink: refused' }, false)).toBe('lab2\tbroken\tjournal /x is a symlink: refused');
  });
});

describe('the lab lock: one up or down of a lab at a time', () => {
  const run = join(scratch, 'run-lock');
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.MINICTR_RUN;
    process.env.MINICTR_RUN = run;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.MINICTR_RUN;
    else process.env.MINICTR_RUN = saved;
  });
  const startOf = (pid: number): string => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
  };

  it('is held while fn runs and gone after, also when fn throws', async () => {
    const file = lockPath('lab1');
    expect(file).toBe(join(run, 'net', 'lab1.lock'));
    expect(await withLabLock('lab1', async () => existsSync(file))).toBe(true);
    expect(existsSync(file)).toBe(false);
    await expect(withLabLock('lab1', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(file)).toBe(false);
    expect(() => lockPath('../x')).toThrow(UsageError);
  });

  it('a live holder (its pid with its start time) is a ConflictError; fn never runs', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(lockPath('lab1'), JSON.stringify({ pid: child.pid, start: startOf(child.pid!) }));
      let ran = false;
      await expect(withLabLock('lab1', async () => { ran = true; })).rejects.toThrow(
        new ConflictError(`lab lab1 is being changed by another minictr (pid ${child.pid}): wait for it to end, or stop it`),
      );
      expect(ran).toBe(false);
      // nested in one process is a conflict too, never a second holder
      rmSync(lockPath('lab1'));
      await expect(withLabLock('lab1', () => withLabLock('lab1', async () => 1))).rejects.toThrow(ConflictError);
    } finally {
      child.kill('SIGKILL');
      rmSync(lockPath('lab1'), { force: true });
    }
  });

  it('a lock that is a directory is refused in one line, not taken', async () => {
    mkdirSync(lockPath('lab2'), { recursive: true });
    try {
      await expect(withLabLock('lab2', async () => 1)).rejects.toThrow(
        new ConflictError(`${lockPath('lab2')} is not a lock minictr can take over (a directory?): look at it, and remove it by hand`),
      );
    } finally {
      rmSync(lockPath('lab2'), { recursive: true });
    }
  });

  it.each([
    ['a pid that is gone', () => JSON.stringify({ pid: 2 ** 22 + 1, start: '1' })],
    ['a reused pid (another start time)', () => JSON.stringify({ pid: process.pid, start: '1' })],
    ['a torn or empty lock', () => ''],
  ])('a stale lock is taken over: %s', async (_what, content) => {
    writeFileSync(lockPath('lab1'), content());
    expect(await withLabLock('lab1', async () => 'ran')).toBe('ran');
    expect(existsSync(lockPath('lab1'))).toBe(false);
  });
});
