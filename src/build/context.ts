/**
 * The build context: the directory COPY and ADD read, less what `.dockerignore` excludes,
 * seen through a RootView that refuses any path or symlink leading out of it (a COPY source
 * never leaves the context). Also the glob matching COPY sources and .dockerignore share.
 *
 * .dockerignore, as Docker reads it (moby/patternmatcher):
 *   # comment           lines starting with # are comments; blank lines are skipped
 *   *.log               filepath.Match patterns: * and ? within one path component, [a-z]
 *   **\/tmp              ** matches any number of components (zero too)
 *   /build              a leading / is dropped: patterns are relative to the context root
 *   !keep.log           an exception: the last matching pattern decides
 *   a path is excluded when it, or a directory above it, is excluded (and not re-included)
 * Pure code except loadContext, which reads the file.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { RootView, splitPath } from './rootfs.js';
import { readBoundedFile } from '../util/bounded-read.js';

/** filepath.Match of one component (no '/'): * ? [set] [!set] [^set] and \ escapes. */
export function matchComponent(pattern: string, name: string): boolean {
  const m = (pi: number, ni: number): boolean => {
    while (pi < pattern.length) {
      const c = pattern[pi]!;
      if (c === '*') {
        for (let k = ni; k <= name.length; k++) if (m(pi + 1, k)) return true;
        return false;
      }
      if (ni >= name.length) return false;
      if (c === '?') {
        pi++;
        ni++;
        continue;
      }
      if (c === '[') {
        const end = pattern.indexOf(']', pi + 2);
        if (end < 0) return false;
        let set = pattern.slice(pi + 1, end);
        const negate = set[0] === '!' || set[0] === '^';
        if (negate) set = set.slice(1);
        let hit = false;
        for (let k = 0; k < set.length; k++) {
          if (set[k + 1] === '-' && k + 2 < set.length) {
            if (name[ni]! >= set[k]! && name[ni]! <= set[k + 2]!) hit = true;
            k += 2;
          } else if (set[k] === name[ni]) hit = true;
        }
        if (hit === negate) return false;
        pi = end + 1;
        ni++;
        continue;
      }
      if (c === '\\' && pi + 1 < pattern.length) {
        if (pattern[pi + 1] !== name[ni]) return false;
        pi += 2;
        ni++;
        continue;
      }
      if (c !== name[ni]) return false;
      pi++;
      ni++;
    }
    return ni === name.length;
  };
  return m(0, 0);
}

/** A path pattern against a relative path, component by component; ** spans components. */
export function matchPath(pattern: string[], path: string[]): boolean {
  const m = (pi: number, ni: number): boolean => {
    if (pi === pattern.length) return ni === path.length;
    if (pattern[pi] === '**') {
      for (let k = ni; k <= path.length; k++) if (m(pi + 1, k)) return true;
      return false;
    }
    return ni < path.length && matchComponent(pattern[pi]!, path[ni]!) && m(pi + 1, ni + 1);
  };
  return m(0, 0);
}

export const hasWildcard = (s: string): boolean => /[*?[]/.test(s);

interface IgnoreRule {
  parts: string[];
  exception: boolean;
}

/** The rules of a .dockerignore file's text. */
export function parseIgnore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    const parts = splitPath(line);
    // filepath.Clean: "a/../b" -> "b"
    const clean: string[] = [];
    for (const p of parts) {
      if (p === '..') clean.pop();
      else clean.push(p);
    }
    if (clean.length) rules.push({ parts: clean, exception });
  }
  return rules;
}

/** Is rel (relative to the context root) excluded by the rules? */
export function isIgnored(rules: readonly IgnoreRule[], rel: string): boolean {
  const path = splitPath(rel);
  if (!path.length) return false;
  let excluded = false;
  for (const r of rules) {
    // the path itself or any directory above it
    let hit = false;
    for (let n = path.length; n >= 1 && !hit; n--) hit = matchPath(r.parts, path.slice(0, n));
    if (hit) excluded = !r.exception;
  }
  return excluded;
}

export class BuildContext {
  readonly view: RootView;
  constructor(
    readonly root: string,
    readonly rules: IgnoreRule[],
  ) {
    this.view = new RootView([root], { layers: false, escape: 'refuse', name: 'the build context' });
  }

  ignored(rel: string): boolean {
    return isIgnored(this.rules, rel);
  }
}

/** The context directory and its .dockerignore (the Dockerfile itself may be excluded: it is read apart). */
export async function loadContext(dir: string): Promise<BuildContext> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`build context ${dir} is not a directory`);
  const ignore = `${dir}/.dockerignore`;
  const text = existsSync(ignore) ? readBoundedFile(ignore, 1024 * 1024, 'build context file') : '';
  return new BuildContext(dir, parseIgnore(text));
}
