/**
 * A cgroup by name: a path like `minictr/<id>` or `minictr-oci/default/web`, the same in
 * every hierarchy (the cgroup2 tree, each v1 controller's). The library knows nothing of
 * containers; it only insists that a name lies below a minictr-owned top (OWNED_TOPS):
 * minictr never writes into cgroups it did not make. A cgroup is created and limited before
 * the process that will live in it exists: on a cgroup2 hierarchy that process is cloned
 * straight into it (clone3 CLONE_INTO_CGROUP); on v1 hierarchies the child writes "0" to
 * each controller's `tasks` as its first step after the parent's "go" (native/src/child.c),
 * or, when host-side hooks must see it placed first, the parent writes its pid to each
 * controller's cgroup.procs while it still waits.
 */
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { silent, type Explainer } from '../util/explain.js';
import { CgroupError, readCgroupFile, readKeyed, sleepSync, writeCgroupFile } from './files.js';
import { cgroupLayout, controllerAvailable, readWords, v2DelegatedControllers, type CgroupLayout, type Controller } from './hierarchy.js';
import { applyLimits } from './apply.js';
import { CGROUP_PARENT, cgroupPaths, type CgroupPaths } from './paths.js';
import type { CgroupMode } from './mode.js';
import type { CgroupLimits } from './limits.js';

/** The v2 controllers minictr enables for its containers (in minictr/cgroup.subtree_control). */
const V2_CONTROLLERS = ['cpuset', 'cpu', 'memory', 'pids'] as const;

/** The container's v1 dirs (one per hierarchy): where its pid must be written on v1. */
function v1Dirs(p: CgroupPaths): string[] {
  return p.dirs.filter((d) => d !== p.v2);
}

export interface Cgroup {
  readonly mode: CgroupMode;
  /** the container's cgroup2 directory, if the host has a cgroup2 hierarchy */
  readonly v2Path?: string;
  readonly paths: CgroupPaths;
  /** open fd of v2Path for clone3(CLONE_INTO_CGROUP), or -1 */
  readonly cloneFd: number;
  /** v1 `tasks` files a single-threaded child writes "0" to, to join itself (cheaper than
   * the parent writing its pid: no global threadgroup lock, native/src/child.c) */
  readonly childTasksFiles: string[];
  /** place a process: cgroup2 when clone3 could not; the v1 hierarchies unless the child
   * joins them itself (childJoinsV1: childTasksFiles went into its spawn record) */
  attach(pid: number, clonedInto: boolean, childJoinsV1: boolean): void;
  /** cgroup.procs files a process must be written to, to join (for `enter` without clone3) */
  procsFiles(): string[];
  /** close cloneFd once the container is started */
  release(): void;
}

/** mkdir each ancestor of the cgroup (minictr/, minictr-oci/default/ ...) in a hierarchy and
 * make it usable: v2 controllers enabled for its children, v1 cpuset given CPUs and memory
 * nodes (an empty cpuset refuses processes) and cgroup.clone_children (its children are born
 * with them). The owned tops (minictr/, minictr-oci/) are shared by every container and kept
 * between runs: on a warm host this is one stat per hierarchy (and one read for cpuset). */
function ensureParents(root: string, name: string, kind: 'v2' | Controller[], layout: CgroupLayout, explain: Explainer): void {
  const parts = name.split('/');
  for (let i = 1; i < parts.length; i++) ensureParent(root, parts.slice(0, i).join('/'), kind, layout, explain);
}

