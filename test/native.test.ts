/**
 * The addon's thin syscall wrappers, for teaching scripts: they act on the calling process,
 * so each test runs them in a throwaway node process, never in the test runner itself.
 */
import { execa } from 'execa';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const NATIVE = fileURLToPath(new URL('../dist/native/index.js', import.meta.url));

async function inChild(body: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const script = `const { native, CLONE, MS } = await import(${JSON.stringify(NATIVE)}); const n = native();\n${body}`;
  const r = await execa('node', ['--input-type=module', '-e', script], { reject: false });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
}

describe('native wrappers', () => {
  it('unshare(CLONE_NEWUTS) + sethostname change only the calling process\'s hostname', async () => {
    const before = hostname();
    const r = await inChild(`n.unshare(CLONE.NEWUTS); n.sethostname('taught'); console.log((await import('node:os')).hostname());`);
    expect(r.stdout).toBe('taught');
    expect(hostname()).toBe(before);
  });

  it('a failing call throws with the step and the errno text', async () => {
    const r = await inChild(`try { n.mount('none', '/no/such/dir', 'tmpfs', 0, null); } catch (e) { console.log(e.message + '|' + e.step + '|' + e.errno); }`);
    expect(r.stdout).toBe('mount(none, /no/such/dir, tmpfs): No such file or directory|mount(none, /no/such/dir, tmpfs)|2');
  });

  it('chroot, pivot_root, umount2 and setns report their errors the same way', async () => {
    const r = await inChild(
      [
        `for (const f of [() => n.chroot('/no/such'), () => n.pivotRoot('/no/a', '/no/b'), () => n.umount2('/no/such', 0), () => n.setns(9999, CLONE.NEWNET)]) {`,
        `  try { f(); console.log('ok'); } catch (e) { console.log(e.step + ': ' + e.errno); }`,
        `}`,
      ].join('\n'),
    );
    expect(r.stdout.split('\n')).toEqual(['chroot(/no/such): 2', 'pivot_root(/no/a, /no/b): 2', 'umount2(/no/such): 2', 'setns(9999, 0x40000000): 9']);
  });
});
