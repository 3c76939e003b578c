/**
 * Explain output: the teaching feature. Code that does a kernel or host step calls
 * `explain.step()` right where it does it, so what is printed cannot drift from what is done.
 * Output goes to stderr so it never mixes with a container's stdout.
 *
 * So that a line fits a projector, long paths can be named once (`C=/var/lib/minictr/
 * containers/3f2a...`) and written `$C/merged` after that: the lines stay ones a shell runs
 * the same way once the names are set. `--explain=full` leaves them out.
 */
export interface Explainer {
  readonly enabled: boolean;
  /** the names in use (longest value first), for the C child's lines (native/src/explain.c) */
  readonly names: readonly ExplainName[];
  /** One step: what it is, and the shell command (or syscall) it stands for. */
  step(what: string, equivalent?: string): void;
  /** A free-form note (a fallback taken, a detected mode). */
  note(text: string): void;
  /** Print the names as shell assignments, then write each value as $name from here on. */
  nameLongPaths(names: ExplainName[]): void;
}

/** In explain output, value (a long path or id) is written $name. */
export interface ExplainName {
  name: string;
  value: string;
}

const WORD_CHAR = /[A-Za-z0-9_]/;

/**
 * text with each value written $name (${name} before a letter, digit or _, which would make
 * a longer name); where two values match at one place the first in the list wins, so it is
 * sorted longest first. native/src/explain.c's abbreviate() does the same for the child.
 */
export function abbreviate(text: string, names: readonly ExplainName[]): string {
  if (!names.length) return text;
  let out = '';
  for (let i = 0; i < text.length; ) {
    const n = names.find((x) => x.value && text.startsWith(x.value, i));
    if (!n) {
      out += text[i++];
      continue;
    }
    i += n.value.length;
    out += WORD_CHAR.test(text[i] ?? '') ? `\${${n.name}}` : `$${n.name}`;
  }
  return out;
}

/** Longest value first: a path is named before an id inside it. */
export function byLength(names: readonly ExplainName[]): ExplainName[] {
  return [...names].sort((a, b) => b.value.length - a.value.length);
}

/** The assignments that define names, in their order, each written with the names before it. */
export function nameDefinitions(names: readonly ExplainName[]): string[] {
  return names.map((n, i) => `${n.name}=${abbreviate(n.value, byLength(names.slice(0, i)))}`);
}

/** A container's names: its id, its directory, the image layers it is made of. */
export function containerNames(id: string, dir: string, layers: readonly string[]): ExplainName[] {
  return [{ name: 'ID', value: id }, { name: 'C', value: dir }, ...layers.map((value, i) => ({ name: `L${i + 1}`, value }))];
}

export function createExplainer(enabled: boolean, write: (s: string) => void = (s) => process.stderr.write(s)): Explainer {
  let names: ExplainName[] = [];
  const short = (s: string): string => abbreviate(s, names);
  return {
    enabled,
    get names() {
      return names;
    },
    step(what, equivalent) {
      if (!enabled) return;
      write(equivalent ? `  ${short(what)}\n    $ ${short(equivalent)}\n` : `  ${short(what)}\n`);
    },
    note(text) {
      if (!enabled) return;
      write(`  # ${short(text)}\n`);
    },
    nameLongPaths(list) {
      if (!enabled || !list.length) return;
      write(`  names for the long paths below (--explain=full writes them out)\n${nameDefinitions(list).map((d) => `    $ ${d}\n`).join('')}`);
      names = byLength([...names, ...list]);
    },
  };
}

export const silent: Explainer = createExplainer(false);
