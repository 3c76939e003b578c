/**
 * One cgroup per container, always below a minictr-owned parent (`minictr/<id>`); minictr
 * never writes into cgroups it did not make. On a cgroup2 hierarchy the container's first
 * process is cloned straight into it (clone3 CLONE_INTO_CGROUP), so it never runs outside.
 */
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Explainer } from '../util/explain.js';
import { cgroup2Root, detectCgroupMode, type CgroupMode } from './mode.js';

export const CGROUP_PARENT = 'minictr';

export interface ContainerCgroup {
  readonly mode: CgroupMode;
  /** the container's cgroup2 directory, if the host has a cgroup2 hierarchy */
  readonly v2Path?: string;
  /** open fd of v2Path for clone3(CLONE_INTO_CGROUP), or -1 */
  readonly cloneFd: number;
  /** place a process (when clone3 could not); no-op for what clone3 already did */
  attach(pid: number, clonedInto: boolean): void;
  /** cgroup.procs files a process must be written to, to join (for `enter` without clone3) */
  procsFiles(): string[];
  /** close cloneFd once the container is started */
  release(): void;
}

function v2PathFor(id: string): string | undefined {
  const root = cgroup2Root();
  return root ? join(root, CGROUP_PARENT, id) : undefined;
}

export function createContainerCgroup(id: string, explain: Explainer): ContainerCgroup {
  const mode = detectCgroupMode();
  const v2Path = v2PathFor(id);
  let cloneFd = -1;
  if (v2Path) {
    explain.step(`create the container's cgroup (${mode} host)`, `mkdir -p ${v2Path}`);
    mkdirSync(v2Path, { recursive: true });
    cloneFd = openSync(v2Path, constants.O_RDONLY | constants.O_DIRECTORY);
  }
  return {
    mode,
    v2Path,
    get cloneFd() {
      return cloneFd;
    },
    attach(pid, clonedInto) {
      if (v2Path && !clonedInto) {
        explain.step('move the process into its cgroup', `echo ${pid} > ${v2Path}/cgroup.procs`);
        writeFileSync(join(v2Path, 'cgroup.procs'), String(pid));
      }
    },
    procsFiles() {
      return v2Path ? [join(v2Path, 'cgroup.procs')] : [];
    },
    release() {
      if (cloneFd >= 0) closeSync(cloneFd);
      cloneFd = -1;
    },
  };
}

/** Remove a container's cgroup; processes still in it are killed first. */
export async function removeContainerCgroup(id: string): Promise<void> {
  const v2Path = v2PathFor(id);
  if (!v2Path || !existsSync(v2Path)) return;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      rmdirSync(v2Path);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err;
      killAll(v2Path);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  rmdirSync(v2Path);
}

function killAll(path: string): void {
  if (existsSync(join(path, 'cgroup.kill'))) {
    writeFileSync(join(path, 'cgroup.kill'), '1');
    return;
  }
  for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** How a new process (exec) joins a running container's cgroup: clone3 into the cgroup2 dir
 * (fd, close it after use), and/or the cgroup.procs files to write its pid to (v1). */
export function joinContainerCgroup(id: string): { cloneFd: number; procsFiles: string[] } {
  const v2Path = v2PathFor(id);
  let cloneFd = -1;
  if (v2Path && existsSync(v2Path)) cloneFd = openSync(v2Path, constants.O_RDONLY | constants.O_DIRECTORY);
  return { cloneFd, procsFiles: [] };
}

/** Ids of every container cgroup minictr has on this host (for prune). */
export function listContainerCgroupIds(): string[] {
  const root = cgroup2Root();
  if (!root) return [];
  try {
    return readdirSync(join(root, CGROUP_PARENT), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}
