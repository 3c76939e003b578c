/**
 * /etc/hostname, /etc/hosts and /etc/resolv.conf for a container, written in its directory
 * on the host and bind-mounted over the image's (as Docker does), so the image stays untouched.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OciMount } from '../spec/config.js';

export interface EtcOptions {
  /** the container's address on its network (else its name maps to 127.0.1.1) */
  ip?: string;
  /** --dns servers */
  dns?: string[];
  /** the container shares the host's network: loopback resolvers work there */
  hostNetwork?: boolean;
  /** --network-alias names, on the container's own line too */
  aliases?: string[];
}

/** systemd-resolved's stub (127.0.0.53) is unreachable from another network namespace;
 * its upstream list is what a container needs. Other loopback resolvers are dropped too, and
 * if none is left Docker's fallback (Google's public DNS) is used. */
export function containerResolvConf(opts: EtcOptions): string {
  if (opts.dns?.length) return opts.dns.map((d) => `nameserver ${d}\n`).join('');
  let conf = existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf', 'utf8') : '';
  if (opts.hostNetwork) return conf;
  if (/^nameserver\s+127\.0\.0\.53\s*$/m.test(conf) && existsSync('/run/systemd/resolve/resolv.conf')) {
    conf = readFileSync('/run/systemd/resolve/resolv.conf', 'utf8');
  }
  const lines = conf.split('\n').filter((l) => !/^nameserver\s+(127\.|::1)/.test(l));
  if (!lines.some((l) => l.startsWith('nameserver'))) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return lines.join('\n').trim() + '\n';
}

export function writeEtcFiles(dir: string, hostname: string, name: string, opts: EtcOptions = {}): OciMount[] {
  const names = [...new Set([hostname, name, ...(opts.aliases ?? [])])].join(' ');
  const files: Record<string, string> = {
    hostname: `${hostname}\n`,
    hosts: ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${opts.ip ?? '127.0.1.1'}\t${names}`, ''].join('\n'),
    'resolv.conf': containerResolvConf(opts),
  };
  const mounts: OciMount[] = [];
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(join(dir, file), content);
    mounts.push({ destination: `/etc/${file}`, type: 'bind', source: join(dir, file), options: ['rbind', 'rprivate'] });
  }
  return mounts;
}
