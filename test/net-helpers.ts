/**
 * Shared by the net-*.test.ts files: host tools, kernel facts and unique topologies.
 */
import { execa, execaSync } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { stringify } from 'yaml';

export async function sh(cmd: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const r = await execa(cmd, args, { reject: false, input, stdin: input === undefined ? 'ignore' : undefined });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1 };
}

export const netnsNames = (): string[] => (existsSync('/run/netns') ? readdirSync('/run/netns') : []);
export const linkNames = (): string[] => readdirSync('/sys/class/net');

export async function haveOvs(): Promise<boolean> {
  return (await sh('sh', ['-c', 'command -v ovs-vsctl'])).exitCode === 0;
}

/** Tests read `ovs-vsctl show`, so OVS must run even before minictr starts it. */
export async function ensureOvsRunning(): Promise<void> {
  if (!(await haveOvs())) return;
  if ((await sh('ovs-vsctl', ['--timeout=2', 'show'])).exitCode === 0) return;
  await sh('/usr/share/openvswitch/scripts/ovs-ctl', ['start']);
}

export async function ovsShow(): Promise<string> {
  return (await haveOvs()) ? (await sh('ovs-vsctl', ['--timeout=5', 'show'])).stdout : '';
}

/** iputils ping, or busybox's on minimal machines. */
export async function pingCmd(): Promise<string[]> {
  if ((await sh('sh', ['-c', 'command -v ping'])).exitCode === 0) return ['ping'];
  return ['busybox', 'ping'];
}

export function rtts(out: string): number[] {
  return [...out.matchAll(/time[=<]([\d.]+) ?ms/g)].map((m) => Number(m[1]));
}

export function netemAvailable(): boolean {
  if (existsSync('/sys/module/sch_netem')) return true;
  try {
    const cfg = gunzipSync(readFileSync('/proc/config.gz')).toString();
    if (/^CONFIG_NET_SCH_NETEM=y/m.test(cfg)) return true;
    if (!/^CONFIG_NET_SCH_NETEM=m/m.test(cfg)) return false;
  } catch {
    /* no config: try loading */
  }
  execaSync('modprobe', ['-q', 'sch_netem'], { reject: false });
  return existsSync('/sys/module/sch_netem');
}

const dir = mkdtempSync(join(process.env.MINICTR_TEST_BASE ?? tmpdir(), 'net-topo-'));

export function writeTopology(name: string, doc: unknown): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, typeof doc === 'string' ? doc : stringify(doc));
  return file;
}

/** Everything the kernel has whose name starts with prefix: namespaces, host links, /etc/netns. */
export async function leftovers(prefix: string): Promise<string[]> {
  const found = [
    ...netnsNames().filter((n) => n.startsWith(prefix)).map((n) => `netns ${n}`),
    ...linkNames().filter((n) => n.startsWith(prefix)).map((n) => `link ${n}`),
    ...(existsSync('/etc/netns') ? readdirSync('/etc/netns') : []).filter((n) => n.startsWith(prefix)).map((n) => `/etc/netns/${n}`),
  ];
  const show = await ovsShow();
  if (show.includes(`Bridge ${prefix}`)) found.push(`ovs bridge ${prefix}*`);
  return found;
}

/** Hosts a, b (and more) on one switch, 10.77.0.N/24. */
export function star(p: string, n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const hosts: Record<string, unknown> = {};
  const links: unknown[] = [];
  for (let i = 0; i < n; i++) {
    hosts[`${p}h${i}`] = { addresses: { eth0: `10.77.${Math.floor(i / 250)}.${(i % 250) + 1}/16` } };
    links.push({ endpoints: [`${p}h${i}:eth0`, `${p}s:${p}p${i}`] });
  }
  return { name: p, hosts, switches: { [`${p}s`]: { type: 'linux' } }, links, ...extra };
}
