/** --network: bridge (default) or a user network NAME, none, host, container:NAME, netns:NAME. */
import { UsageError } from '../../errors.js';
import { checkNetnsName } from '../host/names.js';

export type NetworkMode =
  | { kind: 'bridge'; network: string }
  | { kind: 'none' }
  | { kind: 'host' }
  | { kind: 'container'; ref: string }
  | { kind: 'netns'; name: string };

export function parseNetworkMode(v: string | undefined): NetworkMode {
  const value = v ?? 'bridge';
  if (value === 'none' || value === 'host') return { kind: value };
  if (value.startsWith('container:')) {
    const ref = value.slice('container:'.length);
    if (!ref) throw new UsageError('invalid --network container:: expected container:NAME');
    return { kind: 'container', ref };
  }
  if (value.startsWith('netns:')) {
    const name = value.slice('netns:'.length);
    checkNetnsName(name, `--network ${value}`);
    return { kind: 'netns', name };
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(value)) throw new UsageError(`invalid --network "${value}"`);
  return { kind: 'bridge', network: value };
}

export function formatNetworkMode(m: NetworkMode): string {
  switch (m.kind) {
    case 'bridge':
      return m.network;
    case 'container':
      return `container:${m.ref}`;
    case 'netns':
      return `netns:${m.name}`;
    default:
      return m.kind;
  }
}
