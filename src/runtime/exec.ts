/**
 * `minictr exec`: run another process in a running container. The C addon forks, joins the
 * container's namespaces with setns() in that child, and forks again so the command is inside
 * the PID namespace; it joins the container's cgroup and gets the same capabilities and
 * no_new_privs as the container's own processes.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { ConflictError } from '../errors.js';
import { joinCgroup } from '../cgroup/cgroup.js';
import { CLONE, initBinaryPath, native } from '../native/index.js';
import type { OciProcess, OciSpec } from '../spec/config.js';
import { createExplainer } from '../util/explain.js';
import { lastCap } from './launch.js';
import { toEnterRecord } from './native-spec.js';
import { parseEnv, parseWorkdir } from './options.js';
import { containerEnv } from './spec.js';
import { ContainerStartError } from './start.js';
import { cgroupName, findContainer, isRunning, specFile } from './store.js';
import { attachTerminal, terminalSize } from './terminal.js';
import { forwardSignals } from './signals.js';
import { resolveUser, supplementaryGroups } from './users.js';

export interface ExecOptions {
  interactive: boolean;
  tty: boolean;
  env: string[];
  workdir?: string;
  user?: string;
  explain: boolean;
  /** the command's stdout and stderr (default: ours); stdin is /dev/null unless -i/-t */
  output?: number;
  /** kill the command after this long (a health check's timeout); it then returns -1 */
  timeoutMs?: number;
}

const ALL_NAMESPACES = CLONE.NEWCGROUP | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNET | CLONE.NEWPID | CLONE.NEWNS;

export async function execInContainer(ref: string, command: string[], opts: ExecOptions): Promise<number> {
  const userEnv = parseEnv(opts.env);
  const workdir = parseWorkdir(opts.workdir);
  const c = findContainer(ref);
  if (!isRunning(c)) throw new ConflictError(`container ${c.config.name} is not running`);
  const pid = c.state.pid!;
  const { resolveImage } = await import('../image/resolve.js');
  const image = await resolveImage(c.config.imageId);
  const userSpec = opts.user ?? c.config.user;
  const root = { root: `/proc/${pid}/root` };
  const user = userSpec ? resolveUser(userSpec, root) : undefined;
  const groups = user ? supplementaryGroups(userSpec, c.config.security?.groupAdd ?? [], root) : [];
  const explain = createExplainer(opts.explain, (s) => writeSync(2, s));
  explain.note(`exec in container ${c.config.name}: its namespaces are those of PID ${pid}`);

  // the new process is the container's first one with another command: same capabilities,
  // no_new_privs, rlimits, supplementary groups, keyring and seccomp filter, from the spec it
  // was started with
  const spec = JSON.parse(readFileSync(specFile(c.dir), 'utf8')) as OciSpec;
  const base = spec.process!;
  const process: OciProcess = {
    ...base,
    terminal: opts.tty,
    args: command,
    env: containerEnv(c.config.hostname, opts.tty, image.config.Env ?? [], [...c.config.env, ...userEnv]),
    cwd: workdir ?? c.config.cwd,
    ...(user ? { user: { uid: user.uid, gid: user.gid, ...(groups.length ? { additionalGids: groups } : {}) } } : {}),
  };
  let seccomp;
  if (spec.linux?.seccomp) {
    const { compileSeccomp, describeSeccomp } = await import('../security/seccomp.js');
    seccomp = compileSeccomp(spec.linux.seccomp);
    explain.note(`${describeSeccomp(seccomp)}: the container's filter, loaded again for this process`);
  }
  const cgroup = joinCgroup(cgroupName(c.config.id));
  const devNull = opts.interactive || opts.tty ? -1 : openSync('/dev/null', 'r');
  const addon = native();
  let entered;
  try {
    entered = addon.enter(toEnterRecord(process, {
      pid,
      // --userns=remap: its user namespace first, which owns the others
      nsFlags: ALL_NAMESPACES | (c.config.userns ? CLONE.NEWUSER : 0),
      stdio: [devNull >= 0 ? devNull : 0, opts.output ?? 1, opts.output ?? 2],
      detach: false,
      cgroupFd: cgroup.cloneFd,
      cgroupProcs: cgroup.procsFiles,
      explainFd: opts.explain ? 2 : -1,
      initPath: initBinaryPath(),
      keyring: c.config.id,
      seccomp: seccomp ? { filter: seccomp.filter, flags: seccomp.flags } : undefined,
      lastCap: lastCap(),
    }));
  } finally {
    if (cgroup.cloneFd >= 0) closeSync(cgroup.cloneFd);
    if (devNull >= 0) closeSync(devNull);
  }
  const exited = addon.wait(entered.pid);
  if (entered.error) {
    await exited;
    throw ContainerStartError.fromStep({ step: entered.errorStep ?? '', errno: entered.errno ?? 0, message: entered.error });
  }
  const target = entered.innerPid > 0 ? entered.innerPid : entered.pid;
  const stopForwarding = forwardSignals(target);
  let timedOut = false;
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    try {
      globalThis.process.kill(target, 'SIGKILL'); // `process` is the OCI process here
    } catch {
      /* exited just now */
    }
  }, opts.timeoutMs);
  const terminal = opts.tty && entered.ptyMaster >= 0 ? attachTerminal(entered.ptyMaster, opts.interactive) : undefined;
  if (terminal) {
    const size = terminalSize();
    if (size) addon.setWinsize(entered.ptyMaster, size.rows, size.cols);
  }
  try {
    const result = await exited;
    if (terminal) await Promise.race([terminal.drained, new Promise((r) => setTimeout(r, 500))]);
    return timedOut ? -1 : result.exitCode;
  } finally {
    if (timer) clearTimeout(timer);
    terminal?.restore();
    stopForwarding();
  }
}
