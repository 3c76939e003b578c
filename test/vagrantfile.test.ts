/**
 * The classroom VM's Vagrantfile must parse. `vagrant validate --ignore-provider` needs no
 * provider and no network (scripts/setup.sh installs Debian's vagrant).
 */
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('Vagrantfile', () => {
  it('validates', async () => {
    const r = await execa('vagrant', ['validate', '--ignore-provider'], { cwd: ROOT, reject: false, env: { VAGRANT_CHECKPOINT_DISABLE: '1' } });
    expect(r.stdout + r.stderr).toContain('Vagrantfile validated successfully');
    expect(r.exitCode).toBe(0);
  }, 120_000);
});
