/**
 * `minictr view` in a real headless browser: Debian's chromium driven by playwright-core (no
 * browser download). The page must show a lab this test brings up, a namespace made by hand
 * with `ip netns add` within a couple of seconds, and drop it when it is deleted; it must
 * refuse every method but GET/HEAD and be reachable on loopback only. A screenshot is kept in
 * test-artifacts/view.png.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';
import { ptyDrive, type PtyStep } from './helpers/pty.js';
import { ensureOvsRunning, haveOvs, leftovers, sh, star, writeTopology } from './net-helpers.js';

/** OVS tests need ovs-vsctl; without it they are skipped (said in the test's name). */
const OVS = await haveOvs();

const ARTIFACTS = join(import.meta.dirname, '../test-artifacts');

interface Served {
  proc: ResultPromise;
  url: string;
  port: number;
}

/** `minictr view` with its args, once it printed the URL it serves. */
async function serve(args: string[]): Promise<Served> {
  const proc = execa(BIN, ['view', '--port', '0', ...args], { reject: false, stdin: 'ignore', buffer: false });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /minictr view: (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void proc.then((r) => reject(new Error(`minictr view ended: ${r.exitCode} ${out}`)));
  });
  return { proc, url, port: Number(new URL(url).port) };
}

async function stop(s: Served | undefined): Promise<void> {
  if (!s) return;
  s.proc.kill('SIGTERM');
  const r = await s.proc;
  expect(r.exitCode).toBe(0);
}

/** One raw HTTP request (fetch cannot set the Host header): status and body. */
function raw(opts: { host: string; port: number; method?: string; headers?: Record<string, string>; path?: string }): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: opts.host, port: opts.port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The container's first process, from its cgroup (the kernel's list): the one whose parent
 * is outside it. */
function initPid(id: string): number {
  const dir = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/memory', '/sys/fs/cgroup'].map((r) => `${r}/minictr/${id}`).find((d) => existsSync(`${d}/cgroup.procs`))!;
  const pids = readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
  const parent = (p: number): number => Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]);
  return pids.find((p) => !pids.includes(parent(p)))!;
}

/** A global address of the host that is not loopback (the machine's own), if it has one. */
async function otherAddress(): Promise<string | undefined> {
  const r = await sh('ip', ['-j', '-4', 'addr', 'show', 'scope', 'global']);
  const links = JSON.parse(r.stdout || '[]') as { addr_info: { local: string }[] }[];
  return links.flatMap((l) => l.addr_info.map((a) => a.local))[0];
}

