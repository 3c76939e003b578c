/**
 * `minictr-oci`: the OCI runtime command line, as runc has it, for engines (containerd's
 * shim, conmon for podman, buildah) and for people: `minictr-oci [global flags] VERB [flags]
 * ID`. One thin file per verb in ./oci/; the work is in src/oci/; state, kill and delete also
 * run without commander from oci-fast.ts (bin/minictr-oci tries it first). Errors are one line on
 * stderr and, with --log, a line in the log in --log-format (engines read the last error
 * from there). MINICTR_OCI_TRACE=FILE records every call: argv, time, status, duration.
 */
import { writeSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { OCI_VERSION } from '../spec/config.js';
import { checkGlobals, logLine, OCI_GLOBAL_FLAGS, type RawGlobals } from './oci/context.js';
import { ociVerbs } from './oci/index.js';
import { reportError, runOciCall } from './oci/report.js';

export const VERSION = '0.1.0';

export function buildOciProgram(): Command {
  const program = new Command('minictr-oci').description('minictr as an OCI runtime: the runc command line, for containerd, podman, buildah and people');
  for (const f of OCI_GLOBAL_FLAGS) program.option(f.value ? `${f.flag} <${f.value}>` : f.flag, f.help, f.default);
  program
    .version(`minictr-oci version ${VERSION}\nspec: ${OCI_VERSION}`, '-v, --version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => writeSync(2, s.replace(/^error: /, 'minictr-oci: ')) });
  program.hook('preAction', () => checkGlobals(program.opts<RawGlobals>()));
  for (const register of ociVerbs) register(program);
  return program;
}

export function reportOciError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander printed it on stderr already; engines read the log
    if (err.exitCode !== 0) logLine('error', err.message.replace(/^error: /, ''));
    return err.exitCode === 0 ? 0 : 2;
  }
  return reportError(err);
}

export async function main(argv: string[]): Promise<void> {
  await runOciCall(argv, () => buildOciProgram().parseAsync(argv), reportOciError);
}
