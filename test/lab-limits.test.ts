/**
 * Hostile lab input (issue 13): `net up` refuses bad files, sizes, counts, values and names
 * with one line before its first step; `net down`/`net status` check the lab name and trust no
 * journal (a symlink, a name climbing out of /etc/netns, objects that are not the lab's); Ctrl-C
 * and SIGTERM roll back; a SIGKILLed up is cleaned by the next up. Each refusal is held to:
 * its status, exactly one line on stderr (no stack), and a snapshot of namespaces, host links,
 * /etc/netns and $MINICTR_RUN that is the same before and after. The kernel snapshot is of the
 * names of this run (they all contain RUN_ID): other engineers' tests run at the same time.
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, minictr, type CliResult } from './helpers/cli.js';
import { leftovers, netnsNames, sh, star } from './net-helpers.js';

const RUN_ID = randomBytes(3).toString('hex');
/** every name this file makes: q + 6 hex + a short suffix (links stay within 15 characters) */
const P = `q${RUN_ID}`;
const RUN = process.env.MINICTR_RUN!;
const dir = mkdtempSync(join(process.env.MINICTR_TEST_BASE!, 'lab-limits-'));
const canary = join(dir, 'canary');
mkdirSync(canary);
writeFileSync(join(canary, 'keep'), 'precious\n');

function file(name: string, doc: unknown): string {
  const f = join(dir, name);
  writeFileSync(f, typeof doc === 'string' ? doc : stringify(doc));
  return f;
}

/** What this run has in the kernel and on disk, in a form that compares. */
async function snapshot(): Promise<Record<string, string[]>> {
  const mine = (s: string): boolean => s.includes(RUN_ID);
  const netns = (await sh('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(mine);
  // `N: NAME[@PEER]: <FLAGS> ...`: the name and its flags (counters and ids change)
  const links = (await sh('ip', ['-o', 'link'])).stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)(?:@[^:]+)?: (<[^>]*>)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && mine(m[1]!))
    .map((m) => `${m[1]} ${m[2]}`);
  const walk = (root: string, rel = ''): string[] => {
    const here = join(root, rel);
    if (!existsSync(here)) return [];
    return readdirSync(here).flatMap((e) => {
      const p = join(rel, e);
      const st = lstatSync(join(root, p));
      if (st.isDirectory()) return [`${p}/`, ...walk(root, p)];
      return [`${p} ${st.isSymbolicLink() ? 'symlink' : st.isFile() ? readFileSync(join(root, p), 'utf8') : 'other'}`];
    });
  };
  const etc = existsSync('/etc/netns') ? readdirSync('/etc/netns').filter(mine).flatMap((e) => [`${e}/`, ...walk('/etc/netns', e)]) : [];
  return { netns, links, etc, run: walk(RUN), canary: walk(canary) };
}

function oneLine(r: CliResult): string {
  const err = String(r.stderr);
  expect(err.split('\n').filter(Boolean), err).toHaveLength(1);
  expect(err).not.toMatch(/^\s+at /m);
  return err.trim();
}

interface Refusal {
  args: string[];
  message: string | RegExp;
  status?: number;
  env?: Record<string, string>;
}

/**
 * Refusals, three at a time (the CLI's start is most of each): each one's status and one
 * line, at most 5 s each (nothing waits on a FIFO or reads /dev/zero), and nothing changed
 * from before the first to after the last.
 */
async function refused(...cases: Refusal[]): Promise<void> {
  const before = await snapshot();
  const one = async (c: Refusal): Promise<void> => {
    const t0 = Date.now();
    const r = await minictr(c.args, { env: c.env, timeout: 10_000 });
    expect(Date.now() - t0, c.args.join(' ')).toBeLessThan(5000);
    expect(r.exitCode, String(r.stderr)).toBe(c.status ?? 2);
    const line = oneLine(r);
    if (typeof c.message === 'string') expect(line).toBe(`minictr: ${c.message}`);
    else expect(line).toMatch(c.message);
  };
  const queue = [...cases];
  await Promise.all([0, 1, 2].map(async () => {
    for (let c = queue.shift(); c; c = queue.shift()) await one(c);
  }));
  expect(await snapshot()).toEqual(before);
}

