/**
 * `run --step` (class mode): before each kernel step of a container's start, say which step
 * comes next, the container's host pid, and two or three commands that show its state from
 * another terminal; then wait for Enter (Ctrl-C: an InterruptedError, and the start undoes
 * what it made). The parent's own steps (cgroup, clone, id maps, the veth) pause here
 * directly; the child's steps pause in C (native/src/minictr.h, enum ctr_pause), whose names
 * start() and resume() report (launch.ts).
 */
import { cgroupPaths } from '../cgroup/paths.js';
import type { PausePoint } from '../native/index.js';
import { waitForEnter } from '../util/prompt.js';

/** Steps of the parent, in their order around the child's PAUSE_POINTS. */
export type HostPausePoint = 'cgroup' | 'clone' | 'idmap' | 'veth';
export type StepName = HostPausePoint | PausePoint;

interface StepText {
  title: string;
  /** commands to type in another terminal; pid: the container's first process, once cloned */
  look(at: { pid?: number; cgroupDir: string }): string[];
}

const parentDir = (dir: string): string => dir.slice(0, dir.lastIndexOf('/') + 1);

const STEPS: Record<StepName, StepText> = {
  cgroup: {
    title: "make the container's cgroup and write its limits",
    look: ({ cgroupDir }) => [`ls ${parentDir(cgroupDir)}`],
  },
  clone: {
    title: 'clone the first process into new namespaces (it waits there for the parent)',
    look: ({ cgroupDir }) => [`ls ${parentDir(cgroupDir)}`, 'ls -l /proc/self/ns    # the host\'s namespaces, to compare later'],
  },
  idmap: {
    title: "map the user namespace's ids to the host's",
    look: ({ pid }) => [`cat /proc/${pid}/uid_map    # empty: nobody is mapped yet`, `ls -l /proc/${pid}/ns`],
  },
  veth: {
    title: 'cable it to its network: a veth pair, one end in its network namespace',
    look: ({ pid }) => [`nsenter -t ${pid} -n ip link    # only lo, down`, `ls -l /proc/${pid}/ns`, `cat /proc/${pid}/cgroup`],
  },
  rootfs: {
    title: "build its root filesystem: the image's overlay, then /proc, /dev, /sys in it",
    look: ({ pid }) => [`ls -l /proc/${pid}/ns    # new inode numbers: its own namespaces`, `cat /proc/${pid}/cgroup`, `grep -c . /proc/${pid}/mountinfo    # a copy of the host's mounts`],
  },
  pivot_root: {
    title: 'the overlay becomes its / (pivot_root), the host\'s / is detached',
    look: ({ pid }) => [`grep overlay /proc/${pid}/mountinfo`, `ls /proc/${pid}/root/    # still the host's /`],
  },
  hostname: {
    title: 'set its hostname (UTS namespace)',
    look: ({ pid }) => [`ls /proc/${pid}/root/    # now the image's /`, `nsenter -t ${pid} -u hostname    # still the host's name`, `cat /proc/${pid}/mountinfo`],
  },
  network: {
    title: 'bring its network up: lo, and eth0 with its address and route',
    look: ({ pid }) => [`nsenter -t ${pid} -n ip addr`, `nsenter -t ${pid} -u hostname`],
  },
  creds: {
    title: 'resource limits, then drop capabilities and become its user',
    look: ({ pid }) => [`grep Cap /proc/${pid}/status    # every capability, still`, `grep -E 'Uid|Gid' /proc/${pid}/status`],
  },
  exec: {
    title: 'load the seccomp filter and exec the command (minictr-init, PID 1)',
    look: ({ pid }) => [`grep -E 'Cap|NoNewPrivs|Seccomp' /proc/${pid}/status`, `cat /proc/${pid}/cmdline | tr '\\0' ' '    # not the command yet`],
  },
};

export interface StepPauser {
  /** Announce the next step and wait for Enter. pid: the container's host pid, once cloned. */
  before(step: StepName, pid?: number): Promise<void>;
}

/** The lines a pause prints: which step, the pid, what to look at. */
export function pauseText(step: string, at: { pid?: number; cgroupDir: string }): string {
  const s = STEPS[step as StepName];
  const who = at.pid ? `host pid ${at.pid}` : 'no process yet';
  const head = `\n[step] ${step}: ${s?.title ?? 'a step of the container\'s start'} (${who})`;
  const look = s?.look(at) ?? (at.pid ? [`ls -l /proc/${at.pid}/ns`] : []);
  return `${head}\n  look from another terminal:\n${look.map((l) => `    ${l}\n`).join('')}`;
}

export function createStepPauser(cgroupName: string, write: (s: string) => void, prompt: (title: string) => Promise<void> = waitForEnter): StepPauser {
  const paths = cgroupPaths(cgroupName);
  const cgroupDir = paths.byController.get('pids') ?? paths.v2 ?? paths.dirs[0]!;
  return {
    async before(step, pid) {
      write(pauseText(step, { pid, cgroupDir }));
      await prompt(step);
    },
  };
}
