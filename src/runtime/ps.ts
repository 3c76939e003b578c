/**
 * `minictr ps`: one row per container, as a table or JSON lines. Apart from inspect.ts so that
 * `ps` loads only the store and this (inspect pulls in seccomp, the cgroup and network views).
 */
import { humanDuration, table } from '../util/format.js';
import { healthSuffix } from './healthcheck.js';
import { isBeingRemoved, isRestarting, isRunning, readHealth, type BrokenContainer, type Container } from './store.js';

export function portsText(c: Container): string[] {
  return (c.config.network?.ports ?? []).map((p) => `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.proto}`);
}

/** "2 minutes": how long since, in docker's words (the same as images and history) */
function ago(iso: string | undefined): string {
  return iso ? humanDuration(Math.max(0, Date.now() - Date.parse(iso))) : '';
}

export function statusText(c: Container): string {
  if (isRunning(c)) return `Up ${ago(c.state.startedAt)}${healthSuffix(readHealth(c))}`;
  // as docker ps: the last exit code, while the policy's back-off runs
  if (isRestarting(c)) return `Restarting (${c.state.exitCode ?? 0}) ${ago(c.state.finishedAt)} ago`;
  if (c.state.status === 'created') return 'Created';
  // as docker ps: a --rm container that has ended, its rm under way (store.ts isBeingRemoved)
  if (isBeingRemoved(c)) return 'Removal In Progress';
  return `Exited (${c.state.exitCode ?? 0}) ${ago(c.state.finishedAt)} ago`;
}

export interface PsRow {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  Status: string;
  State: string;
  Ports: string;
  Names: string;
}

export function psRow(c: Container): PsRow {
  return {
    ID: c.config.id.slice(0, 12),
    Image: c.config.image,
    Command: JSON.stringify(c.config.command.join(' ').slice(0, 40)),
    CreatedAt: c.config.created,
    Status: statusText(c),
    State: isRunning(c) ? 'running' : isRestarting(c) ? 'restarting' : isBeingRemoved(c) ? 'removing' : c.state.status,
    Ports: portsText(c).join(', '),
    Names: c.config.name,
  };
}

/** A container whose record cannot be read: listed (it may be running), never guessed at. */
export function brokenPsRow(b: BrokenContainer): PsRow {
  return { ID: b.id.slice(0, 12), Image: '?', Command: '?', CreatedAt: '', Status: 'Broken record', State: 'broken', Ports: '', Names: '?' };
}

export function formatPs(containers: Container[], broken: BrokenContainer[] = []): string {
  const rows: string[][] = [];
  for (const c of containers) {
    const r = psRow(c);
    rows.push([r.ID, r.Image, r.Command, `${ago(c.config.created)} ago`, r.Status, r.Ports, r.Names]);
  }
  for (const b of broken) {
    const r = brokenPsRow(b);
    rows.push([r.ID, r.Image, r.Command, '?', r.Status, r.Ports, r.Names]);
  }
  return table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], rows);
}
