/**
 * Open vSwitch through ovs-vsctl. OVS needs two daemons (ovsdb-server, ovs-vswitchd) that a
 * fresh machine or container may not be running, and a kernel datapath module that many
 * kernels lack; both are detected here so the lab still works, with a note saying what changed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { MinictrError } from '../../errors.js';
import { equivalent, type OvsAction } from './actions.js';
import { hostCommand } from '../../util/host-command.js';
import { haveTool, runTool } from '../../util/tool.js';
import { kernelConfigOption } from './tc.js';
import { ovsdbSelect } from './ovsdb.js';
import type { Explainer } from '../../util/explain.js';

export const OVS_CTL = '/usr/share/openvswitch/scripts/ovs-ctl';

export async function ovsInstalled(): Promise<boolean> {
  return haveTool('ovs-vsctl');
}

const OVS_RUN_DIR = '/var/run/openvswitch';

function pidAlive(pidFile: string): boolean {
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

/** Both daemons alive per their pid files (no spawn), confirmed by ovs-vsctl when unsure. */
export async function ovsRunning(): Promise<boolean> {
  if (pidAlive(`${OVS_RUN_DIR}/ovsdb-server.pid`) && pidAlive(`${OVS_RUN_DIR}/ovs-vswitchd.pid`)) return true;
  const res = await runTool('ovs-vsctl', ['--timeout=2', 'show'], { allowFailure: true }).catch(() => undefined);
  return res?.exitCode === 0;
}

/** Start ovsdb-server and ovs-vswitchd with ovs-ctl when they are not running (no systemd needed). */
export async function ensureOvsRunning(explain?: Explainer): Promise<void> {
  if (await ovsRunning()) return;
  if (!existsSync(OVS_CTL)) throw new MinictrError(`Open vSwitch is not running and ${OVS_CTL} is missing`);
  await hostCommand(OVS_CTL, ['start'], { explain, why: 'start Open vSwitch (ovsdb-server, ovs-vswitchd)', allowFailure: true });
  if (!(await ovsRunning())) throw new MinictrError(`Open vSwitch did not start (${OVS_CTL} start); see /var/log/openvswitch`);
}

let kernelDatapath: boolean | undefined;

/**
 * Does the kernel have the openvswitch datapath? Without it a bridge with the default
 * datapath_type=system is created in the database but forwards nothing, so we must use the
 * userspace (netdev) datapath instead.
 */
export async function hasKernelDatapath(): Promise<boolean> {
  if (kernelDatapath !== undefined) return kernelDatapath;
  if (existsSync('/sys/module/openvswitch')) return (kernelDatapath = true);
  const config = kernelConfigOption('CONFIG_OPENVSWITCH');
  if (config === 'y') return (kernelDatapath = true);
  if (config === 'no') return (kernelDatapath = false);
  if (existsSync(`/lib/modules/${release()}`)) {
    await runTool('modprobe', ['-q', 'openvswitch'], { allowFailure: true }).catch(() => undefined);
    if (existsSync('/sys/module/openvswitch')) return (kernelDatapath = true);
  }
  // Built-in modules need not show in /sys/module; the generic netlink family is the real test.
  const genl = await runTool('genl', ['ctrl', 'get', 'name', 'ovs_datapath'], { allowFailure: true }).catch(() => undefined);
  return (kernelDatapath = genl?.exitCode === 0);
}

/**
 * Bridge names, read from ovsdb over its unix socket with one JSON-RPC "select" (ovsdb.ts):
 * the same answer as `ovs-vsctl list-br` without a process spawn on every `up`.
 */
export async function listBridges(): Promise<string[]> {
  const rows = await ovsdbSelect('Bridge', ['name']).catch(() => undefined);
  if (rows) return rows.map((r) => String(r.name)).sort();
  const res = await runTool('ovs-vsctl', ['--timeout=5', 'list-br']);
  return res.stdout.split('\n').filter(Boolean);
}

type OvsMap = ['map', [string, string][]];

/**
 * Each bridge with its external_ids (the marks a program leaves on what it made): one ovsdb
 * select, or `ovs-vsctl --format=json list Bridge` without the socket.
 */
export async function bridgeExternalIds(): Promise<Map<string, Record<string, string>>> {
  const toRecord = (m: unknown): Record<string, string> => {
    const pairs = Array.isArray(m) && m[0] === 'map' && Array.isArray(m[1]) ? (m as OvsMap)[1] : [];
    return Object.fromEntries(pairs.filter((p) => Array.isArray(p) && p.length === 2).map(([k, v]) => [String(k), String(v)]));
  };
  const rows = await ovsdbSelect('Bridge', ['name', 'external_ids']).catch(() => undefined);
  if (rows) return new Map(rows.map((r) => [String(r.name), toRecord(r.external_ids)]));
  const res = await runTool('ovs-vsctl', ['--timeout=5', '--format=json', '--columns=name,external_ids', 'list', 'Bridge']);
  const table = JSON.parse(res.stdout) as { data: [string, unknown][] };
  return new Map(table.data.map(([name, ids]) => [String(name), toRecord(ids)]));
}

export async function listPorts(bridge: string): Promise<string[]> {
  const res = await runTool('ovs-vsctl', ['--timeout=5', 'list-ports', bridge]);
  return res.stdout.split('\n').filter(Boolean);
}

/** Consecutive ovs-vsctl commands run as one transaction: `ovs-vsctl A -- B -- C`. */
export async function runOvs(actions: readonly OvsAction[]): Promise<void> {
  if (actions.length === 0) return;
  const args: string[] = ['--timeout=20'];
  actions.forEach((a, i) => args.push(...(i ? ['--'] : []), ...a.args));
  const res = await runTool('ovs-vsctl', args, { allowFailure: true });
  if (res.exitCode !== 0) {
    const reason = res.stderr.trim().split('\n')[0] ?? 'failed';
    const guilty = actions.find((a) => reason.includes(a.args[a.args.length - 1] ?? '\0')) ?? actions[0]!;
    throw new MinictrError(`${equivalent(guilty)}: ${reason.replace(/^ovs-vsctl: /, '')}`);
  }
}