describe('minictr view', () => {
  let view: Served | undefined;
  let browser: BrowserContext | undefined;
  let profile: string | undefined;

  beforeAll(async () => {
    view = await serve([]);
    profile = mkdtempSync(join(tmpdir(), 'minictr-view-chromium-'));
    // a fresh profile (playwright passes it as --user-data-dir), nothing fetched from the net
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1400, height: 850 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stop(view);
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const item = (page: Page, id: string) => page.locator(`#lists li[data-id="${id}"]`);

  it('shows a lab brought up by the test, and a namespace made and deleted by hand, live', async () => {
    const p = uniq('vw', 5);
    const file = writeTopology(p, star(p, 2));
    const page = await browser!.newPage();
    try {
      const up = await minictr(['net', 'up', file]);
      expect(up.exitCode, up.stderr).toBe(0);
      await page.goto(view!.url);
      // the first picture reads every namespace of the machine: seconds when it has hundreds
      for (const id of [`ns:${p}h0`, `ns:${p}h1`, `br:/${p}s`, `lab:${p}`]) await item(page, id).waitFor({ timeout: 20_000 });

      // it was up before the page opened: nothing of it is marked new
      expect(await item(page, `ns:${p}h0`).getAttribute('data-state')).toBe('present');
      // a click says how it was made (the lab's journal) and what shows it
      await item(page, `ns:${p}h0`).click();
      const details = page.locator('#details');
      await expect.poll(() => details.innerText()).toContain(`made by minictr net up ${file}`);
      expect(await details.innerText()).toContain(`ip -n ${p}h0 addr`);
      expect(await details.innerText()).toContain('10.77.0.1/16');
      // the routes shown are the kernel's, read from the namespace when clicked
      await expect.poll(() => details.innerText()).toContain(`10.77.0.0/16 dev eth0 proto kernel`);

      // by hand, outside minictr: on the page within a couple of seconds, marked as new
      const ns = `${p}x`;
      await sh('ip', ['netns', 'add', ns]);
      const added = Date.now();
      await item(page, `ns:${ns}`).waitFor({ timeout: 2500 });
      const seenAfter = Date.now() - added;
      expect(await item(page, `ns:${ns}`).getAttribute('data-state')).toBe('appeared');
      await item(page, `ns:${ns}`).click();
      await expect.poll(() => details.innerText()).toContain('made outside minictr');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'view.png') });

      await sh('ip', ['netns', 'del', ns]);
      await expect.poll(() => item(page, `ns:${ns}`).getAttribute('data-state'), { timeout: 2500 }).toBe('gone');
      await item(page, `ns:${ns}`).waitFor({ state: 'detached', timeout: 8000 });
      // the lab is still there, unmarked
      expect(await item(page, `ns:${p}h1`).getAttribute('data-state')).toBe('present');
      expect(seenAfter).toBeLessThan(2500);
    } finally {
      await page.close();
      await sh('ip', ['netns', 'del', `${p}x`]);
      await minictr(['net', 'down', p]);
    }
    expect(await leftovers(p)).toEqual([]);
  });

  it('shows a change inside a namespace the host has no nsid for (its events never reach the host)', async () => {
    const ns = uniq('vwn', 6);
    const page = await browser!.newPage();
    try {
      await sh('ip', ['netns', 'add', ns]);
      await page.goto(view!.url);
      await item(page, `ns:${ns}`).waitFor({ timeout: 20_000 });
      await item(page, `ns:${ns}`).click();
      const details = page.locator('#details');
      await expect.poll(() => details.innerText()).toContain('(namespace)');
      // nothing in it crosses to the host: the host numbers it not, and the view must not make it
      const listId = async (): Promise<string> => (await sh('ip', ['netns', 'list-id'])).stdout;
      expect(await listId()).not.toContain(ns);
      await sh('ip', ['-n', ns, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0']);
      await sh('ip', ['-n', ns, 'addr', 'add', '10.78.3.1/24', 'dev', 'a0']);
      const made = Date.now();
      await expect.poll(() => details.innerText(), { timeout: 2500, interval: 50 }).toContain('a0 10.78.3.1/24');
      const seenAfter = Date.now() - made;
      // the address as the namespace itself has it, and still no nsid: the view changed nothing
      expect((await sh('ip', ['-n', ns, '-br', 'addr', 'show', 'a0'])).stdout).toContain('10.78.3.1/24');
      expect(await listId()).not.toContain(ns);
      expect(seenAfter).toBeLessThan(2500);
      // deleted: the view's socket in it must not keep it (and its veth pair) alive
      await sh('ip', ['netns', 'del', ns]);
      await expect.poll(() => item(page, `ns:${ns}`).getAttribute('data-state'), { timeout: 2500 }).toBe('gone');
    } finally {
      await page.close();
      await sh('ip', ['netns', 'del', ns]);
    }
    expect(await leftovers(ns)).toEqual([]);
  });

  it.skipIf(!OVS)('shows an OVS bridge made by hand with ovs-vsctl (needs ovs-vsctl: skipped without it)', async () => {
    await ensureOvsRunning();
    const br = uniq('vwo', 6);
    const page = await browser!.newPage();
    try {
      await page.goto(view!.url);
      // its first snapshot is drawn (the machine may have no object at all: no list item to wait for)
      await expect.poll(() => page.locator('#status').innerText(), { timeout: 20_000 }).toMatch(/^live · \d+ objects/);
      // the userspace datapath: this kernel has no openvswitch module
      await sh('ovs-vsctl', ['--timeout=10', 'add-br', br, '--', 'set', 'bridge', br, 'datapath_type=netdev']);
      const made = Date.now();
      await item(page, `ovs:${br}`).waitFor({ timeout: 2500 });
      const seenAfter = Date.now() - made;
      expect(await item(page, `ovs:${br}`).getAttribute('data-state')).toBe('appeared');
      // as OVS itself has it
      expect((await sh('ovs-vsctl', ['br-exists', br])).exitCode).toBe(0);
      await sh('ovs-vsctl', ['--timeout=10', 'del-br', br]);
      await expect.poll(() => item(page, `ovs:${br}`).getAttribute('data-state'), { timeout: 2500 }).toBe('gone');
      expect(seenAfter).toBeLessThan(2500);
    } finally {
      await page.close();
      await sh('ovs-vsctl', ['--timeout=10', '--if-exists', 'del-br', br]);
    }
    expect(await leftovers(br)).toEqual([]);
  });

  it('shows a container with its namespaces as the kernel has them, its limit and its usage', async () => {
    const name = uniq('vwc', 6);
    const page = await browser!.newPage();
    try {
      const r = await minictr(['run', '-d', '--network', 'none', '-m', '32m', '--name', name, 'busybox', 'sleep', '60']);
      expect(r.exitCode, r.stderr).toBe(0);
      const id = r.stdout.trim();
      const pid = initPid(id);
      await page.goto(view!.url);
      await item(page, `container:${id}`).click();
      const details = page.locator('#details');
      // the pid's namespaces as /proc has them: its own net and mnt, the host's user namespace
      const ns = (kind: string): string => readlinkSync(`/proc/${pid}/ns/${kind}`);
      await expect.poll(() => details.innerText()).toContain(`${ns('net')} (its own)`);
      const text = await details.innerText();
      expect(ns('mnt')).not.toBe(readlinkSync('/proc/self/ns/mnt'));
      expect(text).toContain(`${ns('mnt')} (its own)`);
      expect(text).toContain(`ls -l /proc/${pid}/ns`);
      expect(text).toContain('limit memory 32');
      // usage is read while it is shown: the cgroup's processes are the kernel's
      await expect.poll(() => details.innerText()).toContain(`processes ${pid}`);
      expect(await details.innerText()).toMatch(/uses memory \d/);
      await minictr(['rm', '-f', name]);
      await expect.poll(() => item(page, `container:${id}`).getAttribute('data-state'), { timeout: 3000 }).toBe('gone');
    } finally {
      await page.close();
      await minictr(['rm', '-f', name]);
    }
  });

  it("shows a --network none container's namespace, and a change in it, which the host never hears", async () => {
    const name = uniq('vwz', 6);
    const page = await browser!.newPage();
    try {
      const r = await minictr(['run', '-d', '--network', 'none', '--name', name, 'busybox', 'sleep', '60']);
      expect(r.exitCode, r.stderr).toBe(0);
      const id = r.stdout.trim();
      const pid = initPid(id);
      await page.goto(view!.url);
      await item(page, `container:${id}`).click({ timeout: 20_000 });
      const details = page.locator('#details');
      // its own namespace's loopback, as the kernel has it inside
      const inside = (await sh('nsenter', ['-t', String(pid), '-n', 'ip', '-br', 'addr', 'show', 'lo'])).stdout;
      expect(inside).toContain('127.0.0.1/8');
      await expect.poll(() => details.innerText(), { timeout: 5000 }).toContain('interface lo 127.0.0.1/8');
      expect(await details.innerText()).toContain(`nsenter -t ${pid} -n ip addr`);
      // a link made in it from outside minictr: no veth reaches the host, no nsid is assigned
      await sh('nsenter', ['-t', String(pid), '-n', 'ip', 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0']);
      await sh('nsenter', ['-t', String(pid), '-n', 'ip', 'addr', 'add', '10.78.4.1/24', 'dev', 'a0']);
      const made = Date.now();
      await expect.poll(() => details.innerText(), { timeout: 2500, interval: 50 }).toContain('interface a0 10.78.4.1/24 (down)');
      const seenAfter = Date.now() - made;
      expect((await sh('nsenter', ['-t', String(pid), '-n', 'ip', '-br', 'addr', 'show', 'a0'])).stdout).toContain('10.78.4.1/24');
      expect(seenAfter).toBeLessThan(2500);
    } finally {
      await page.close();
      await minictr(['rm', '-f', name]);
    }
  });

  it('while `run --step` is paused, the page has the container, and a step it takes shows up by itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'minictr-view-step-'));
    // "another terminal": the snapshot the page is pushed (/api/snapshot, the same hub), polled
    // until the container's object says NEEDLE; it is read again only when a change was heard
    const poll = join(dir, 'poll.py');
    writeFileSync(
      poll,
      [
        'import json, sys, time, urllib.request',
        'url, oid, needle = sys.argv[1:4]',
        't0 = time.time(); o = None',
        'while time.time() - t0 < 5:',
        "    snap = json.load(urllib.request.urlopen(url + 'api/snapshot'))",
        "    o = next((x for x in snap['objects'] if x['id'] == oid), None)",
        "    if o and needle in '\\n'.join(o['details'] + o['inspect']):",
        "        print('seen after %d ms' % ((time.time() - t0) * 1000)); print('\\n'.join(o['details'])); sys.exit(0)",
        '    time.sleep(0.05)',
        "print('not seen'); print(json.dumps(o))",
      ].join('\n'),
    );
    const look = (needle: string) => ({ sh: `python3 ${poll} ${view!.url} container:$ID "${needle}"; nsenter -t $PID -n ip -br addr show lo` });
    const enter = (step: string): PtyStep[] => [{ wait: `press Enter for: ${step} --` }, { send: '\r' }];
    try {
      const { out, sh: seen, exit } = await ptyDrive(
        dir,
        [
          ...enter('cgroup'),
          ...enter('clone'),
          { wait: 'press Enter for: rootfs --' },
          { capture: String.raw`\(host pid (\d+)\)`, as: 'PID' },
          { capture: 'ID=([0-9a-f]{64})', as: 'ID' },
          // 0: paused before its root is built: the container is on the page, with its pid
          look('pid $PID on the host'),
          { send: '\r' },
          ...enter('pivot_root'),
          ...enter('hostname'),
          ...enter('network'),
          { wait: 'press Enter for: creds --' },
          // 1: the network step brought lo up inside its namespace (no nsid in the host: only
          // minictr-netwatch hears it); paused again, the page has it
          look('interface lo 127.0.0.1/8'),
          { send: '\r' },
          ...enter('exec'),
        ],
        [BIN, 'run', '--rm', '--step', '--network', 'none', 'busybox', 'true'],
      );
      expect(exit, out).toBe(0);
      expect(seen[0], out).toMatch(/^seen after \d+ ms/);
      expect(seen[0]).not.toContain('interface lo 127.0.0.1/8');
      expect(seen[0]).not.toMatch(/\b127\.0\.0\.1\/8/); // nor in the kernel's own answer
      expect(seen[1], out).toMatch(/^seen after \d+ ms/);
      expect(seen[1]).toMatch(/lo +UNKNOWN +127\.0\.0\.1\/8/); // the kernel's, from inside
      expect(Number(/seen after (\d+) ms/.exec(seen[1]!)![1])).toBeLessThan(2500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses every method but GET and HEAD, and a foreign Host header', async () => {
    const { port } = view!;
    const host = `127.0.0.1:${port}`;
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await raw({ host: '127.0.0.1', port, method, path: '/api/snapshot', headers: { Host: host } });
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
    expect((await raw({ host: '127.0.0.1', port, method: 'HEAD', headers: { Host: host } })).status).toBe(200);
    // DNS rebinding: another site's name pointed at 127.0.0.1 sends its own Host
    const rebound = await raw({ host: '127.0.0.1', port, path: '/api/snapshot', headers: { Host: `evil.example:${port}` } });
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain('objects');
  });

  it('listens on loopback only by default; another address needs a token, and then checks it', async () => {
    const { port } = view!;
    // the kernel's socket table, not minictr's word
    const ss = await sh('ss', ['-Hltn', `sport = :${port}`]);
    expect(ss.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)[3])).toEqual([`127.0.0.1:${port}`]);
    const addr = await otherAddress();
    if (addr) await expect(raw({ host: addr, port, headers: { Host: `${addr}:${port}` } })).rejects.toThrow(/ECONNREFUSED/);

    const noToken = await minictr(['view', '--listen', '0.0.0.0']);
    expect(noToken.exitCode).toBe(2);
    expect(noToken.stderr.trim().split('\n')).toHaveLength(1);
    expect(noToken.stderr).toContain('--token');

    if (!addr) return;
    const token = uniq('t', 16);
    const open = await serve(['--listen', addr, '--token', token]);
    try {
      const h = { Host: `${addr}:${open.port}` };
      expect((await raw({ host: addr, port: open.port, path: '/api/snapshot', headers: h })).status).toBe(403);
      expect((await raw({ host: addr, port: open.port, path: '/api/snapshot?token=wrong-token-000000', headers: h })).status).toBe(403);
      expect((await raw({ host: addr, port: open.port, path: `/api/snapshot?token=${token}`, headers: h })).status).toBe(200);
    } finally {
      await stop(open);
    }
  });
});
