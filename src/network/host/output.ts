/**
 * What net commands print while they work. Explain lines (the equivalent shell commands) and
 * step headings go to stderr through the shared Explainer; results go to stdout.
 */
import { createExplainer, type Explainer } from '../../util/explain.js';

export interface NetOutput {
  explain: Explainer;
  /** A step heading, shown only when explaining. */
  heading(text: string): void;
  /** A result line (proof, status): always shown, on stdout. */
  result(text: string): void;
}

export function createOutput(verbose: boolean): NetOutput {
  const explain = createExplainer(verbose);
  return {
    explain,
    heading(text) {
      if (verbose) process.stderr.write(`\n${text}\n`);
    },
    result(text) {
      process.stdout.write(`${text}\n`);
    },
  };
}

export function quietOutput(): NetOutput {
  return { explain: createExplainer(false), heading() {}, result() {} };
}
