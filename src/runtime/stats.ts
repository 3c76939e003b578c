/**
 * `minictr stats`: CPU %, memory against its limit, processes against their limit, for each
 * container, read from its cgroup files (see usage.ts). CPU % is CPU time used over wall time
 * between two samples (100% = one whole CPU), as `docker stats` shows it.
 */
import { writeSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { formatBytes } from '../cgroup/limits.js';
import { table } from '../util/format.js';
import { readUsage, type CgroupUsage } from '../cgroup/usage.js';
import { cgroupName, findContainer, isRunning, listContainers, type Container } from './store.js';

export interface StatsRow {
  ID: string;
  Name: string;
  /** percent of one CPU */
  CPUPerc: number;
  MemUsage: number;
  /** bytes; null: no limit */
  MemLimit: number | null;
  /** percent of the limit; null without one */
  MemPerc: number | null;
  PIDs: number;
  PIDsLimit: number | null;
}

export interface StatsOptions {
  stream: boolean;
  format?: string;
  /** sampling interval, ms */
  interval?: number;
}

interface Sample {
  at: bigint;
  usage: CgroupUsage;
}

function sample(c: Container): Sample {
  return { at: process.hrtime.bigint(), usage: isRunning(c) ? readUsage(cgroupName(c.config.id)) : {} };
}

export function statsRow(c: Container, before: Sample, after: Sample): StatsRow {
  const wallNs = Number(after.at - before.at);
  const cpuNs = (after.usage.cpuNs ?? 0) - (before.usage.cpuNs ?? 0);
  const mem = after.usage.memoryBytes ?? 0;
  const limit = after.usage.memoryLimit ?? null;
  return {
    ID: c.config.id.slice(0, 12),
    Name: c.config.name,
    CPUPerc: wallNs > 0 && cpuNs > 0 ? Math.round((cpuNs / wallNs) * 10000) / 100 : 0,
    MemUsage: mem,
    MemLimit: limit,
    MemPerc: limit ? Math.round((mem / limit) * 10000) / 100 : null,
    PIDs: after.usage.pids ?? 0,
    PIDsLimit: after.usage.pidsLimit ?? null,
  };
}

export function formatStatsTable(rows: StatsRow[]): string {
  const cells: string[][] = [];
  for (const r of rows) {
    cells.push([
      r.ID,
      r.Name,
      `${r.CPUPerc.toFixed(2)}%`,
      `${formatBytes(r.MemUsage)} / ${r.MemLimit === null ? 'no limit' : formatBytes(r.MemLimit)}`,
      r.MemPerc === null ? '--' : `${r.MemPerc.toFixed(2)}%`,
      `${r.PIDs} / ${r.PIDsLimit === null ? 'no limit' : r.PIDsLimit}`,
    ]);
  }
  return table(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS / LIMIT'], cells);
}

function containersFor(refs: string[]): () => Container[] {
  if (refs.length) {
    const ids = refs.map((r) => findContainer(r).config.id);
    return () => ids.map((id) => findContainer(id));
  }
  return () => listContainers().filter(isRunning).sort((a, b) => a.config.name.localeCompare(b.config.name));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Print stats once (--no-stream: two samples, interval apart) or every interval until ^C. */
export async function showStats(refs: string[], opts: StatsOptions): Promise<void> {
  if (opts.format !== undefined && opts.format !== 'json' && opts.format !== 'table') throw new UsageError(`unknown --format "${opts.format}": json or table`);
  const json = opts.format === 'json';
  const interval = opts.interval ?? (opts.stream ? 1000 : 500);
  const list = containersFor(refs);
  let previous = new Map(list().map((c) => [c.config.id, sample(c)]));
  let stop = false;
  const onInt = (): void => {
    stop = true;
  };
  process.on('SIGINT', onInt);
  try {
    for (;;) {
      await sleep(interval);
      const now = list();
      const next = new Map(now.map((c) => [c.config.id, sample(c)]));
      const rows = now.map((c) => statsRow(c, previous.get(c.config.id) ?? next.get(c.config.id)!, next.get(c.config.id)!));
      previous = next;
      if (json) writeSync(1, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
      else writeSync(1, `${opts.stream && process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${formatStatsTable(rows)}`);
      if (!opts.stream || stop) return;
    }
  } finally {
    process.off('SIGINT', onInt);
  }
}
