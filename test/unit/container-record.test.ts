/** Stored container records: what run --label and --network-alias keep is checked on read
 * (a hand-edited alias must not put lines into other containers' /etc/hosts). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scanContainers } from '../../src/runtime/store.js';

const root = mkdtempSync(join(tmpdir(), 'minictr-records-'));
beforeAll(() => vi.stubEnv('MINICTR_ROOT', root));
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function record(extra: Record<string, unknown>): string {
  const id = (n++).toString(16).padStart(64, 'a');
  const dir = join(root, 'containers', id);
  mkdirSync(dir, { recursive: true });
  const config = { id, name: `c${n}`, image: 'busybox', imageId: 'x', created: 'now', command: ['sh'], env: [], cwd: '/', hostname: 'h', tty: false, interactive: false, autoRemove: false, volumes: [], tmpfs: [], ...extra };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ status: 'exited', exitCode: 0 }));
  return id;
}
const problem = (id: string): string | undefined => scanContainers().broken.find((b) => b.id === id)?.record.problem;

describe('labels and network aliases on read', () => {
  it('good ones are read', () => {
    const id = record({ labels: { 'com.docker.compose.project': 'p' }, network: { mode: 'p_default', ports: [], aliases: ['db'] } });
    const c = scanContainers().containers.find((x) => x.config.id === id);
    expect(c?.config.labels).toEqual({ 'com.docker.compose.project': 'p' });
    expect(c?.config.network?.aliases).toEqual(['db']);
  });
  it('an alias that is no host name, or labels that are not strings, make the record broken', () => {
    expect(problem(record({ network: { mode: 'n', ports: [], aliases: ['db\n10.0.0.1 evil'] } }))).toBe('its network aliases are not host names');
    expect(problem(record({ network: { mode: 'n', ports: [], aliases: 'db' } }))).toBe('its network aliases are not host names');
    expect(problem(record({ labels: { a: 1 } }))).toBe('labels is not a map of strings');
    expect(problem(record({ labels: ['a=b'] }))).toBe('labels is not a map of strings');
  });
});
