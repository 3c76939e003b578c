/**
 * Run the real CLI (bin/minictr, built dist/) as a subprocess, with state moved to the
 * per-run temp dirs made by global-setup (MINICTR_ROOT / MINICTR_RUN are inherited).
 */
import { execa, type Options, type Result } from 'execa';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const BIN = fileURLToPath(new URL('../../bin/minictr', import.meta.url));

export type CliResult = Result<{ reject: false }>;

/** A CLI call that hangs is killed after CLI_TIMEOUT_MS, so it fails its test with a non-zero
 * status and leaves no process behind (a test timeout alone would leave it running). */
const CLI_TIMEOUT_MS = 150_000;

export async function minictr(args: string[], opts: Options = {}): Promise<CliResult> {
  const stdin = opts.input !== undefined || opts.inputFile !== undefined ? {} : { stdin: 'ignore' as const };
  return (await execa(BIN, args, { reject: false, timeout: CLI_TIMEOUT_MS, killSignal: 'SIGKILL', ...stdin, ...opts } as Options)) as unknown as CliResult;
}

/** A name unique to this run, for kernel objects and containers (max 15 chars for links). */
export function uniq(prefix: string, len = 6): string {
  return `${prefix}${randomBytes(8).toString('hex').slice(0, len)}`;
}
