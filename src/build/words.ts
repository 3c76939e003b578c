/**
 * The Dockerfile's words, as Docker's shell lexer reads them (buildkit frontend/dockerfile/
 * shell/lex.go): quotes, the escape character, and variable expansion.
 *
 *   'single'          literal: no escapes, no expansion
 *   "double"          $ expands; the escape char escapes only " $ and itself
 *   \x                (escape char, \ by default or ` after `# escape=`\``) the next char, literally
 *   $NAME ${NAME}     the variable, empty when unset
 *   ${NAME:-word}     word when NAME is unset or empty (${NAME-word}: only when unset)
 *   ${NAME:+word}     word when NAME is set and not empty (${NAME+word}: when set)
 *   ${NAME:?message}  an error when NAME is unset or empty (${NAME?message}: when unset)
 *
 * Which instructions expand: ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME,
 * WORKDIR, ARG (RUN, CMD and ENTRYPOINT leave it to the shell). Pure code.
 */

export type Vars = ReadonlyMap<string, string>;

export class WordError extends Error {}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const SPACE = /\s/;

/**
 * Split at whitespace outside quotes, keeping quotes and escapes in the words (Docker's
 * parseWords, for ENV, LABEL and ARG's NAME=VALUE pairs, whose values are expanded later).
 */
export function splitWords(text: string, escape: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (!quote && SPACE.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === escape && quote !== "'" && i + 1 < text.length) {
      word += ch + text[++i]!;
      continue;
    }
    if (quote === ch) quote = undefined;
    else if (!quote && (ch === '"' || ch === "'")) quote = ch;
    word += ch;
  }
  if (quote) throw new WordError(`unmatched ${quote} in ${JSON.stringify(text)}`);
  if (inWord) words.push(word);
  return words;
}

