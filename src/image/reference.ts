/**
 * Image references: NAME[:TAG][@DIGEST], with Docker's rules (distribution/reference):
 *
 *   name       := [domain '/'] path-component ['/' path-component]*
 *   domain     := host[:port]        first component, if it has a '.' or ':' or is "localhost"
 *   path-comp  := [a-z0-9]+ (separator [a-z0-9]+)*      separator := '.' | '_' | '__' | '-'+
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest     := sha256:<64 hex>
 *
 * Names are stored in their short ("familiar") form, as `docker images` shows them:
 * docker.io/library/ubuntu is stored as ubuntu.
 */
import { UsageError } from '../errors.js';

export const DEFAULT_TAG = 'latest';
export const DEFAULT_REGISTRY = 'docker.io';
const NAME_MAX = 255;

export interface ImageReference {
  /** The familiar name: [host[:port]/]path, e.g. "ubuntu", "localhost:5000/team/app". */
  name: string;
  /** Registry host[:port]; DEFAULT_REGISTRY when the reference names none. */
  registry: string;
  /** Repository path on the registry, e.g. "library/ubuntu" (for a later `pull`). */
  repository: string;
  /** The tag, if one was given. */
  tag?: string;
  /** "sha256:<hex>", if one was given. */
  digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HEX64 = /^[a-f0-9]{64}$/;

/** The reference as shown in an error: quoted, and cut short so the message stays one line. */
function show(ref: string): string {
  const cut = ref.length > 60 ? `${ref.slice(0, 57)}...` : ref;
  return JSON.stringify(cut);
}

function invalid(ref: string, problem: string): UsageError {
  return new UsageError(`invalid image reference ${show(ref)}: ${problem}`);
}

function checkDomain(ref: string, domain: string): void {
  // an IPv6 literal is bracketed and holds ':' itself: a port is what follows the ']'
  const v6 = /^(\[[^\]]*\])(?::(.*))?$/.exec(domain);
  const [host = '', port, ...more] = v6 ? [v6[1], v6[2]] : domain.split(':');
  if (more.length || port?.includes(':')) throw invalid(ref, `registry ${JSON.stringify(domain)} has more than one ':'`);
  if (port !== undefined && !/^[0-9]{1,5}$/.test(port)) {
    throw invalid(ref, `registry port ${JSON.stringify(port)} must be a number`);
  }
  const bracketed = /^\[[0-9a-fA-F:]+\]$/.test(host); // IPv6 literal
  if (!bracketed && !host.split('.').every((c) => DOMAIN_COMPONENT.test(c))) {
    throw invalid(ref, `registry host ${JSON.stringify(host)} is not a valid host name`);
  }
}

function checkPathComponent(ref: string, comp: string): void {
  if (comp === '') throw invalid(ref, 'the name has an empty path component (leading, trailing or double "/")');
  if (PATH_COMPONENT.test(comp)) return;
  if (PATH_COMPONENT.test(comp.toLowerCase())) throw invalid(ref, 'repository names must be lowercase');
  throw invalid(
    ref,
    `name component ${JSON.stringify(comp)} must be lowercase letters and digits, ` +
      `joined by '.', '_', '__' or '-'`,
  );
}

/** Parse and validate NAME[:TAG][@sha256:DIGEST]; throws UsageError naming the problem. */
export function parseReference(ref: string): ImageReference {
  if (ref.trim() === '') throw new UsageError('invalid image reference "": the image name is empty');
  if (/\s/.test(ref)) throw invalid(ref, 'it contains whitespace');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, 'the digest must be sha256: followed by 64 lowercase hex digits');
  }

  // The tag follows the last ':' after the last '/' (a ':' before a '/' is a registry port).
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const last = rest.slice(lastSlash + 1);
  const colons = last.split(':').length - 1;
  if (colons > 1) throw invalid(ref, `too many ':' in ${JSON.stringify(last)} (expected NAME[:TAG])`);
  if (colons === 1) {
    const colon = rest.lastIndexOf(':');
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag === '') throw invalid(ref, 'the tag after ":" is empty');
    if (!TAG.test(tag)) {
      throw invalid(
        ref,
        tag.length > 128
          ? `the tag is ${tag.length} characters long (at most 128)`
          : `tag ${JSON.stringify(tag)} must be letters, digits, '_', '.' and '-', not starting with '.' or '-'`,
      );
    }
  }
  if (rest === '') throw invalid(ref, 'the image name is empty');
  if (rest.length > NAME_MAX) throw invalid(ref, `the name is ${rest.length} characters long (at most ${NAME_MAX})`);

  const parts = rest.split('/');
  const dots = parts.find((p) => p === '.' || p === '..');
  if (dots) throw invalid(ref, `${JSON.stringify(dots)} is not allowed as a name component`);
  let domain: string | undefined;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first))) {
    domain = first;
    parts.shift();
    checkDomain(ref, domain);
  }
  for (const comp of parts) checkPathComponent(ref, comp);
  const path = parts.join('/');
  if (domain === undefined && HEX64.test(path)) {
    throw invalid(ref, 'a 64-digit hex string is an image ID, not a name');
  }

  // Familiar form: the Docker Hub host and its "library/" namespace are implied.
  const hub = domain === undefined || domain === 'docker.io' || domain === 'index.docker.io';
  const registry = hub ? DEFAULT_REGISTRY : domain!;
  const repository = hub && !path.includes('/') ? `library/${path}` : path;
  const familiarPath = hub && path.startsWith('library/') && path.split('/').length === 2 ? path.slice(8) : path;
  const name = hub ? familiarPath : `${domain}/${path}`;
  const out: ImageReference = { name, registry, repository };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** The store key for a reference: "name:tag", with the default tag filled in. */
export function tagKey(ref: ImageReference): string {
  return `${ref.name}:${ref.tag ?? DEFAULT_TAG}`;
}

/** Split a store key "name:tag" (the name may contain a registry port's ':'). */
export function splitTagKey(key: string): { name: string; tag: string } {
  const colon = key.lastIndexOf(':');
  return { name: key.slice(0, colon), tag: key.slice(colon + 1) };
}
