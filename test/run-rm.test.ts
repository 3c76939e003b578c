/**
 * `run --rm` hands back the command's status before its files are gone: the container leaves
 * the store at once (its dir renamed into MINICTR_ROOT/tmp, its name freed) and the addon's
 * detached cleaner removes the files after minictr has exited (src/runtime/start.ts,
 * native/src/cleaner.c), following no symlink and crossing no mount. What a crash leaves
 * there is swept by `system prune` once its owner is gone.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';
import { until } from './helpers/until.js';

const root = (): string => process.env.MINICTR_ROOT!;
const retired = (): string[] => (existsSync(join(root(), 'tmp')) ? readdirSync(join(root(), 'tmp')).filter((d) => d.startsWith('rm-')) : []);


describe('run --rm', () => {
  it('ends through the addon\'s exitNow (bin/run-bundle.js), not node\'s teardown, once the addon is loaded', async () => {
    // the mark is printed by exitNow itself just before _exit: without it node exited as always
    const r = await minictr(['run', '--rm', '--network', 'none', 'busybox', 'true'], { env: { ...process.env, MINICTR_PROFILE: '1' } });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^minictr-profile [\d.]+ exit-now$/m);
  });

  it('gives the status with the container already out of the store, its name free, and its files removed after exit', async () => {
    const name = uniq('rm-');
    const before = new Set(retired());
    // a file in the container's upper dir: what the detached rm has to remove
    const r = await minictr(['run', '--rm', '--network', 'none', '--name', name, 'busybox', 'sh', '-c', 'head -c 1048576 /dev/zero > /filler; exit 3']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(3);
    // right away: no record, no name (ps -a lists nothing of it; the name can be taken again)
    const ids = readdirSync(join(root(), 'containers')).filter((d) => /^[0-9a-f]{64}$/.test(d));
    const ps = await minictr(['ps', '-a', '--format', 'json']);
    expect(ps.stdout).not.toContain(name);
    for (const id of ids) expect(existsSync(join(root(), 'containers', id, 'upper', 'filler'))).toBe(false);
    const again = await minictr(['run', '--rm', '--network', 'none', '--name', name, 'busybox', 'true']);
    expect(again.stderr).toBe('');
    expect(again.exitCode).toBe(0);
    // and the files go without anyone waiting for them
    await until('the cleaner to remove the retired dir', () => retired().every((d) => before.has(d)), 5000);
  });

  it('removes the container\'s files without following its symlinks to host files and dirs', async () => {
    const host = mkdtempSync(join(tmpdir(), 'minictr-rm-host-'));
    try {
      writeFileSync(join(host, 'precious'), 'keep me');
      mkdirSync(join(host, 'dir'));
      writeFileSync(join(host, 'dir', 'inside'), 'keep me too');
      const before = new Set(retired());
      // the links' targets are host paths: inside the container they point at nothing, in the
      // upper dir on the host (where the removal runs) at the test's files
      const script = [`ln -s ${host}/precious /file-link`, `ln -s ${host}/dir /dir-link`, `mkdir -p /deep/a/b/c`, `ln -s ${host}/dir /deep/a/b/c/link`, 'echo x > /deep/a/b/c/f', 'mkfifo /deep/fifo'].join(' && ');
      const r = await minictr(['run', '--rm', '--network', 'none', '--name', uniq('rm-links-'), 'busybox', 'sh', '-c', script]);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      await until('the cleaner to remove the retired dir', () => retired().every((d) => before.has(d)), 5000);
      expect(readFileSync(join(host, 'precious'), 'utf8')).toBe('keep me');
      expect(readFileSync(join(host, 'dir', 'inside'), 'utf8')).toBe('keep me too');
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('the cleaner does not cross a mount point in the dir it removes (and leaves the dir for the sweep)', async () => {
    const { native } = await import('../src/native/index.js');
    const dir = join(root(), 'tmp', `rm-4194305.1-${uniq('')}`);
    const host = mkdtempSync(join(tmpdir(), 'minictr-rm-mnt-'));
    mkdirSync(join(dir, 'upper', 'mnt'), { recursive: true });
    writeFileSync(join(dir, 'upper', 'gone'), 'x');
    writeFileSync(join(host, 'precious'), 'keep me');
    // a bind mount of the same file system: same st_dev, another mount
    await execa('mount', ['--bind', host, join(dir, 'upper', 'mnt')]);
    try {
      native().cleanAfterExit(null, dir);
      await until('upper/gone to go', () => !existsSync(join(dir, 'upper', 'gone')), 5000);
      await new Promise((r) => setTimeout(r, 100));
      expect(readFileSync(join(host, 'precious'), 'utf8')).toBe('keep me');
      expect(existsSync(join(dir, 'upper', 'mnt', 'precious'))).toBe(true);
    } finally {
      await execa('umount', [join(dir, 'upper', 'mnt')], { reject: false });
      rmSync(dir, { recursive: true, force: true });
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('system prune removes a retired dir whose command died before its rm ran, and keeps a live one', async () => {
    const tmp = join(root(), 'tmp');
    mkdirSync(tmp, { recursive: true });
    // 4194305 is above any pid_max: that owner is gone
    const dead = join(tmp, `rm-4194305.123-${uniq('')}`);
    mkdirSync(join(dead, 'upper'), { recursive: true });
    writeFileSync(join(dead, 'upper', 'f'), 'x');
    const { processStartTime } = await import('../src/util/proc.js');
    const live = join(tmp, `rm-${process.pid}.${processStartTime(process.pid)}-abcdef`);
    mkdirSync(live, { recursive: true });
    try {
      const r = await minictr(['system', 'prune']);
      expect(r.exitCode).toBe(0);
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      const { rmSync } = await import('node:fs');
      rmSync(dead, { recursive: true, force: true });
      rmSync(live, { recursive: true, force: true });
    }
  });
});
