/**
 * Reads what the page shows, with the readers minictr already has: the live network picture
 * (network/lab/graph/live.ts), the container store (runtime/store.ts), the labs' journals
 * (network/lab/topology/status.ts), cgroup limits, usage and processes (src/cgroup). Only
 * reads: nothing here changes the host.
 */
import { liveGraph, freshReader, type SpaceRead, type SpaceReader } from '../network/lab/graph/live.js';
import { vethName } from '../network/container/attach.js';
import { allLabs } from '../network/lab/topology/status.js';
import { listNetworks } from '../network/container/store.js';
import { cgroupName, isRunning, listContainers, type Container } from '../runtime/store.js';
import { namespaces } from '../runtime/inspect.js';
import { cgroupInfo } from '../cgroup/info.js';
import { readUsage } from '../cgroup/usage.js';
import { cgroupPids } from '../cgroup/cgroup.js';
import { formatBytes } from '../cgroup/limits.js';
import { runTool } from '../util/tool.js';
import type { Graph } from '../network/lab/graph/model.js';
import { describeAll, type ContainerFacts, type LabFacts } from './describe.js';
import type { ViewObject } from './model.js';

/** A SpaceReader that keeps each namespace's read until told it changed (by watch.ts). */
export class CachedReader implements SpaceReader {
  private readonly reads = new Map<string, Promise<SpaceRead>>();

  read(space: string): Promise<SpaceRead> {
    let p = this.reads.get(space);
    if (!p) this.reads.set(space, (p = freshReader.read(space)));
    return p;
  }

  /** Forget one namespace ('' = the host), or everything. */
  invalidate(space?: string): void {
    if (space === undefined) this.reads.clear();
    else this.reads.delete(space);
  }

  /** nsid -> name as the host numbers them (from the host's last read). */
  async hostNsids(): Promise<Map<number, string>> {
    return (await this.read('')).nsids;
  }
}

// the host's namespaces are the view's own (pid 1 may be beyond our reach in a sandbox)
const HOST_NS = namespaces(process.pid);

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
function usageLines(c: Container): string[] {
  const u = readUsage(cgroupName(c.config.id));
  const out: string[] = [];
  if (u.memoryBytes !== undefined) out.push(`memory ${formatBytes(u.memoryBytes)}`);
  if (u.cpuNs !== undefined) out.push(`cpu ${(u.cpuNs / 1e9).toFixed(2)} s`);
  if (u.pids !== undefined) out.push(`pids ${u.pids}`);
  return out;
}

/** What does not change while a container keeps its process and its limits: read once. */
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
  };
}

/** Container facts by id, kept while the container's pid, status and limits are the same:
 * with 200 containers, reading every cgroup again on each kernel event cost a second. */
export class ContainerFactsCache {
  private readonly facts = new Map<string, { key: string; facts: ContainerFacts }>();

  get(c: Container, running: boolean): ContainerFacts {
    const key = JSON.stringify([running ? c.state.pid : 0, c.state.status, c.state.paused, c.config.resources ?? null, c.config.name]);
    const hit = this.facts.get(c.config.id);
    if (hit?.key === key) return hit.facts;
    const facts = containerFacts(c);
    this.facts.set(c.config.id, { key, facts });
    return facts;
  }

  /** Forget the containers that are gone. */
  keep(ids: ReadonlySet<string>): void {
    for (const id of this.facts.keys()) if (!ids.has(id)) this.facts.delete(id);
  }
}

/**
 * Does no veth from the host reach this container's network namespace (--network none, or
 * sharing such a container's)? Then the host's picture has nothing of it and the host hears
 * none of its events: its interfaces are read into the container's object, and
 * minictr-netwatch listens in it.
 */
export function netnsUnseenFromHost(c: Container): boolean {
  const mode = c.config.network?.mode ?? '';
  return mode === 'none' || mode.startsWith('container:');
}

interface LinkJson {
  ifname?: unknown;
  flags?: unknown;
  addr_info?: { local?: unknown; prefixlen?: unknown }[];
}

/** `ip -j addr show` as lines: `lo 127.0.0.1/8`, `a0 10.0.0.1/24 (down)`. */
export function interfaceLines(json: string): string[] {
  let links: LinkJson[];
  try {
    links = JSON.parse(json) as LinkJson[];
  } catch {
    return [];
  }
  if (!Array.isArray(links)) return [];
  return links
    .filter((l) => typeof l.ifname === 'string')
    .map((l) => {
      const addrs = (l.addr_info ?? []).filter((a) => typeof a.local === 'string').map((a) => `${String(a.local)}/${Number(a.prefixlen)}`);
      const up = Array.isArray(l.flags) && l.flags.includes('UP');
      return [l.ifname as string, ...addrs, ...(up ? [] : ['(down)'])].join(' ');
    });
}

/** Those namespaces' interfaces by the container's pid, kept until minictr-netwatch says one changed. */
export class ContainerNetReader {
  private readonly reads = new Map<number, Promise<string[]>>();

  read(pid: number): Promise<string[]> {
    let p = this.reads.get(pid);
    if (!p) {
      // nsenter is the C child that enters it; node itself never joins a namespace
      p = runTool('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-j', 'addr', 'show'], { allowFailure: true }).then((r) => (r.exitCode === 0 ? interfaceLines(r.stdout) : []));
      this.reads.set(pid, p);
    }
    return p;
  }

  invalidate(pid: number): void {
    this.reads.delete(pid);
  }

  /** Forget the pids that are no longer running containers'. */
  keep(pids: ReadonlySet<number>): void {
    for (const pid of this.reads.keys()) if (!pids.has(pid)) this.reads.delete(pid);
  }
}

/** A container's usage now (cgroup files): asked for by a page showing that container. */
export function containerUsage(c: Container): { usage: string[]; pids: number[] } {
  return { usage: usageLines(c), pids: cgroupPids(cgroupName(c.config.id)) };
}

export interface LiveRead {
  graph: Graph;
  objects: ViewObject[];
  /** the running containers, whose usage is read between snapshots */
  running: Container[];
}

export async function readLive(reader: SpaceReader, facts = new ContainerFactsCache(), net = new ContainerNetReader()): Promise<LiveRead> {
  const all = listContainers();
  const isUp = new Map(all.map((c) => [c, isRunning(c)]));
  const up = all.filter((c) => isUp.get(c));
  const running = up.map((c) => ({ name: c.config.name, ip: c.config.network?.ip, hostVeth: c.config.network?.network ? vethName(c.config.id) : undefined, pid: c.state.pid! }));
  const unseen = up.filter(netnsUnseenFromHost);
  const [graph, labs, unseenNets] = await Promise.all([liveGraph(running, undefined, reader), allLabs(), Promise.all(unseen.map((c) => net.read(c.state.pid!)))]);
  const interfacesOf = new Map(unseen.map((c, i) => [c.config.id, unseenNets[i]!]));
  const labFacts: LabFacts[] = labs.map((l) => ({ lab: l.lab, file: l.file, state: l.state, objects: l.objects }));
  const networks = listNetworks().map((n) => ({ name: n.name, bridge: n.bridge, subnet: n.subnet }));
  facts.keep(new Set(all.map((c) => c.config.id)));
  net.keep(new Set(unseen.map((c) => c.state.pid!)));
  const containerFacts = all.map((c) => {
    const f = facts.get(c, isUp.get(c)!);
    const interfaces = interfacesOf.get(c.config.id);
    return interfaces ? { ...f, interfaces } : f;
  });
  return { graph, objects: describeAll(graph, labFacts, containerFacts, networks), running: up };
}