class Lexer {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly vars: Vars,
    private readonly escape: string,
  ) {}

  /**
   * The text with quotes removed and variables expanded. split: also cut it into words at
   * whitespace outside quotes (an unquoted value with spaces makes several words).
   */
  run(split: boolean): string[] {
    const words: string[] = [];
    let word = '';
    let inWord = false;
    const add = (s: string, raw: boolean): void => {
      for (const ch of s) {
        if (split && !raw && SPACE.test(ch)) {
          if (inWord) words.push(word);
          word = '';
          inWord = false;
        } else {
          word += ch;
          inWord = true;
        }
      }
    };
    const t = this.text;
    while (this.i < t.length) {
      const ch = t[this.i]!;
      if (ch === "'") {
        const end = t.indexOf("'", this.i + 1);
        if (end < 0) throw new WordError(`unmatched ' in ${JSON.stringify(t)}`);
        add(t.slice(this.i + 1, end), true);
        inWord = true;
        this.i = end + 1;
      } else if (ch === '"') {
        add(this.double(), true);
        inWord = true;
      } else if (ch === this.escape) {
        this.i++;
        if (this.i < t.length) add(t[this.i++]!, true);
      } else if (ch === '$') {
        add(this.dollar(), false);
      } else {
        add(ch, false);
        this.i++;
      }
    }
    if (inWord || (!split && words.length === 0)) words.push(word);
    return words;
  }

  private double(): string {
    const t = this.text;
    let out = '';
    this.i++; // the opening quote
    while (this.i < t.length) {
      const ch = t[this.i]!;
      if (ch === '"') {
        this.i++;
        return out;
      }
      if (ch === this.escape && this.i + 1 < t.length) {
        const next = t[this.i + 1]!;
        if (next === '"' || next === '$' || next === this.escape) {
          out += next;
          this.i += 2;
          continue;
        }
        out += ch;
        this.i++;
        continue;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      out += ch;
      this.i++;
    }
    throw new WordError(`unmatched " in ${JSON.stringify(t)}`);
  }

  /** At a '$': the expansion (or a lone '$'). */
  private dollar(): string {
    const t = this.text;
    this.i++;
    if (t[this.i] === '{') return this.braced();
    let name = '';
    if (this.i < t.length && NAME_START.test(t[this.i]!)) {
      while (this.i < t.length && NAME_CHAR.test(t[this.i]!)) name += t[this.i++]!;
      return this.vars.get(name) ?? '';
    }
    return '$';
  }

  private braced(): string {
    const t = this.text;
    const start = this.i - 1;
    this.i++; // '{'
    let name = '';
    while (this.i < t.length && NAME_CHAR.test(t[this.i]!)) name += t[this.i++]!;
    if (!name || !NAME_START.test(name[0]!)) throw new WordError(`bad substitution in ${JSON.stringify(t.slice(start))}`);
    if (t[this.i] === '}') {
      this.i++;
      return this.vars.get(name) ?? '';
    }
    let op = '';
    if (t[this.i] === ':') op = t[this.i++]!;
    const kind = t[this.i];
    if (kind !== '-' && kind !== '+' && kind !== '?') throw new WordError(`unsupported substitution in ${JSON.stringify(t.slice(start))}: use \${NAME}, \${NAME:-word}, \${NAME:+word} or \${NAME:?message}`);
    op += kind;
    this.i++;
    // the word runs to the matching '}', itself expanded (nested ${...} and quotes allowed)
    let depth = 1;
    let j = this.i;
    for (; j < t.length; j++) {
      if (t[j] === this.escape) j++;
      else if (t[j] === '{') depth++;
      else if (t[j] === '}' && --depth === 0) break;
    }
    if (j >= t.length) throw new WordError(`missing } in ${JSON.stringify(t.slice(start))}`);
    const raw = t.slice(this.i, j);
    this.i = j + 1;
    const word = (): string => new Lexer(raw, this.vars, this.escape).run(false).join(' ');
    const value = this.vars.get(name);
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    switch (op) {
      case ':-':
        return nonEmpty ? value : word();
      case '-':
        return set ? value : word();
      case ':+':
        return nonEmpty ? word() : '';
      case '+':
        return set ? word() : '';
      case ':?':
      case '?':
        if (op === ':?' ? nonEmpty : set) return value!;
        throw new WordError(`${name}: ${word() || (op === ':?' ? 'is not set or empty' : 'is not set')}`);
      default:
        throw new WordError(`bad substitution in ${JSON.stringify(t.slice(start))}`);
    }
  }
}

/** One word: quotes removed, escapes and variables resolved (Docker's ProcessWord). */
export function expandWord(text: string, vars: Vars, escape: string): string {
  return new Lexer(text, vars, escape).run(false)[0] ?? '';
}

/** Words: like expandWord, then cut at unquoted whitespace (Docker's ProcessWords). */
export function expandWords(text: string, vars: Vars, escape: string): string[] {
  return new Lexer(text, vars, escape).run(true);
}

/** KEY=VALUE pairs of ENV, LABEL (and ARG), or ENV's old "KEY VALUE..." form; values expanded. */
export function keyValues(text: string, vars: Vars, escape: string, what: string): [string, string][] {
  const words = splitWords(text, escape);
  if (words.length === 0) throw new WordError(`${what} needs at least one argument`);
  if (!words[0]!.includes('=')) {
    // ENV KEY VALUE (the value is the rest of the line)
    if (what !== 'ENV') throw new WordError(`${what}: ${JSON.stringify(words[0])} is not KEY=VALUE`);
    if (words.length < 2) throw new WordError(`ENV ${words[0]} needs a value (ENV KEY=VALUE or ENV KEY VALUE)`);
    const rest = text.trimStart().slice(words[0]!.length).trim();
    return [[expandWord(words[0]!, vars, escape), expandWord(rest, vars, escape)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new WordError(`${what}: ${JSON.stringify(w)} is not KEY=VALUE`);
    const key = expandWord(w.slice(0, eq), vars, escape);
    if (!key) throw new WordError(`${what}: ${JSON.stringify(w)} has an empty name`);
    return [key, expandWord(w.slice(eq + 1), vars, escape)];
  });
}
