/** --network: bridge (default) or a user network NAME, none, host, container:NAME, netns:NAME. */
import { UsageError } from '../../errors.js';
import { checkNetnsName } from '../host/names.js';

export type NetworkMode =
  | { kind: 'bridge'; network: string }
  | { kind: 'none' }
  | { kind: 'host' }
  | { kind: 'container'; ref: string }
  | { kind: 'netns'; name: string };

export function parseNetworkMode(v: string | undefined): NetworkMode {
  const value = v ?? 'bridge';
  if (value === 'none' || value === 'host') return { kind: value };
  if (value.startsWith('container:')) {
    const ref = value.slice('container:'.length);
    if (!ref) throw new UsageError('invalid --network container:: expected container:NAME');
    return { kind: 'container', ref };
  }
  if (value.startsWith('netns:')) {
    const name = value.slice('netns:'.length);
    checkNetnsName(name, `--network ${value}`);
    return { kind: 'netns', name };
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(value)) throw new UsageError(`invalid --network "${value}"`);
  return { kind: 'bridge', network: value };
}

export function formatNetworkMode(m: NetworkMode): string {
  switch (m.kind) {
    case 'bridge':
      return m.network;
    case 'container':
      return `container:${m.ref}`;
    case 'netns':
      return `netns:${m.name}`;
    default:
      return m.kind;
  }
}

/** A container has eth0..eth9 at most: the host end's name (attach.ts vethName) has room
 * for one digit. */
export const MAX_NETWORKS = 10;

/** One --network after the first: a bridge network and the container's aliases on it. */
export interface ExtraNetwork {
  network: string;
  aliases: string[];
}

/** What repeated --network flags ask for (Docker >= 25): the first is the mode (eth0, with
 * --network-alias names), each further one a bridge network more (eth1, eth2...). A flag is
 * NAME, or Docker's long form name=NAME[,alias=A]... (aliases on that network). */
export function parseNetworkFlags(values: string[]): { mode: NetworkMode; aliases: string[]; more: ExtraNetwork[] } {
  const flags = values.map(parseNetworkFlag);
  const [first, ...rest] = flags.length ? flags : [{ network: 'bridge', aliases: [] }];
  const mode = parseNetworkMode(first!.network);
  if (rest.length && mode.kind !== 'bridge') throw new UsageError(`--network ${formatNetworkMode(mode)} cannot be combined with other networks`);
  const seen = new Set([first!.network]);
  for (const r of rest) {
    const m = parseNetworkMode(r.network);
    if (m.kind !== 'bridge') throw new UsageError(`--network ${r.network} cannot be combined with other networks`);
    if (seen.has(r.network)) throw new UsageError(`--network ${r.network} is given twice`);
    seen.add(r.network);
  }
  return { mode, aliases: first!.aliases, more: rest };
}

function parseNetworkFlag(v: string): ExtraNetwork {
  if (!v.startsWith('name=')) return { network: v, aliases: [] };
  const out: ExtraNetwork = { network: '', aliases: [] };
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    const [k, x] = [part.slice(0, eq), part.slice(eq + 1)];
    if (k === 'name' && !out.network) out.network = x;
    else if (k === 'alias' && x) out.aliases.push(x);
    else throw new UsageError(`invalid --network "${v}": expected name=NETWORK[,alias=NAME]...`);
  }
  if (!out.network) throw new UsageError(`invalid --network "${v}": expected name=NETWORK[,alias=NAME]...`);
  return out;
}
