/**
 * How one minictr-oci call ends, whichever entry parsed it (oci-main.ts with commander,
 * oci-fast.ts for the short verbs): an error is one line on stderr and, with --log, a line
 * in the log; MINICTR_OCI_TRACE=FILE records the call (argv, time, status, duration); then
 * the process exits with the status.
 */
import { appendFileSync, existsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MinictrError } from '../../errors.js';
import { ociRoot } from '../../oci/store.js';
import { monotonicMs } from '../../util/clock.js';
import { logLine, setLog } from './context.js';

const t0 = monotonicMs();

/** A MinictrError's message and status; anything else is an internal error (status 1). */
export function reportError(err: unknown): number {
  const msg = err instanceof MinictrError ? err.message : `internal error: ${err instanceof Error ? (process.env.MINICTR_DEBUG ? err.stack : err.message) : String(err)}`;
  writeSync(2, `minictr-oci: ${msg}\n`);
  logLine('error', msg);
  return err instanceof MinictrError ? err.exitCode : 1;
}

/** A global flag's value, read before parsing: errors of the parse itself go to --log too. */
export function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i > 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** MINICTR_OCI_TRACE=FILE, or a file named trace.jsonl in the state root: engines scrub the
 * environment (conmon keeps almost nothing), so `touch ROOT/trace.jsonl` works for them. */
function traceFile(argv: string[]): string | undefined {
  if (process.env.MINICTR_OCI_TRACE) return process.env.MINICTR_OCI_TRACE;
  const file = join(ociRoot(flag(argv, '--root')), 'trace.jsonl');
  return existsSync(file) ? file : undefined;
}

function trace(argv: string[], code: number, started: number): void {
  const file = traceFile(argv);
  if (!file) return;
  const record = { time: new Date(started).toISOString(), argv: argv.slice(1), exitCode: code, durationMs: Math.round((monotonicMs() - t0) * 10) / 10, pid: process.pid };
  try {
    appendFileSync(file, `${JSON.stringify(record)}\n`);
  } catch {
    /* tracing must never break the call */
  }
}

/** Run one call (body parses argv and does the verb), report its error with report, trace
 * it, exit with its status. */
export async function runOciCall(argv: string[], body: () => Promise<unknown>, report: (err: unknown) => number = reportError): Promise<never> {
  const started = Date.now();
  setLog(flag(argv, '--log'), flag(argv, '--log-format'));
  let code: number;
  try {
    await body();
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    code = report(err);
  }
  trace(argv, code, started);
  process.exit(code);
}
