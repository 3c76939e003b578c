/**
 * `run -it` on a real pseudo-terminal (driven by test/helpers/pty-drive.py, as a person at a
 * keyboard): job control, Ctrl-C reaching the foreground job and not minictr, window size.
 */
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';

const DRIVER = fileURLToPath(new URL('./helpers/pty-drive.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'minictr-tty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Step = { wait: string } | { send: string } | { resize: [number, number] } | { sleep: number };

async function drive(steps: Step[], cmd: string[]): Promise<{ out: string; exit: number }> {
  const file = join(dir, `steps-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(steps));
  const r = await execa('python3', [DRIVER, file, '--', ...cmd], { reject: false, timeout: 60_000 });
  const m = /EXIT (-?\d+)\s*$/.exec(r.stdout);
  return { out: r.stdout, exit: m ? Number(m[1]) : -1 };
}

describe('run -it', () => {
  it('gives the shell a controlling terminal with job control, and the window size', async () => {
    const { out, exit } = await drive(
      [
        { wait: '# ' },
        { send: 'tty; stty size; echo "pgrp=$(cut -d" " -f5 /proc/$$/stat) tpgid=$(cut -d" " -f8 /proc/$$/stat)"\r' },
        { wait: 'tpgid=' },
        { sleep: 0.3 },
        { send: 'exit 5\r' },
      ],
      [BIN, 'run', '-it', '--rm', 'busybox', 'sh'],
    );
    expect(out).toMatch(/\/dev\/pts\/0/);
    expect(out).toMatch(/30 100/);
    // the shell is the terminal's foreground process group: job control works
    const m = /pgrp=(\d+) tpgid=(\d+)/.exec(out);
    expect(m?.[1]).toBe(m?.[2]);
    expect(exit).toBe(5);
  });

  it('Ctrl-C interrupts the foreground job inside, not minictr', async () => {
    const { out, exit } = await drive(
      [
        { wait: '# ' },
        { send: 'sleep 30\r' },
        { sleep: 0.5 },
        { send: '\u0003' },
        { sleep: 0.3 },
        { send: 'echo "still-here $?"\r' },
        { wait: 'still-here 130' },
        { send: 'exit\r' },
      ],
      [BIN, 'run', '-it', '--rm', 'busybox', 'sh'],
    );
    expect(out).toContain('still-here 130');
    expect(exit).toBe(0);
  });

  it('follows the window size (SIGWINCH)', async () => {
    const { out } = await drive(
      [
        { wait: '# ' },
        { resize: [40, 120] },
        { sleep: 0.3 },
        { send: 'stty size\r' },
        { wait: '40 120' },
        { send: 'exit\r' },
      ],
      [BIN, 'run', '-it', '--rm', 'busybox', 'sh'],
    );
    expect(out).toContain('40 120');
  });

  it('restores the terminal on exit', async () => {
    const { out } = await drive(
      [{ wait: '# ' }, { send: 'exit\r' }, { sleep: 0.3 }],
      ['sh', '-c', `${BIN} run -it --rm busybox sh; stty -a | grep -o -- '-\\?icanon' | head -1; echo done`],
    );
    expect(out).toMatch(/\nicanon/);
  });
});