const good = (name = `${P}g`): Record<string, unknown> => ({
  name,
  hosts: { [`${P}a`]: { addresses: { eth0: '10.123.0.1/24' } }, [`${P}b`]: { addresses: { eth0: '10.123.0.2/24' } } },
  links: [{ endpoints: [`${P}a:eth0`, `${P}b:eth0`] }],
});

const labsUp: string[] = [];
afterAll(async () => {
  for (const f of labsUp) await minictr(['net', 'down', '-q', f]);
  for (const n of netnsNames().filter((x) => x.startsWith(`${P}f`))) await sh('ip', ['netns', 'del', n]);
  await sh('ip', ['link', 'del', `${P}fd`]);
  rmSync(`/etc/netns/${P}fe`, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  expect(await leftovers(P)).toEqual([]);
});

describe('net up: the file itself', () => {
  it('/dev/zero, a FIFO, a directory with no saved lab.yaml; over 1 MiB or MINICTR_LAB_MAX_BYTES; a 2 MB value; a long lab name', async () => {
    const fifo = join(dir, 'fifo.yaml');
    await sh('mkfifo', [fifo]);
    const big = file('big.yaml', `${stringify(good())}# ${'x'.repeat(1024 * 1024)}\n`);
    const small = file('small.yaml', good());
    const value = file('value.yaml', { ...good(), hosts: { [`${P}a`]: { sysctls: { 'net.ipv4.ip_forward': 'v'.repeat(2_000_000) } } }, links: [] });
    const name = file('name.yaml', good('n'.repeat(200)));
    await refused(
      { args: ['net', 'up', '/dev/zero'], message: 'lab file /dev/zero is not a regular file' },
      { args: ['net', 'up', fifo], message: `lab file ${fifo} is not a regular file` },
      // a directory is a saved lab (net save LAB DIR): without its lab.yaml there is no file to read
      { args: ['net', 'up', dir], message: `lab file ${join(dir, 'lab.yaml')} does not exist`, status: 1 },
      { args: ['net', 'up', big], message: /^minictr: lab file \S+ is \d+ bytes, more than the 1048576 allowed \(MINICTR_LAB_MAX_BYTES raises it\)$/ },
      { args: ['net', 'up', small], message: /^minictr: lab file \S+ is \d+ bytes, more than the 100 allowed \(MINICTR_LAB_MAX_BYTES raises it\)$/, env: { MINICTR_LAB_MAX_BYTES: '100' } },
      { args: ['net', 'up', small], message: 'MINICTR_LAB_MAX_BYTES: "lots" is not a whole number of at least 1', env: { MINICTR_LAB_MAX_BYTES: 'lots' } },
      {
        args: ['net', 'up', value],
        message: `${value}: hosts.${P}a.sysctls.net.ipv4.ip_forward: a value of 2000000 bytes, more than the 4096 allowed`,
        env: { MINICTR_LAB_MAX_BYTES: String(4 * 1024 * 1024) },
      },
      { args: ['net', 'up', name], message: `${name}: name: "${'n'.repeat(40)}…" is not a valid lab name (longer than 64 characters)` },
    );
  });
});

describe('net up: counts, ranges and references, before the first step', () => {
  it('1001 hosts by default; a lower --max-hosts or MINICTR_LAB_MAX_HOSTS; links and switches too', async () => {
    const many = file('many.yaml', star(P, 1001));
    const f = file('two.yaml', good());
    const twoLinks = file('links.yaml', { ...good(), links: [{ endpoints: [`${P}a:eth0`, `${P}b:eth0`] }, { endpoints: [`${P}a:eth1`, `${P}b:eth1`] }] });
    const sw = file('switches.yaml', { ...star(P, 1), switches: { [`${P}s`]: {}, [`${P}t`]: {} } });
    const hosts2 = `${f}: hosts: 2 hosts, more than the 1 allowed (--max-hosts or MINICTR_LAB_MAX_HOSTS raises it)`;
    await refused(
      { args: ['net', 'up', many], message: `${many}: hosts: 1001 hosts, more than the 1000 allowed (--max-hosts or MINICTR_LAB_MAX_HOSTS raises it)` },
      { args: ['net', 'up', '--max-hosts', '1', f], message: hosts2 },
      { args: ['net', 'up', f], message: hosts2, env: { MINICTR_LAB_MAX_HOSTS: '1' } },
      { args: ['net', 'up', '--max-links', '1', twoLinks], message: `${twoLinks}: links: 2 links, more than the 1 allowed (--max-links or MINICTR_LAB_MAX_LINKS raises it)` },
      {
        args: ['net', 'up', sw],
        message: `${sw}: switches: 2 switches, more than the 1 allowed (--max-switches or MINICTR_LAB_MAX_SWITCHES raises it)`,
        env: { MINICTR_LAB_MAX_SWITCHES: '1' },
      },
    );
  });

  // the rest of the schema's refusals are in test/unit/lab-limits.test.ts
  it('ranges, references, duplicates, CIDRs, gateways and names: the field named', async () => {
    const cases: [string, (d: Record<string, any>) => void, string][] = [
      ['rate0', (d) => { d.links[0].rate = 0; }, 'links[0].rate: 0 is not a rate (1kbit..100gbit)'],
      ['rate', (d) => { d.links[0].rate = '1000000gbit'; }, 'links[0].rate: "1000000gbit" is not a rate (1kbit..100gbit)'],
      ['unknown', (d) => { d.links[0].endpoints[1] = 'nobody:eth0'; }, 'links[0].endpoints[1]: unknown node "nobody" (not in hosts or switches)'],
      ['twice', (d) => { d.links.push({ endpoints: [`${P}a:eth0`, `${P}b:eth1`] }); }, `links[1].endpoints[0]: host ${P}a already has an interface eth0`],
      ['cidr', (d) => { d.hosts[`${P}a`].addresses.eth0 = '10.0.0.300/24'; }, `hosts.${P}a.addresses.eth0: "10.0.0.300/24" is not an address with a prefix length (like 10.0.0.1/24)`],
      ['gateway', (d) => { d.hosts[`${P}a`].routes = [{ to: 'default', via: '192.168.254.1' }]; }, `hosts.${P}a.routes[0].via: host ${P}a cannot reach 192.168.254.1: it is on no subnet of its addresses or of an earlier route by dev`],
      ['climb', (d) => { d.hosts['../../etc'] = {}; }, 'hosts.../../etc: "../../etc" is not a valid lab host name (1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)'],
    ];
    await refused(
      ...cases.map(([what, edit, message]): Refusal => {
        const d = good();
        edit(d);
        const f = file(`edit-${what}.yaml`, d);
        return { args: ['net', 'up', f], message: `${f}: ${message}` };
      }),
    );
  });
});

describe('net down / net status: the name, and a journal that is not trusted', () => {
  it('net down and net status refuse a name that is a path, or too long', async () => {
    // a path that names no directory (one that does is a saved lab: net down DIR)
    const path = `../../${P}-no-such-dir`;
    const bad = `invalid lab name "${path}": 1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit`;
    const long = `invalid lab name "${'a'.repeat(40)}…": longer than 64 characters`;
    await refused(
      { args: ['net', 'down', path], message: bad },
      { args: ['net', 'status', path], message: bad },
      { args: ['net', 'down', 'a'.repeat(65)], message: long },
      { args: ['net', 'status', 'a'.repeat(65)], message: long },
    );
  });

  it('a journal that is a symlink out of $MINICTR_RUN, or names a path out of /etc/netns, is refused whole', async () => {
    mkdirSync(join(RUN, 'net'), { recursive: true });
    const climb = `${JSON.stringify({ lab: `${P}e`, created: [{ kind: 'etc-netns', name: `../..${canary}` }] })}\n`;
    const outside = file('outside.journal', climb.replace(`"../..${canary}"`, `"${P}x"`));
    const link = join(RUN, 'net', `${P}e.journal`);
    symlinkSync(outside, link);
    try {
      await refused(
        { args: ['net', 'down', `${P}e`], message: `journal ${link} is a symlink: refused (look at it, then remove it by hand)`, status: 1 },
        { args: ['net', 'status', `${P}e`], message: `journal ${link} is a symlink: refused (look at it, then remove it by hand)`, status: 1 },
      );
    } finally {
      rmSync(link);
    }
    writeFileSync(link, climb);
    try {
      await refused({
        args: ['net', 'down', `${P}e`],
        message: `journal ${link}: line 1: "../..${canary}" is not a valid lab host name for a etc-netns entry: refused, nothing was removed (look at it, then remove it by hand)`,
        status: 1,
      });
      expect(readFileSync(join(canary, 'keep'), 'utf8')).toBe('precious\n');
      // the other labs are still listed, this one as broken
      const all = await minictr(['net', 'status']);
      expect(all.stdout).toContain(`${P}e\tbroken\tjournal ${link}: line 1:`);
    } finally {
      rmSync(link);
    }
  });

  it('a journal naming what is not the lab\'s (a used namespace, a link, /etc/netns with files) removes none of them', async () => {
    // a namespace someone uses (lo is up), a bridge, someone's /etc/netns directory
    await sh('ip', ['netns', 'add', `${P}fn`]);
    await sh('ip', ['-n', `${P}fn`, 'link', 'set', 'lo', 'up']);
    await sh('ip', ['link', 'add', `${P}fd`, 'type', 'bridge']);
    mkdirSync(`/etc/netns/${P}fe`, { recursive: true });
    writeFileSync(`/etc/netns/${P}fe/resolv.conf`, 'nameserver 10.0.0.53\n');
    writeFileSync(`/etc/netns/${P}fe/hosts`, '127.0.0.1 localhost\n');
    // and namespaces exactly as `ip netns add` leaves them: what an up killed before its marks
    // makes (several: down reads them at once, and must not take its own readers for users)
    const bare = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `${P}fb${i}`);
    for (const n of bare) await sh('ip', ['netns', 'add', n]);
    const created = [
      { kind: 'netns', name: `${P}fn` },
      { kind: 'link', name: `${P}fd` },
      { kind: 'etc-netns', name: `${P}fe` },
      ...bare.map((name) => ({ kind: 'netns', name })),
    ];
    mkdirSync(join(RUN, 'net'), { recursive: true });
    writeFileSync(join(RUN, 'net', `${P}f.journal`), `${JSON.stringify({ lab: `${P}f`, created })}\n`);
    const r = await minictr(['net', 'down', '-q', `${P}f`]);
    expect(r.exitCode).toBe(1);
    expect(oneLine(r)).toBe(
      `minictr: lab ${P}f is down, but its journal also named what is not lab ${P}f's (no mark of it), left alone: link ${P}fd, namespace ${P}fn, /etc/netns/${P}fe`,
    );
    expect(existsSync(`/run/netns/${P}fn`)).toBe(true);
    expect(existsSync(`/sys/class/net/${P}fd`)).toBe(true);
    expect(readFileSync(`/etc/netns/${P}fe/resolv.conf`, 'utf8')).toBe('nameserver 10.0.0.53\n');
    expect(readFileSync(`/etc/netns/${P}fe/hosts`, 'utf8')).toBe('127.0.0.1 localhost\n');
    for (const n of bare) expect(existsSync(`/run/netns/${n}`), n).toBe(false);
    expect(existsSync(join(RUN, 'net', `${P}f.journal`))).toBe(false);
  });
});

