/**
 * The addon's probes (unshare, sethostname): they act on the calling process, so each test
 * runs them in a throwaway node process, never in the test runner itself.
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
    const r = await inChild(`try { n.unshare(0x80000000); } catch (e) { console.log(e.message + '|' + e.step + '|' + e.errno); }`);
    expect(r.stdout).toBe('unshare(0x80000000): Invalid argument|unshare(0x80000000)|22');
  });
});
