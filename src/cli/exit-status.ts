/**
 * How one `minictr` command line ends, whichever way it was parsed (program.ts with
 * commander, main-run.ts's parse of run's common command line without it): an error is one
 * line on stderr, `run`'s own failures are 125, and the process exits with the status. No
 * import of commander here: the run bundle's fast path loads none of it.
 */
import { writeSync } from 'node:fs';
import { InterruptedError, MinictrError } from '../errors.js';
import { checkStateRoots } from '../paths.js';
import { profileMark } from '../util/profile.js';

/** The status of an error that reached the top, after saying it (commander's own errors are
 * program.ts's: it printed them already). */
export function reportError(err: unknown): number {
  // the reader went away (`minictr view --help | head`): as a shell tool, stop quietly with
  // SIGPIPE's status instead of reporting an error nobody can read
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return 141;
  if (err instanceof MinictrError) {
    writeSync(2, `minictr: ${err.message}\n`);
    return err.exitCode;
  }
  // a bug, or a system error no layer turned into a message: still one line for the user
  // (Docker's 125), the stack only when asked for
  const debug = Boolean(process.env.MINICTR_DEBUG);
  const message = err instanceof Error ? err.message : String(err);
  const detail = debug && err instanceof Error ? (err.stack ?? message) : `${message.split('\n')[0]} (MINICTR_DEBUG=1 shows where)`;
  writeSync(2, `minictr: internal error: ${detail}\n`);
  return 125;
}

/** The command word (argv is node, script, then the words). */
function verbOf(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

/** Run the command line argv (node, script, words) by body, report its error with report,
 * and exit with its status. */
export async function runToExit(argv: string[], body: () => Promise<unknown>, report: (err: unknown) => number = reportError): Promise<never> {
  let code: number;
  try {
    checkStateRoots();
    await body();
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    code = report(err);
    // docker run's contract: 125 when the runtime fails (a bad flag or name, no such image,
    // a step that failed), 126/127 when the command cannot be run, else the command's status
    // (Ctrl-C at a run --step pause is the shell's 130)
    if (verbOf(argv) === 'run' && code !== 0 && code !== 126 && code !== 127 && !(err instanceof InterruptedError)) code = 125;
  }
  profileMark('exit');
  process.exit(code);
}
