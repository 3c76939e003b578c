/**
 * Reads what the page shows, with the readers minictr already has: the live network picture
 * (network/lab/graph/live.ts), the container store (runtime/store.ts), the labs' journals
 * (network/lab/topology/status.ts), cgroup limits, usage and processes (src/cgroup). Only
 * reads: nothing here changes the host.
 */
import { liveGraph, freshReader, type Iface, type SpaceReader } from '../network/lab/graph/live.js';
import { vethName } from '../network/container/attach.js';
import { allLabs } from '../network/lab/topology/status.js';
import { listNetworks } from '../network/container/store.js';
import { cgroupName, isRunning, listContainers, type Container } from '../runtime/store.js';
import { namespaces } from '../runtime/inspect.js';
import { cgroupInfo } from '../cgroup/info.js';
import { readUsage } from '../cgroup/usage.js';
import { cgroupPids } from '../cgroup/cgroup.js';
import { formatBytes } from '../cgroup/limits.js';
import type { Graph } from '../network/lab/graph/model.js';
import { describeAll, type ContainerFacts, type LabFacts } from './describe.js';
import type { ViewObject } from './model.js';

/** A SpaceReader that keeps each namespace's read until told it changed (by watch.ts). */
export class CachedReader implements SpaceReader {
  private readonly ifaces = new Map<string, Promise<Iface[]>>();
  private readonly ids = new Map<string, Promise<Map<number, string>>>();

  interfaces(space: string): Promise<Iface[]> {
    let p = this.ifaces.get(space);
    if (!p) this.ifaces.set(space, (p = freshReader.interfaces(space)));
    return p;
  }

  nsids(space: string): Promise<Map<number, string>> {
    let p = this.ids.get(space);
    if (!p) this.ids.set(space, (p = freshReader.nsids(space)));
    return p;
  }

  /** Forget one namespace ('' = the host), or everything. */
  invalidate(space?: string): void {
    if (space === undefined) {
      this.ifaces.clear();
      this.ids.clear();
    } else {
      this.ifaces.delete(space);
      this.ids.delete(space);
      // the host's list numbers every namespace a veth from the host crossed into
      this.ids.delete('');
    }
  }
}

const HOST_NS = namespaces(1);

function limitLines(c: Container): { dir?: string; v2: boolean; limits: string[] } {
  const info = cgroupInfo(cgroupName(c.config.id));
  const l = info.Limits;
  const limits: string[] = [];
  if (l.memory !== undefined) limits.push(`memory ${formatBytes(l.memory)}`);
  if (l.cpus !== undefined) limits.push(`cpus ${l.cpus}`);
  if (l.pidsLimit !== undefined) limits.push(`pids ${l.pidsLimit}`);
  if (l.cpusetCpus !== undefined) limits.push(`cpuset ${l.cpusetCpus}`);
  return { dir: info.Exists ? (info.Paths.unified && info.Mode === 'unified' ? info.Paths.unified : info.Paths.memory) : undefined, v2: info.Mode === 'unified', limits };
}

/** Usage lines of a running container's cgroup: the numbers `minictr stats` shows. */
export function usageLines(c: Container): string[] {
  const u = readUsage(cgroupName(c.config.id));
  const out: string[] = [];
  if (u.memoryBytes !== undefined) out.push(`memory ${formatBytes(u.memoryBytes)}`);
  if (u.cpuNs !== undefined) out.push(`cpu ${(u.cpuNs / 1e9).toFixed(2)} s`);
  if (u.pids !== undefined) out.push(`pids ${u.pids}`);
  return out;
}

function containerFacts(c: Container): ContainerFacts {
  const running = isRunning(c);
  const pid = running ? c.state.pid : undefined;
  const ns = pid ? namespaces(pid) : {};
  const cg = limitLines(c);
  return {
    name: c.config.name,
    id: c.config.id,
    image: c.config.image,
    command: c.config.command,
    status: running ? (c.state.paused ? 'paused' : 'running') : c.state.status,
    network: c.config.network?.network ?? c.config.network?.mode,
    ip: c.config.network?.ip,
    pid,
    namespaces: Object.entries(ns).map(([kind, link]) => ({ kind, link, host: HOST_NS[kind] === link })),
    cgroupDir: cg.dir,
    cgroupV2: cg.v2,
    limits: cg.limits,
    usage: running ? usageLines(c) : [],
    pids: running ? cgroupPids(cgroupName(c.config.id)) : [],
  };
}

export interface LiveRead {
  graph: Graph;
  objects: ViewObject[];
  /** the running containers, whose usage is read between snapshots */
  running: Container[];
}

export async function readLive(reader: SpaceReader): Promise<LiveRead> {
  const all = listContainers();
  const up = all.filter(isRunning);
  const running = up.map((c) => ({ name: c.config.name, ip: c.config.network?.ip, hostVeth: c.config.network?.network ? vethName(c.config.id) : undefined, pid: c.state.pid! }));
  const [graph, labs] = await Promise.all([liveGraph(running, undefined, reader), allLabs()]);
  const labFacts: LabFacts[] = labs.map((l) => ({ lab: l.lab, file: l.file, state: l.state, objects: l.objects }));
  const networks = listNetworks().map((n) => ({ name: n.name, bridge: n.bridge, subnet: n.subnet }));
  return { graph, objects: describeAll(graph, labFacts, all.map(containerFacts), networks), running: up };
}
