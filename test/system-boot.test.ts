/**
 * After a reboot: `minictr system boot` (what the unit of `minictr system service` runs)
 * starts the containers their restart policy brings back. A reboot is played by killing the
 * containers' monitors and then their processes with SIGKILL, so nothing records an exit or
 * runs the policy: the records still say "running", with a pid that is gone. Facts from
 * /proc (a new init process per container) and inspect. A state root of this file's own, so
 * that boot sees only these containers (other files' always containers, stopped on purpose,
 * are not started by it). systemd is not PID 1 here: the unit is checked as text (unit
 * tests and the printed unit below), `--install` is not run.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, minictr, uniq } from './helpers/cli.js';

const base = mkdtempSync(join(process.env.MINICTR_TEST_BASE ?? tmpdir(), 'boot-'));
const env = { MINICTR_ROOT: join(base, 'lib'), MINICTR_RUN: join(base, 'run') };
const cli = (args: string[]) => minictr(args, { env });
const made: string[] = [];
afterAll(async () => {
  if (made.length) await cli(['rm', '-f', ...made]);
  rmSync(base, { recursive: true, force: true });
});

/** Host processes whose command line names the container: its monitor (the init's is its
 * command's: `minictr-init -- sleep 300`). */
function processesOf(id: string): { pid: number; monitor: boolean }[] {
  const out: { pid: number; monitor: boolean }[] = [];
  for (const p of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(id)) out.push({ pid: Number(p), monitor: cmd.startsWith('minictr-monitor') || cmd.includes('/minictr-monitor\0') });
    } catch {
      /* gone */
    }
  }
  return out;
}

async function inspect(name: string): Promise<{ Id: string; State: { Running: boolean; Pid: number; Status: string } }> {
  const r = await cli(['inspect', name]);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout)[0];
}

describe('system boot', () => {
  it('starts always and unless-stopped containers a reboot left dead, not an unless-stopped one stopped by hand nor an on-failure one', async () => {
    const c: Record<string, { name: string; id: string }> = {};
    for (const [key, policy] of [['always', 'always'], ['unless', 'unless-stopped'], ['stopped', 'unless-stopped'], ['onfail', 'on-failure']] as const) {
      const name = uniq(`bt-${key}-`);
      const r = await cli(['run', '-d', '--name', name, '--network', 'none', '--restart', policy, 'busybox', 'sleep', '300']);
      expect(r.exitCode, r.stderr).toBe(0);
      made.push(name);
      c[key] = { name, id: r.stdout.trim() };
    }
    expect((await cli(['stop', '-t', '0', c.stopped!.name])).exitCode).toBe(0);

    // the "reboot": monitors first (so none reports an exit), then the containers' inits
    const before: Record<string, number> = {};
    const alive = (pid: number): boolean => existsSync(`/proc/${pid}`);
    for (const k of ['always', 'unless', 'onfail']) {
      const monitors = processesOf(c[k]!.id).filter((p) => p.monitor);
      expect(monitors).toHaveLength(1);
      before[k] = (await inspect(c[k]!.name)).State.Pid;
      expect(alive(before[k]!)).toBe(true);
      process.kill(monitors[0]!.pid, 'SIGKILL');
      process.kill(before[k]!, 'SIGKILL');
    }
    for (let i = 0; Object.values(before).some(alive) || ['always', 'unless', 'onfail'].some((k) => processesOf(c[k]!.id).length); i++) {
      if (i > 250) throw new Error('the killed processes did not go');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await inspect(c.always!.name)).State.Running).toBe(false);

    const boot = await cli(['system', 'boot']);
    expect(boot.exitCode, boot.stderr).toBe(0);
    expect(boot.stdout.trim().split('\n').sort()).toEqual([`started ${c.always!.name}`, `started ${c.unless!.name}`].sort());
    for (const k of ['always', 'unless']) {
      const i = await inspect(c[k]!.name);
      expect(i.State.Running).toBe(true);
      expect(i.State.Pid).not.toBe(before[k]);
      expect(alive(i.State.Pid)).toBe(true);
      // under a new monitor, which carries out the policy from now on
      expect(processesOf(c[k]!.id).filter((p) => p.monitor)).toHaveLength(1);
    }
    expect(processesOf(c.stopped!.id)).toEqual([]);
    expect(processesOf(c.onfail!.id)).toEqual([]);
    // nothing left to do: boot again starts nothing
    const again = await cli(['system', 'boot']);
    expect([again.exitCode, again.stdout]).toEqual([0, '']);
  });

  it('system service prints the unit that runs system boot with this minictr and state root', async () => {
    const r = await cli(['system', 'service']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`\nExecStart=${process.execPath} ${BIN} system boot\n`);
    expect(r.stdout).toContain(`\nEnvironment=MINICTR_ROOT=${env.MINICTR_ROOT}\n`);
    expect(r.stdout).toMatch(/\nType=oneshot\n[\s\S]*\nWantedBy=multi-user\.target$/);
  });
});
