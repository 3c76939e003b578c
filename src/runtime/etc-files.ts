/**
 * /etc/hostname, /etc/hosts and /etc/resolv.conf for a container, written in its directory
 * on the host and bind-mounted over the image's (as Docker does), so the image stays untouched.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MS, type NativeMount } from '../native/index.js';

/** systemd-resolved's stub (127.0.0.53) is unreachable from another network namespace;
 * its upstream list is what a container needs. */
export function hostResolvConf(): string {
  let conf = existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf', 'utf8') : '';
  if (/^nameserver\s+127\.0\.0\.53\s*$/m.test(conf) && existsSync('/run/systemd/resolve/resolv.conf')) {
    conf = readFileSync('/run/systemd/resolve/resolv.conf', 'utf8');
  }
  return conf;
}

export function writeEtcFiles(dir: string, hostname: string, name: string): NativeMount[] {
  const files: Record<string, string> = {
    hostname: `${hostname}\n`,
    hosts: [
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      `127.0.1.1\t${hostname}${name !== hostname ? ` ${name}` : ''}`,
      '',
    ].join('\n'),
    'resolv.conf': hostResolvConf(),
  };
  const mounts: NativeMount[] = [];
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(join(dir, file), content);
    mounts.push({ source: join(dir, file), target: `/etc/${file}`, flags: MS.BIND | MS.REC, file: true });
  }
  return mounts;
}
