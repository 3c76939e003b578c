/**
 * minictr login / logout: check the login against the registry (GET /v2/ with basic
 * authentication, or a token for it from the registry's token server), then keep it in
 * config.json (auth.ts). A login the registry refuses is not stored.
 */
import { UsageError } from '../errors.js';
import { silent, type Explainer } from '../util/explain.js';
import { normalizeRegistry, removeCredentials, storeCredentials } from './auth.js';
import { RegistryClient } from './registry.js';

export interface LoginOptions {
  username: string;
  password: string;
  insecure?: boolean;
  explain?: Explainer;
}

/** Log in; returns the file the login was stored in. */
export async function login(registryArg: string, o: LoginOptions): Promise<string> {
  const registry = normalizeRegistry(registryArg);
  if (!o.username) throw new UsageError('login: a user name is needed (-u USER)');
  if (o.username.includes(':')) throw new UsageError('login: a user name cannot hold ":"');
  if (!o.password) throw new UsageError('login: a password is needed (-p PASS or --password-stdin)');
  const credentials = { username: o.username, password: o.password };
  const client = new RegistryClient(registry, '', { insecure: o.insecure, explain: o.explain ?? silent, credentials, push: false });
  await client.checkLogin();
  return storeCredentials(registry, credentials);
}

/** Log out; false if there was no login for it. */
export async function logout(registryArg: string): Promise<boolean> {
  return removeCredentials(normalizeRegistry(registryArg));
}