/** `net up` of a star of n hosts, and the signal sent once its first namespace exists. */
async function upAndSignal(p: string, n: number, signal: NodeJS.Signals): Promise<{ r: CliResult; f: string }> {
  const f = file(`${p}.yaml`, star(p, n));
  labsUp.push(f);
  const child = execa(BIN, ['net', 'up', '-q', f], { reject: false, stdin: 'ignore', timeout: 60_000, killSignal: 'SIGKILL' });
  const t0 = Date.now();
  while (!existsSync(`/run/netns/${p}h0`) && Date.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 2));
  expect(existsSync(`/run/netns/${p}h0`)).toBe(true);
  child.kill(signal);
  return { r: (await child) as unknown as CliResult, f };
}

describe('net up is interruptible', () => {
  it.each<[NodeJS.Signals, number]>([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])('%s after the first namespace: stops, rolls back, exits %i', async (signal, status) => {
    const p = `${P}${signal === 'SIGINT' ? 'i' : 't'}`;
    const { r } = await upAndSignal(p, 20, signal);
    expect(r.exitCode, String(r.stderr)).toBe(status);
    expect(oneLine(r)).toBe(`minictr: interrupted by ${signal} (rolled back: nothing was left)`);
    expect(await leftovers(p)).toEqual([]);
    expect(existsSync(join(RUN, 'net', `${p}.journal`))).toBe(false);
  });

  it('while another minictr holds the lab (its lock names a live pid), down and up are refused; nothing changes', async () => {
    const p = `${P}c`;
    const f = file(`${p}.yaml`, star(p, 2));
    // a live holder: a process of ours, named with its kernel start time as the lock records it
    const holder = execa('sleep', ['30']);
    const stat = readFileSync(`/proc/${holder.pid}/stat`, 'utf8');
    mkdirSync(join(RUN, 'net'), { recursive: true });
    writeFileSync(join(RUN, 'net', `${p}.lock`), JSON.stringify({ pid: holder.pid, start: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] }));
    try {
      const busy = `lab ${p} is being changed by another minictr (pid ${holder.pid}): wait for it to end, or stop it`;
      await refused({ args: ['net', 'down', p], message: busy, status: 1 }, { args: ['net', 'up', f], message: busy, status: 1 });
    } finally {
      holder.kill('SIGKILL');
      await holder.catch(() => undefined);
      rmSync(join(RUN, 'net', `${p}.lock`), { force: true });
    }
  });

  it('down of a killed up also removes what its last command (still running) makes after down looked', async () => {
    // the journal of an up killed while `ip -batch` made namespaces, and that ip, orphaned, going on
    const lab = `${P}o`;
    const names = Array.from({ length: 12 }, (_, i) => `${lab}${i}`);
    mkdirSync(join(RUN, 'net'), { recursive: true });
    writeFileSync(join(RUN, 'net', `${lab}.journal`), `${JSON.stringify({ lab, created: names.map((name) => ({ kind: 'netns', name })) })}\n`);
    const orphan = execa('sh', ['-c', `for n in ${names.join(' ')}; do ip netns add $n; sleep 0.12; done`], { reject: false });
    const down = await minictr(['net', 'down', '-q', lab]);
    await orphan;
    expect(down.exitCode, String(down.stderr)).toBe(0);
    expect(netnsNames().filter((n) => n.startsWith(lab))).toEqual([]);
  });

  it('after a SIGKILL midway, the next up of the same lab removes the half-built lab and builds it', async () => {
    const p = `${P}k`;
    const { r, f } = await upAndSignal(p, 12, 'SIGKILL');
    expect(r.signal).toBe('SIGKILL');
    expect(readFileSync(join(RUN, 'net', `${p}.journal`), 'utf8')).not.toContain('"complete"');
    // its lock is left behind, stale: the next up takes it over
    expect(existsSync(join(RUN, 'net', `${p}.lock`))).toBe(true);
    const again = await minictr(['net', 'up', '-q', f]);
    expect(again.exitCode, String(again.stderr)).toBe(0);
    const st = await minictr(['net', 'status', f]);
    expect(st.stdout).toMatch(new RegExp(`^${p}\\s+up`));
    const down = await minictr(['net', 'down', '-q', f]);
    expect(down.exitCode, String(down.stderr)).toBe(0);
    expect(await leftovers(p)).toEqual([]);
  });
});
