/**
 * The Vagrantfiles must parse: the classroom VM's, and the two VMs of the two-machine lab
 * (examples/two-machines). `vagrant validate --ignore-provider` needs no provider and no
 * network (scripts/setup.sh installs Debian's vagrant); both run at once.
 */
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TWO = `${ROOT}examples/two-machines`;

const validate = (cwd: string) => execa('vagrant', ['validate', '--ignore-provider'], { cwd, reject: false, env: { VAGRANT_CHECKPOINT_DISABLE: '1' } });

describe('Vagrantfile', () => {
  it('validates, and so does the two-machine lab\'s', async () => {
    const [main, two] = await Promise.all([validate(ROOT), validate(TWO)]);
    for (const r of [main, two]) {
      expect(r.stdout + r.stderr).toContain('Vagrantfile validated successfully');
      expect(r.exitCode).toBe(0);
    }
    // both VMs are defined, and each brings up its own part of the lab
    expect(two.stdout).toContain('vm1:');
    expect(two.stdout).toContain('vm2:');
  }, 120_000);

  it("the two-machine Vagrantfile's addresses are the lab file's machines", () => {
    const lab = parse(readFileSync(`${TWO}/lab.yaml`, 'utf8')) as { machines: Record<string, { address: string }> };
    const vagrantfile = readFileSync(`${TWO}/Vagrantfile`, 'utf8');
    for (const [name, m] of Object.entries(lab.machines)) expect(vagrantfile).toContain(`"${name}" => "${m.address}"`);
    expect(vagrantfile).toContain('minictr net up /vagrant/examples/two-machines/lab.yaml --machine #{name}');
  });
});
