/**
 * Containers as lab nodes and the lab tools, on the real kernel: a busybox container node
 * pings a bare namespace by name, net capture's pcap read back by tcpdump -r, exec --all's
 * output host by host, graph --json (from the file and --live) validated against
 * docs/net-graph.schema.json by ajv, net save / net up DIR, and net down (also after a killed
 * up) removing the containers with everything else. Every name is unique to the run.
 */
import { execa } from 'execa';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { leftovers, netnsNames, sh, writeTopology } from './net-helpers.js';

const validate = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(new URL('../docs/net-graph.schema.json', import.meta.url), 'utf8')) as object);

const p = uniq('n', 5);
const bare = `${p}a`;
const node = `${p}c`;
const ctr = `${p}-${node}`;
const file = writeTopology(p, {
  name: p,
  hosts: {
    [bare]: { addresses: { eth0: '10.93.0.1/24' } },
    [node]: { image: 'busybox', cmd: 'sleep 3600', env: { LAB_ROLE: 'client' }, addresses: { eth0: '10.93.0.2/24' } },
  },
  switches: { [`${p}s`]: {} },
  links: [{ endpoints: [`${bare}:eth0`, `${p}s`] }, { endpoints: [`${node}:eth0`, `${p}s`] }],
});

/** The lab's containers as `minictr ps -a` lists them. */
async function containerNames(prefix: string): Promise<string[]> {
  const ps = await minictr(['ps', '-a', '--format', '{{.Names}}']);
  return ps.stdout.split('\n').filter((n) => n.startsWith(prefix));
}

beforeAll(async () => {
  const up = await minictr(['net', 'up', '-q', file]);
  expect(up.exitCode, up.stderr).toBe(0);
});

/** Every lab file a test brings up, down at the end whatever the test did. */
const made: string[] = [file];
afterAll(async () => {
  for (const f of made) await minictr(['net', 'down', '-q', f]);
});

