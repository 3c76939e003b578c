/**
 * Named network namespaces, the iproute2 way: a namespace is kept alive by a bind mount of
 * its /proc/PID/ns/net at /run/netns/NAME. Using `ip netns` itself keeps minictr and iproute2
 * interchangeable in both directions, and `ip netns exec` applies /etc/netns/NAME/* (hosts,
 * resolv.conf) by bind-mounting them over /etc in a private mount namespace.
 */
import { existsSync } from 'node:fs';
import { ConflictError, NotFoundError } from '../../errors.js';
import { hostCommand } from '../../util/host-command.js';
import { shellLine } from '../../util/shell.js';
import { runInteractive, runTool } from '../../util/tool.js';
import { checkNetnsName } from './names.js';
import type { NetOutput } from './output.js';
import { NETNS_DIR, namedNamespaces } from './state.js';

export function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`);
}

export async function addNetns(name: string, out: NetOutput): Promise<void> {
  checkNetnsName(name);
  if (netnsExists(name)) throw new ConflictError(`namespace ${name} already exists`);
  await hostCommand('ip', ['netns', 'add', name], { explain: out.explain, why: `create namespace ${name} (bind-mounted at ${NETNS_DIR}/${name})` });
}

export async function delNetns(name: string, out: NetOutput): Promise<void> {
  checkNetnsName(name);
  if (!netnsExists(name)) throw new NotFoundError(`no namespace ${name} (see minictr net ns ls)`);
  await hostCommand('ip', ['netns', 'del', name], { explain: out.explain, why: `remove namespace ${name}` });
}

export interface NetnsInfo {
  name: string;
  id?: number;
}

export async function listNetns(): Promise<NetnsInfo[]> {
  const res = await runTool('ip', ['-j', 'netns', 'list'], { allowFailure: true });
  const ids = new Map<string, number | undefined>();
  try {
    for (const e of JSON.parse(res.stdout || '[]') as { name: string; id?: number }[]) ids.set(e.name, e.id);
  } catch {
    /* older iproute2: names from the directory are enough */
  }
  return namedNamespaces().map((name) => ({ name, id: ids.get(name) }));
}

/**
 * Run CMD inside namespace NAME with the terminal attached, exactly as `ip netns exec` does.
 * Returns the command's exit status (128+signal when killed), like a shell would.
 */
export async function execInNetns(name: string, argv: readonly string[], out?: NetOutput): Promise<number> {
  checkNetnsName(name);
  if (!netnsExists(name)) throw new NotFoundError(`no namespace ${name} (see minictr net ns ls)`);
  if (argv.length === 0) argv = [process.env.SHELL || '/bin/sh'];
  out?.explain.step(`run in namespace ${name}`, shellLine(['ip', 'netns', 'exec', name, ...argv]));
  return runInteractive('ip', ['netns', 'exec', name, ...argv]);
}
