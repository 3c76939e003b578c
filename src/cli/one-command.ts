/**
 * The main of a bundle that holds one command file (main-ps.ts): `minictr NAME
 * ...` parsed and run exactly as main.ts runs it (main.ts registers only NAME's file for it
 * too), without loading the table of all 38 and their code: the whole CLI bundle was ~1.4 MB
 * to read and ~300 KB of code cache to deserialize before any command ran (BENCHMARKS.md,
 * "The CLI's own start-up"). Any other command line returns false, and bin/minictr runs
 * main.cjs for it.
 */
import type { Register } from './commands/index.js';
import { runProgram } from './program.js';

export function oneCommandMain(name: string, register: Register): (argv: string[]) => Promise<boolean> {
  return async (argv) => {
    if (argv[2] !== name) return false;
    await runProgram(argv, [register]);
    return true;
  };
}
