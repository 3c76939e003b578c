/**
 * Who may read the view, checked on every request before any route (pure, unit tested):
 *   - only GET and HEAD: nothing on the page changes the host, so no other method has a use
 *     (405, as RFC 9110 says for a method the resource does not support)
 *   - the Host header must name the address the server listens on: a page of another site
 *     whose DNS name was pointed at 127.0.0.1 (DNS rebinding) sends its own name and is refused
 *   - listening on anything but loopback needs a token: the page is the machine's state
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

export const TOKEN_COOKIE = 'minictr_view_token';

export function isLoopback(addr: string): boolean {
  return addr === 'localhost' || addr === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(addr);
}

/** --listen ADDR must be an IP address (a name could resolve elsewhere tomorrow); off
 * loopback it needs a token. */
export function checkListen(listen: string, token: string | undefined): void {
  if (listen !== 'localhost' && !isIP(listen)) throw new UsageError(`--listen ${JSON.stringify(listen)} is not an IP address`);
  if (!isLoopback(listen) && !token) throw new UsageError(`--listen ${listen} is reachable from other machines: give --token TOKEN (or MINICTR_VIEW_TOKEN) so only who knows it can read the page`);
  if (token !== undefined && !/^[A-Za-z0-9._~-]{16,256}$/.test(token)) throw new UsageError('--token must be 16 to 256 characters of A-Z a-z 0-9 . _ ~ -');
}

/** The Host header values a request may carry: the address and port it was sent to. */
export function allowedHosts(listen: string, port: number): Set<string> {
  const bracket = (a: string): string => (isIP(a) === 6 ? `[${a}]` : a);
  const names = isLoopback(listen) ? [listen, 'localhost', '127.0.0.1', '::1'] : [listen];
  return new Set(names.map((n) => `${bracket(n)}:${port}`.toLowerCase()));
}

export interface RequestFacts {
  method: string;
  host: string | undefined;
  /** the token the request carries (query or cookie), if any */
  token: string | undefined;
}

export interface Refusal {
  status: 403 | 405;
  message: string;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function checkRequest(r: RequestFacts, hosts: ReadonlySet<string>, token: string | undefined): Refusal | undefined {
  if (r.method !== 'GET' && r.method !== 'HEAD') return { status: 405, message: `${r.method} refused: the view is read-only (GET and HEAD only)` };
  if (!r.host || !hosts.has(r.host.toLowerCase())) return { status: 403, message: `Host ${JSON.stringify(r.host ?? '')} refused: the view answers only to ${[...hosts].join(', ')}` };
  if (token !== undefined && (r.token === undefined || !sameToken(r.token, token))) return { status: 403, message: 'a token is needed: open the URL minictr view printed (it carries ?token=...)' };
  return undefined;
}

/** The token cookie's value in a Cookie header. */
export function cookieToken(cookie: string | undefined): string | undefined {
  for (const part of (cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === TOKEN_COOKIE && v) return v;
  }
  return undefined;
}
