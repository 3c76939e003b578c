/**
 * A fake "internet" for network tests: a network namespace of the test's own, routed from
 * the host over a veth pair, running a small HTTP server (python3) that logs each client's
 * address, and dnsmasq answering for upstream.test. Containers reach it only through NAT.
 */
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniq } from './cli.js';

export interface Upstream {
  ns: string;
  hostIp: string;
  ip: string;
  name: string;
  clientsSeen(): string[];
  stop(): Promise<void>;
}

const sh = (cmd: string, args: string[]): Promise<unknown> => execa(cmd, args);

export async function startUpstream(): Promise<Upstream> {
  const id = uniq('', 5);
  const ns = `up${id}`;
  const hostIf = `uph${id}`;
  const nsIf = `upn${id}`;
  const octet = 16 + (parseInt(id.slice(0, 2), 16) % 200);
  const hostIp = `172.31.${octet}.1`;
  const ip = `172.31.${octet}.2`;
  const dir = mkdtempSync(join(tmpdir(), 'minictr-upstream-'));
  writeFileSync(join(dir, 'index.html'), 'hello from upstream\n');
  const log = join(dir, 'clients.log');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'server.py'),
    [
      'import http.server, sys',
      'class H(http.server.SimpleHTTPRequestHandler):',
      '    def log_message(self, fmt, *args):',
      `        open(${JSON.stringify(log)}, "a").write(self.client_address[0] + "\\n")`,
      `http.server.ThreadingHTTPServer((${JSON.stringify(ip)}, 80), lambda *a: H(*a, directory=${JSON.stringify(dir)})).serve_forever()`,
    ].join('\n'),
  );
  await sh('ip', ['netns', 'add', ns]);
  await sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', ns]);
  await sh('ip', ['addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
  await sh('ip', ['link', 'set', hostIf, 'up']);
  await sh('ip', ['-n', ns, 'addr', 'add', `${ip}/30`, 'dev', nsIf]);
  await sh('ip', ['-n', ns, 'link', 'set', nsIf, 'up']);
  await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const procs: ResultPromise[] = [
    execa('ip', ['netns', 'exec', ns, 'python3', join(dir, 'server.py')], { reject: false }),
    execa('ip', ['netns', 'exec', ns, 'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', '--bind-interfaces',
      `--listen-address=${ip}`, `--address=/upstream.test/${ip}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`, '--user=root', '--log-facility=-'], { reject: false }),
  ];
  // wait for both to listen
  for (let i = 0; i < 100; i++) {
    const ss = await execa('ip', ['netns', 'exec', ns, 'ss', '-lntu'], { reject: false });
    if (ss.stdout.includes(`${ip}:80`) && ss.stdout.includes(`${ip}:53`)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    ns,
    hostIp,
    ip,
    name: 'upstream.test',
    clientsSeen: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    async stop() {
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.catch(() => undefined)));
      await execa('ip', ['netns', 'pids', ns], { reject: false }).then(async (r) => {
        for (const pid of r.stdout.split('\n').filter(Boolean)) await execa('kill', ['-9', pid], { reject: false });
      });
      await execa('ip', ['link', 'del', hostIf], { reject: false });
      await execa('ip', ['netns', 'del', ns], { reject: false });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