function ensureParent(root: string, rel: string, kind: 'v2' | Controller[], layout: CgroupLayout, explain: Explainer): void {
  const parent = join(root, rel);
  if (!existsSync(parent)) {
    explain.step(`create minictr's parent cgroup ${rel}/ in ${root}`, `mkdir ${parent}`);
    try {
      mkdirSync(parent);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if (kind === 'v2') {
    if (layout.mode !== 'unified') return; // hybrid: the cgroup2 tree carries no controllers
    const offered = v2DelegatedControllers(layout);
    const enabled = new Set(readWords(join(parent, 'cgroup.subtree_control')));
    const missing = V2_CONTROLLERS.filter((c) => offered.has(c) && !enabled.has(c));
    if (missing.length) {
      writeCgroupFile(join(parent, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '), explain, 'enable the controllers for the containers below minictr/');
    }
  } else if (kind.includes('cpuset') && readCgroupFile(join(parent, 'cgroup.clone_children')) !== '1') {
    // once per parent: its CPUs and memory nodes, then clone_children so that every cgroup
    // made below it starts with them (no copy per container)
    copyCpuset(join(parent, '..'), parent, explain);
    writeCgroupFile(join(parent, 'cgroup.clone_children'), '1', explain, 'v1 cpuset: new cgroups below start with this one\'s CPUs and memory nodes');
  }
}

/** v1 cpuset: a new cgroup starts with no CPUs and no memory nodes; give it its parent's. */
function copyCpuset(from: string, to: string, explain: Explainer): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems'] as const) {
    if (readCgroupFile(join(to, file))) continue;
    const v = readCgroupFile(join(from, file)) ?? '';
    writeCgroupFile(join(to, file), v, explain, `v1 cpuset: give the new cgroup its parent's ${file === 'cpuset.cpus' ? 'CPUs' : 'memory nodes'} (it starts with none)`);
  }
}

function hierarchies(p: CgroupPaths): { root: string; kind: 'v2' | Controller[] }[] {
  const out: { root: string; kind: 'v2' | Controller[] }[] = [];
  if (p.v2) out.push({ root: p.layout.v2Root!, kind: 'v2' });
  if (p.layout.mode !== 'unified') for (const [mount, ctrls] of groupByMount(p.layout)) out.push({ root: mount, kind: ctrls });
  return out;
}

function groupByMount(layout: CgroupLayout): Map<string, Controller[]> {
  const out = new Map<string, Controller[]>();
  for (const [c, h] of layout.v1) out.set(h.mountPoint, [...(out.get(h.mountPoint) ?? []), c]);
  return out;
}

function makeDirs(p: CgroupPaths, limits: CgroupLimits | undefined, explain: Explainer): void {
  for (const { root, kind } of hierarchies(p)) {
    const dir = join(root, p.name);
    for (let attempt = 0; ; attempt++) {
      try {
        // another minictr may remove the shared parent (minictr/) the moment it is empty, even
        // between our mkdir of it and our writes to it (v1 cpuset): then all is made again
        ensureParents(root, p.name, kind, p.layout, explain);
        explain.step(`create the container's cgroup${kind === 'v2' ? (p.layout.mode === 'unified' ? '' : ' (cgroup2 tree, for clone3 and cgroup.kill)') : ` (v1 ${kind.join(',')})`}`, `mkdir ${dir}`);
        mkdirSync(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') break;
        // another minictr removed the empty parent just now (ENOENT), or is removing it while
        // we write to it (ENODEV: the kernel has cut the dir's files off): make it again
        if ((code === 'ENOENT' || code === 'ENODEV') && attempt < 20) continue;
        throw err;
      }
    }
    // born with its parent's CPUs and memory nodes (clone_children, ensureParent)
    if (kind !== 'v2' && kind.includes('cpuset') && limits?.cpusetCpus) writeCgroupFile(join(dir, 'cpuset.cpus'), limits.cpusetCpus, explain, 'pin to these CPUs (--cpuset-cpus)');
  }
}

export interface CreateOptions {
  limits?: CgroupLimits;
  /** a leftover cgroup of this name with processes in it: kill them (minictr run's own
   * container, restarted) instead of refusing (an engine's name that is in use) */
  killLeftovers?: boolean;
}

export function createCgroup(name: string, explain: Explainer, opts: CreateOptions = {}): Cgroup {
  const p = cgroupPaths(name);
  const limits = opts.limits;
  // a cgroup left by an earlier run: start again from a fresh one (its counters, e.g.
  // memory.events oom_kill, belong to the old run)
  if (p.dirs.some((d) => existsSync(d))) {
    if (!opts.killLeftovers && populated(p)) throw new CgroupError(`cgroup ${name} is in use by other processes`);
    removeCgroupDirsSync(p, { ifEmpty: false, explain: silent });
  }
  let cloneFd = -1;
  try {
    makeDirs(p, limits, explain);
    if (limits) applyLimits(p, limits, explain, { initial: true });
    if (p.v2) cloneFd = openSync(p.v2, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    removeCgroupDirsSync(p, { ifEmpty: false, explain: silent });
    throw err;
  }
  return {
    mode: p.layout.mode,
    v2Path: p.v2,
    paths: p,
    get cloneFd() {
      return cloneFd;
    },
    childTasksFiles: v1Dirs(p).map((d) => join(d, 'tasks')),
    attach(pid, clonedInto, childJoinsV1) {
      if (p.v2 && !clonedInto) writeCgroupFile(join(p.v2, 'cgroup.procs'), String(pid), explain, 'move the process into its cgroup');
      if (!childJoinsV1) for (const d of v1Dirs(p)) writeCgroupFile(join(d, 'cgroup.procs'), String(pid), explain, 'move the process into its v1 cgroup (before it is released)');
    },
    procsFiles() {
      return p.dirs.map((d) => join(d, 'cgroup.procs'));
    },
    release() {
      if (cloneFd >= 0) closeSync(cloneFd);
      cloneFd = -1;
    },
  };
}

/** Kill every process in the container's cgroup: cgroup.kill where the kernel has it (5.14+),
 * else freeze, SIGKILL each pid, thaw (so a fork bomb cannot outrun the kill loop). A v1
 * freezer is thawed in any case: frozen tasks cannot die. */
export function killCgroupProcesses(p: CgroupPaths, explain: Explainer = silent): void {
  const freezer = p.layout.mode !== 'unified' ? p.byController.get('freezer') : undefined;
  const frozenV1 = freezer && existsSync(freezer) && readCgroupFile(join(freezer, 'freezer.state')) !== 'THAWED';
  if (p.v2 && existsSync(join(p.v2, 'cgroup.kill'))) {
    writeCgroupFile(join(p.v2, 'cgroup.kill'), '1', explain, 'kill every process in the cgroup');
  } else {
    if (freezer && existsSync(freezer) && !frozenV1) tryWrite(join(freezer, 'freezer.state'), 'FROZEN');
    for (const d of p.dirs) {
      for (const pid of (readCgroupFile(join(d, 'cgroup.procs')) ?? '').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  }
  if (freezer && existsSync(freezer)) tryWrite(join(freezer, 'freezer.state'), 'THAWED');
}

function tryWrite(file: string, value: string): void {
  try {
    writeCgroupFile(file, value, silent, '');
  } catch {
    /* gone meanwhile */
  }
}

function populated(p: CgroupPaths): boolean {
  return p.dirs.some((d) => (readCgroupFile(join(d, 'cgroup.procs')) ?? '').trim() !== '');
}

/** rmdir the container's cgroup in every hierarchy, then the ancestors its name made below
 * the owned top where they are left empty (minictr-oci/<parent>/); the tops themselves
 * (minictr/, minictr-oci/) are shared and kept for the next container. ifEmpty: leave a
 * cgroup that still has processes (it may belong to a container of another MINICTR_ROOT). */
function removeCgroupDirsSync(p: CgroupPaths, opts: { ifEmpty: boolean; explain: Explainer }): boolean {
  if (opts.ifEmpty && populated(p)) return false;
  for (let attempt = 0; ; attempt++) {
    let busy = false;
    for (const d of p.dirs) {
      if (!existsSync(d)) continue;
      try {
        opts.explain.step('remove the container\'s cgroup', `rmdir ${d}`);
        rmdirSync(d);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue;
        if (code !== 'EBUSY') throw err;
        busy = true;
      }
    }
    if (!busy) break;
    if (opts.ifEmpty) return false;
    if (attempt >= 100) throw new CgroupError(`cannot remove cgroup ${p.dirs.join(', ')}: processes are still in it after SIGKILL`);
    killCgroupProcesses(p);
    sleepSync(20);
  }
  // then the ancestors this name made, from the closest up to (not including) the owned top
  const depth = p.name.split('/').length;
  for (const d of p.dirs) {
    let parent = d;
    for (let i = 1; i < depth - 1; i++) {
      parent = join(parent, '..');
      try {
        rmdirSync(parent);
      } catch {
        break; /* still in use by another cgroup (or not there) */
      }
    }
  }
  return true;
}

export interface RemoveOptions {
  /** only remove a cgroup without processes (system prune: it may be another root's) */
  ifEmpty?: boolean;
  /** only one made at least this long ago (a container being started has an empty one for a moment) */
  olderThanMs?: number;
  explain?: Explainer;
}

/** Remove a cgroup; processes still in it are killed first (unless ifEmpty). */
export async function removeCgroup(name: string, opts: RemoveOptions = {}): Promise<boolean> {
  const p = cgroupPaths(name);
  if (opts.olderThanMs !== undefined && p.dirs.some((d) => young(d, opts.olderThanMs!))) return false;
  return removeCgroupDirsSync(p, { ifEmpty: opts.ifEmpty ?? false, explain: opts.explain ?? silent });
}

function young(dir: string, ms: number): boolean {
  try {
    return Date.now() - statSync(dir).mtimeMs < ms;
  } catch {
    return false;
  }
}

/** How a new process (exec) joins a running cgroup: the forked helper writes its
 * own pid to each cgroup.procs file before it joins the container's cgroup namespace (once
 * inside, a cgroup2 mounted with nsdelegate refuses moves from outside the namespace:
 * clone3(CLONE_INTO_CGROUP) there fails with ENOENT), and its children inherit the cgroup. */
export function joinCgroup(name: string): { cloneFd: number; procsFiles: string[] } {
  const p = cgroupPaths(name);
  return { cloneFd: -1, procsFiles: p.dirs.filter((d) => existsSync(d)).map((d) => join(d, 'cgroup.procs')) };
}

/** Names of the cgroups right below top (e.g. minictr/<id>) on this host, in any hierarchy. */
export function listCgroups(top: string = CGROUP_PARENT): string[] {
  const layout = cgroupLayout();
  const roots = [...new Set([...(layout.v2Root ? [layout.v2Root] : []), ...[...layout.v1.values()].map((h) => h.mountPoint)])];
  const ids = new Set<string>();
  for (const r of roots) {
    try {
      for (const e of readdirSync(join(r, top), { withFileTypes: true })) if (e.isDirectory()) ids.add(`${top}/${e.name}`);
    } catch {
      /* no minictr/ there */
    }
  }
  return [...ids];
}

/** Did the kernel's OOM killer kill a process of the container? (memory.events on v2,
 * memory.oom_control on v1: oom_kill counts kills in this cgroup). undefined: can't tell. */
export function oomKilled(name: string): boolean | undefined {
  const p = cgroupPaths(name);
  const dir = p.byController.get('memory');
  if (!dir || !controllerAvailable('memory', p.layout)) return undefined;
  const file = p.layout.mode === 'unified' ? 'memory.events' : 'memory.oom_control';
  const n = readKeyed(join(dir, file)).get('oom_kill');
  return n === undefined ? undefined : n > 0;
}

/** Every process in the cgroup (the union over its hierarchies), sorted. */
export function cgroupPids(name: string): number[] {
  const pids = new Set<number>();
  for (const d of cgroupPaths(name).dirs) {
    for (const line of (readCgroupFile(join(d, 'cgroup.procs')) ?? '').split('\n')) if (line) pids.add(Number(line));
  }
  return [...pids].sort((a, b) => a - b);
}