describe('a container as a lab node', () => {
  it('runs in the lab host\'s namespace, named in ip netns, and pings a bare host by name', async () => {
    expect(netnsNames()).toContain(node);
    // the container's process is in the namespace ip netns knows by the host's name
    const pid = String((JSON.parse((await minictr(['inspect', ctr])).stdout) as { State: { Pid: number } }[])[0]!.State.Pid);
    expect(pid).toMatch(/^[1-9]\d*$/);
    expect(statSync(`/proc/${pid}/ns/net`).ino).toBe(statSync(`/run/netns/${node}`).ino);
    expect((await sh('ip', ['netns', 'identify', pid])).stdout.trim()).toBe(node);
    // inside it: its hostname, its env, the lab's names, and the bare host's answer
    const r = await minictr(['exec', ctr, 'sh', '-c', `hostname; echo $LAB_ROLE; ping -c1 -W2 ${bare}`]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`${node}\nclient\n`);
    expect(r.stdout).toMatch(/PING \S+ \(10\.93\.0\.1\)/);
    expect(r.stdout).toContain('1 packets received');
  });

  it('net capture on a link writes a pcap that tcpdump -r shows the ICMP of', async () => {
    const pcap = join(process.env.MINICTR_TEST_BASE!, `${p}.pcap`);
    const cap = execa(BIN, ['net', 'capture', `${bare}:eth0`, '-c', '2', '-w', pcap, 'icmp'], { reject: false, timeout: 20_000, buffer: true });
    // the printed command, then tcpdump's own line once it listens: only then is ping sent
    let err = '';
    await new Promise<void>((resolve, reject) => {
      cap.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on eth0')) resolve();
      });
      void cap.then(() => reject(new Error(`capture ended first: ${err}`)));
    });
    expect(err).toContain(`$ ip netns exec ${bare} tcpdump -i eth0 -n -U -w ${pcap} -c 2 -- icmp`);
    const ping = await minictr(['exec', ctr, 'ping', '-c1', '-W2', '10.93.0.1']);
    expect(ping.exitCode, ping.stderr).toBe(0);
    expect((await cap).exitCode).toBe(0);
    const read = await sh('tcpdump', ['-n', '-r', pcap]);
    expect(read.exitCode, read.stderr).toBe(0);
    expect(read.stdout).toMatch(/IP 10\.93\.0\.2 > 10\.93\.0\.1: ICMP echo request/);
    expect(read.stdout).toMatch(/IP 10\.93\.0\.1 > 10\.93\.0\.2: ICMP echo reply/);
  });

  it('net exec --hosts and --all return each host\'s output, prefixed by the host', async () => {
    const some = await minictr(['net', 'exec', '--hosts', `${node},${bare}`, '--', 'ip', '-br', '-4', 'addr', 'show', 'eth0']);
    expect(some.exitCode, some.stderr).toBe(0);
    const lines = some.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${node}: eth0@\\S+ +UP +10\\.93\\.0\\.2/24`));
    expect(lines[1]).toMatch(new RegExp(`^${bare}: eth0@\\S+ +UP +10\\.93\\.0\\.1/24`));
    const all = await minictr(['net', 'exec', '--all', '--', 'sh', '-c', 'ip -br -4 addr show eth0; exit 3']);
    expect(all.exitCode).toBe(3);
    expect(all.stdout).toMatch(new RegExp(`^${bare}: eth0@\\S+ +UP +10\\.93\\.0\\.1/24`, 'm'));
    expect(all.stdout).toMatch(new RegExp(`^${node}: eth0@\\S+ +UP +10\\.93\\.0\\.2/24`, 'm'));
    expect(all.stderr).toContain(`minictr: ${node}: exit status 3`);
  });

  it('net graph --json and --live --json validate against their schema', async () => {
    const fromFile = await minictr(['net', 'graph', '--json', file]);
    expect(fromFile.exitCode, fromFile.stderr).toBe(0);
    const doc = JSON.parse(fromFile.stdout) as { nodes: { name: string; container?: { name: string } }[] };
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.nodes.find((n) => n.name === node)?.container?.name).toBe(ctr);
    const live = await minictr(['net', 'graph', '--live', '--json', file]);
    expect(live.exitCode, live.stderr).toBe(0);
    const ldoc = JSON.parse(live.stdout) as { nodes: { name: string; interfaces: { name: string; addresses: string[] }[]; container?: { name: string } }[] };
    expect(validate(ldoc), JSON.stringify(validate.errors)).toBe(true);
    // what the kernel has: the container found in the namespace, the address ip gave it
    const lnode = ldoc.nodes.find((n) => n.name === node)!;
    expect(lnode.container?.name).toBe(ctr);
    expect(lnode.interfaces).toEqual([{ name: 'eth0', addresses: ['10.93.0.2/24'] }]);
    // (its cables are net-graph.test.ts's: --live reads every namespace of the machine, and
    // resolving veth peers across them is that file's subject)
  });

  it('net save keeps what was changed by hand; net up DIR rebuilds it, container node included', async () => {
    await sh('ip', ['-n', bare, 'addr', 'add', '10.94.0.1/24', 'dev', 'eth0']);
    await sh('ip', ['-n', bare, 'route', 'add', '10.95.0.0/16', 'via', '10.94.0.9']);
    const dir = join(process.env.MINICTR_TEST_BASE!, `${p}-saved`);
    const save = await minictr(['net', 'save', p, dir]);
    expect(save.exitCode, save.stderr).toBe(0);
    const down = await minictr(['net', 'down', '-q', p]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await containerNames(ctr)).toEqual([]);
    const up = await minictr(['net', 'up', '-q', dir]);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await sh('ip', ['-n', bare, '-4', 'addr', 'show', 'eth0'])).stdout).toContain('10.94.0.1/24');
    expect((await sh('ip', ['-n', bare, 'route', 'show', '10.95.0.0/16'])).stdout).toContain('via 10.94.0.9 dev eth0');
    const ping = await minictr(['exec', ctr, 'ping', '-c1', '-W2', bare]);
    expect(ping.exitCode, ping.stderr).toBe(0);
  });

  it('net down (here by the saved directory) removes the container with the lab: nothing is left', async () => {
    const down = await minictr(['net', 'down', join(process.env.MINICTR_TEST_BASE!, `${p}-saved`)]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stderr).toContain(`rm -f ${ctr}`);
    expect(await containerNames(ctr)).toEqual([]);
    expect(await leftovers(p)).toEqual([]);
  });
});

describe('container nodes that go wrong', () => {
  it('a missing image is refused before any step, naming the field', async () => {
    const q = uniq('m', 5);
    const f = writeTopology(q, { name: q, hosts: { [`${q}a`]: {}, [`${q}c`]: { image: `nosuch${q}:1` } }, links: [{ endpoints: [`${q}a`, `${q}c`] }] });
    made.push(f);
    const r = await minictr(['net', 'up', f]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(`minictr: ${f}: hosts.${q}c.image: image "nosuch${q}:1" is not in the local store (minictr pull, load or build it first); nothing was created`);
    expect(await leftovers(q)).toEqual([]);
  });

  it('a container that fails to start rolls the whole up back, the other container too', async () => {
    const q = uniq('f', 5);
    const f = writeTopology(q, {
      name: q,
      // a file bound over a directory: minictr run fails at the mount (ENOTDIR), status 125
      hosts: { [`${q}a`]: { image: 'busybox', cmd: 'sleep 3600' }, [`${q}b`]: { image: 'busybox', binds: ['/etc/hostname:/etc'] } },
      links: [{ endpoints: [`${q}a`, `${q}b`] }],
    });
    made.push(f);
    const r = await minictr(['net', 'up', '-q', f]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Not a directory.*rolled back: nothing was left/s);
    expect(await containerNames(`${q}-`)).toEqual([]);
    expect(await leftovers(q)).toEqual([]);
  });

  /** `net up` of a lab with a bare host and a container node, SIGKILLed once its journal names
   * the container's run (its minictr run is then on its way). */
  async function upKilledWhileItsRunStarts(q: string): Promise<{ f: string; journal: string }> {
    const f = writeTopology(q, { name: q, hosts: { [`${q}a`]: {}, [`${q}c`]: { image: 'busybox', cmd: 'sleep 3600' } }, links: [{ endpoints: [`${q}a`, `${q}c`] }] });
    made.push(f);
    const journal = join(process.env.MINICTR_RUN!, 'net', `${q}.journal`);
    const child = execa(BIN, ['net', 'up', '-q', f], { reject: false });
    const t0 = Date.now();
    while (!(existsSync(journal) && readFileSync(journal, 'utf8').includes('"run":')) && Date.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 2));
    child.kill('SIGKILL');
    await child;
    return { f, journal };
  }

  it('net down after an up killed while its container starts removes the container too', async () => {
    const q = uniq('k', 5);
    const { f, journal } = await upKilledWhileItsRunStarts(q);
    expect(readFileSync(journal, 'utf8')).not.toContain('"complete"');
    // the journal names the run on its way, as the process /proc shows: down waits for it
    const run = await journaledRun(journal, `${q}-${q}c`);
    expect(run).toBeDefined();
    const down = await minictr(['net', 'down', '-q', f]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await containerNames(`${q}-`)).toEqual([]);
    expect(await leftovers(q)).toEqual([]);
  });

  // not more than RUN_WAIT_MS (60 s): a down that waited for a run that was killed would time out
  it('net down after an up and its container run were both killed leaves nothing, without waiting for the dead run', { timeout: 45_000 }, async () => {
    const q = uniq('j', 5);
    const { f, journal } = await upKilledWhileItsRunStarts(q);
    const run = await journaledRun(journal, `${q}-${q}c`);
    expect(run).toBeDefined();
    process.kill(run!, 'SIGKILL');
    for (let i = 0; i < 100 && existsSync(`/proc/${run}/cmdline`) && readFileSync(`/proc/${run}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'; i++) await new Promise((res) => setTimeout(res, 20));
    const down = await minictr(['net', 'down', '-q', f]);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(existsSync(journal)).toBe(false);
    expect(await containerNames(`${q}-`)).toEqual([]);
    expect(await leftovers(q)).toEqual([]);
  });
});

/**
 * The pid of the journal's run of a container, checked against /proc: a live process whose
 * command line is `minictr run ... --name NAME` (undefined if the journal has none).
 */
async function journaledRun(journal: string, name: string): Promise<number | undefined> {
  const recs = readFileSync(journal, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { run?: { name: string; pid: number } });
  const pid = recs.find((r) => r.run?.name === name)?.run?.pid;
  if (pid === undefined) return undefined;
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  expect(argv).toContain('run');
  expect(argv[argv.indexOf('--name') + 1]).toBe(name);
  return pid;
}
