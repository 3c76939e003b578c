/**
 * Explain output: the teaching feature. Code that does a kernel or host step calls
 * `explain.step()` right where it does it, so what is printed cannot drift from what is done.
 * Output goes to stderr so it never mixes with a container's stdout.
 */
export interface Explainer {
  readonly enabled: boolean;
  /** One step: what it is, and the shell command (or syscall) it stands for. */
  step(what: string, equivalent?: string): void;
  /** A free-form note (a fallback taken, a detected mode). */
  note(text: string): void;
}

export function createExplainer(enabled: boolean, write: (s: string) => void = (s) => process.stderr.write(s)): Explainer {
  return {
    enabled,
    step(what, equivalent) {
      if (!enabled) return;
      write(equivalent ? `  ${what}\n    $ ${equivalent}\n` : `  ${what}\n`);
    },
    note(text) {
      if (!enabled) return;
      write(`  # ${text}\n`);
    },
  };
}

export const silent: Explainer = createExplainer(false);
