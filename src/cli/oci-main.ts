/**
 * `minictr-oci`: the OCI runtime command line, as runc has it, for engines (containerd's
 * shim, conmon for podman, buildah) and for people: `minictr-oci [global flags] VERB [flags]
 * ID`. One thin file per verb in ./oci/; the work is in src/oci/. Errors are one line on
 * stderr and, with --log, a line in the log in --log-format (engines read the last error
 * from there). MINICTR_OCI_TRACE=FILE records every call: argv, time, status, duration.
 */
import { appendFileSync, existsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ociRoot } from '../oci/store.js';
import { Command, CommanderError } from 'commander';
import { MinictrError } from '../errors.js';
import { OCI_VERSION } from '../spec/config.js';
import { logLine, setLog, type RawGlobals } from './oci/context.js';
import { ociVerbs } from './oci/index.js';
import { monotonicMs } from '../util/clock.js';

export const VERSION = '0.1.0';


export function buildOciProgram(): Command {
  const program = new Command('minictr-oci')
    .description('minictr as an OCI runtime: the runc command line, for containerd, podman, buildah and people')
    .option('--root <dir>', 'where container state lives (default $MINICTR_OCI_ROOT or /run/minictr-oci)')
    .option('--log <file>', 'append errors (and --debug lines) to this file')
    .option('--log-format <format>', 'text or json', 'text')
    .option('--debug', 'log every kernel step, as the explain output of minictr run', false)
    .option('--systemd-cgroup', 'refused: minictr-oci manages cgroups itself (cgroupfs)')
    .option('--rootless <value>', 'only false: minictr-oci runs as root')
    .option('--criu <path>', 'accepted for compatibility: checkpointing is not supported')
    .version(`minictr-oci version ${VERSION}\nspec: ${OCI_VERSION}`, '-v, --version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => writeSync(2, s.replace(/^error: /, 'minictr-oci: ')) });
  program.hook('preAction', (_cmd, action) => {
    const raw = program.opts<RawGlobals>();
    if (raw.systemdCgroup) throw new MinictrError('--systemd-cgroup is not supported: minictr-oci manages cgroups through cgroupfs (use the cgroupfs cgroup manager)');
    if (raw.rootless !== undefined && raw.rootless !== 'false') throw new MinictrError('--rootless: minictr-oci runs as root only');
    if (raw.logFormat !== 'text' && raw.logFormat !== 'json') throw new MinictrError(`invalid --log-format "${raw.logFormat}": text or json`);
    setLog(raw.log, raw.logFormat);
    void action;
  });
  for (const register of ociVerbs) register(program);
  return program;
}

export function reportOciError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander printed it on stderr already; engines read the log
    if (err.exitCode !== 0) logLine('error', err.message.replace(/^error: /, ''));
    return err.exitCode === 0 ? 0 : 2;
  }
  const msg = err instanceof MinictrError ? err.message : `internal error: ${err instanceof Error ? (process.env.MINICTR_DEBUG ? err.stack : err.message) : String(err)}`;
  writeSync(2, `minictr-oci: ${msg}\n`);
  logLine('error', msg);
  return err instanceof MinictrError ? err.exitCode : 1;
}

/** MINICTR_OCI_TRACE=FILE, or a file named trace.jsonl in the state root: engines scrub the
 * environment (conmon keeps almost nothing), so `touch ROOT/trace.jsonl` works for them. */
function traceFile(argv: string[]): string | undefined {
  if (process.env.MINICTR_OCI_TRACE) return process.env.MINICTR_OCI_TRACE;
  const root = ociRoot(flag(argv, '--root'));
  const file = join(root, 'trace.jsonl');
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

const t0 = monotonicMs();

/** A global flag's value, read before parsing: errors of the parse itself go to --log too. */
function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i > 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

export async function main(argv: string[]): Promise<void> {
  const started = Date.now();
  setLog(flag(argv, '--log'), flag(argv, '--log-format'));
  let code: number;
  try {
    await buildOciProgram().parseAsync(argv);
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    code = reportOciError(err);
  }
  trace(argv, code, started);
  process.exit(code);
}
