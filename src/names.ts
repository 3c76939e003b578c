/**
 * Every name a user (or a file, or a record on disk) gives minictr, checked in one place per
 * kind, before any file or kernel object is touched: a name never reaches a path or a command
 * line unchecked. `.`, `..`, slashes and control characters can never pass; lengths are the
 * kernel's (an interface name is at most 15 bytes) or Docker's.
 */
import { UsageError } from './errors.js';

export type NameKind = 'container' | 'network' | 'volume' | 'network namespace' | 'lab' | 'lab host' | 'interface';

interface Rule {
  re: RegExp;
  max: number;
  says: string;
  /** how messages call it, when not by its kind */
  label?: string;
}

// Docker's rule for container, network and volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]
const DOCKER = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const RULES: Record<NameKind, Rule> = {
  container: { re: DOCKER, max: 64, says: 'only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' },
  network: { re: DOCKER, max: 32, says: 'use 1-32 of [a-zA-Z0-9_.-], starting with a letter or digit' },
  volume: { re: DOCKER, max: 64, says: 'use 1-64 of [a-zA-Z0-9_.-], starting with a letter or digit' },
  'network namespace': { re: /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, max: 64, says: '1-64 of A-Z a-z 0-9 _ . -', label: 'namespace' },
  lab: { re: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, max: 64, says: '1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit' },
  // a namespace that is also a host name (/etc/netns/HOST/hosts) and the HOST of HOST:IFNAME
  'lab host': { re: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, max: 64, says: '1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit' },
  interface: { re: /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, max: 15, says: '1-15 of A-Z a-z 0-9 _ . -' },
};

const shown = (name: string): string => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);

/** The name, or a UsageError: `invalid container name "a/b": only [a-zA-Z0-9]...`. */
export function checkName(kind: NameKind, name: string, where?: string): string {
  const rule = RULES[kind];
  const ok = typeof name === 'string' && name.length > 0 && name.length <= rule.max && rule.re.test(name) && name !== '.' && name !== '..';
  if (ok) return name;
  const why = typeof name === 'string' && name.length > rule.max ? `longer than ${rule.max} characters` : rule.says;
  const label = rule.label ?? kind;
  if (where) throw new UsageError(`${where}: ${shown(String(name))} is not a valid ${label} name (${why})`);
  throw new UsageError(`invalid ${label} name ${shown(String(name))}: ${why}`);
}

/** Whether it would pass, for lookups that answer "no such X" rather than "invalid". */
export function isValidName(kind: NameKind, name: string): boolean {
  try {
    checkName(kind, name);
    return true;
  } catch {
    return false;
  }
}
