/**
 * What every minictr-oci verb gets from the global flags: the state root, the log, and
 * --debug's explain output (each kernel step as a debug line in the log).
 */
import { appendFileSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { createExplainer, type Explainer } from '../../util/explain.js';
import { ociRoot } from '../../oci/store.js';

export interface RawGlobals {
  root?: string;
  log?: string;
  logFormat?: string;
  debug?: boolean;
  systemdCgroup?: boolean;
  rootless?: string;
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
  const raw = top.opts<RawGlobals>();
  const toStderr = !!process.env.MINICTR_OCI_EXPLAIN;
  return {
    root: ociRoot(raw.root),
    explain: createExplainer(!!raw.debug || toStderr, (s) => {
      if (toStderr) writeSync(2, s);
      if (raw.debug) for (const line of s.trimEnd().split('\n')) logLine('debug', line.trim());
    }),
  };
}
