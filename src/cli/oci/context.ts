/**
 * What every minictr-oci verb gets from the global flags: the state root, the log, and
 * --debug's explain output (each kernel step as a debug line in the log).
 */
import { appendFileSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { MinictrError } from '../../errors.js';
import { createExplainer, type Explainer } from '../../util/explain.js';
import { ociRoot } from '../../oci/store.js';

export interface RawGlobals {
  root?: string;
  log?: string;
  logFormat?: string;
  debug?: boolean;
  systemdCgroup?: boolean;
  rootless?: string;
  criu?: string;
}

/** runc's global flags, as minictr-oci takes them: what commander registers (oci-main.ts) and
 * what the short verbs' parser (fast-argv.ts) accepts without it. `value` is the
 * argument's name for a flag that takes one. */
export const OCI_GLOBAL_FLAGS: readonly { flag: string; key: keyof RawGlobals; value?: string; help: string; default?: string | boolean }[] = [
  { flag: '--root', key: 'root', value: 'dir', help: 'where container state lives (default $MINICTR_OCI_ROOT or /run/minictr-oci)' },
  { flag: '--log', key: 'log', value: 'file', help: 'append errors (and --debug lines) to this file' },
  { flag: '--log-format', key: 'logFormat', value: 'format', help: 'text or json', default: 'text' },
  { flag: '--debug', key: 'debug', help: 'log every kernel step, as the explain output of minictr run', default: false },
  { flag: '--systemd-cgroup', key: 'systemdCgroup', help: 'refused: minictr-oci manages cgroups itself (cgroupfs)' },
  { flag: '--rootless', key: 'rootless', value: 'value', help: 'only false: minictr-oci runs as root' },
  { flag: '--criu', key: 'criu', value: 'path', help: 'accepted for compatibility: checkpointing is not supported' },
];

/** The global flags' refusals, before any verb runs; then the log they name is the log. */
export function checkGlobals(raw: RawGlobals): void {
  if (raw.systemdCgroup) throw new MinictrError('--systemd-cgroup is not supported: minictr-oci manages cgroups through cgroupfs (use the cgroupfs cgroup manager)');
  if (raw.rootless !== undefined && raw.rootless !== 'false') throw new MinictrError('--rootless: minictr-oci runs as root only');
  if (raw.logFormat !== 'text' && raw.logFormat !== 'json') throw new MinictrError(`invalid --log-format "${raw.logFormat}": text or json`);
  setLog(raw.log, raw.logFormat);
}

export interface OciGlobals {
  root: string;
  explain: Explainer;
}

let logTarget: { file?: string; format: string } = { format: 'text' };

export function setLog(file: string | undefined, format: string | undefined): void {
  logTarget = { file, format: format ?? 'text' };
}

/** A line in --log: {"level","msg","time"} with --log-format json, logrus's text otherwise. */
export function logLine(level: 'error' | 'warning' | 'debug', msg: string): void {
  if (!logTarget.file) return;
  const time = new Date().toISOString();
  const line = logTarget.format === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    appendFileSync(logTarget.file, `${line}\n`);
  } catch {
    /* a log we cannot write must not hide the error itself */
  }
}

export function ociGlobals(cmd: Command): OciGlobals {
  let top = cmd;
  while (top.parent) top = top.parent;
  return globalsFrom(top.opts<RawGlobals>());
}

/** The verbs' view of the global flags, however they were parsed. */
export function globalsFrom(raw: RawGlobals): OciGlobals {
  const toStderr = !!process.env.MINICTR_OCI_EXPLAIN;
  return {
    root: ociRoot(raw.root),
    explain: createExplainer(!!raw.debug || toStderr, (s) => {
      if (toStderr) writeSync(2, s);
      if (raw.debug) for (const line of s.trimEnd().split('\n')) logLine('debug', line.trim());
    }),
  };
}
