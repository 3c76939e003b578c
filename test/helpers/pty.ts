/**
 * A command on a real pseudo-terminal (30 rows, 100 columns), driven by test/helpers/pty-drive.py
 * as a person at a keyboard would: wait for text, type keys, resize; and, at a `run --step`
 * pause, look at the host from "another terminal" (capture a value from the output, run a
 * shell command with it).
 */
import { execa } from 'execa';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniq } from './cli.js';

const DRIVER = fileURLToPath(new URL('./pty-drive.py', import.meta.url));

export type PtyStep =
  | { wait: string }
  | { send: string }
  | { resize: [number, number] }
  | { sleep: number }
  /** sets $AS, for later sh steps, to the regex group's last match in the output so far */
  | { capture: string; as: string }
  /** runs now (the command waits meanwhile, if it is paused); its output is in `sh` */
  | { sh: string };

export interface PtyResult {
  /** what the terminal showed */
  out: string;
  /** each sh step's output, in order */
  sh: string[];
  exit: number;
}

export async function ptyDrive(dir: string, steps: PtyStep[], cmd: string[], env?: Record<string, string>, timeoutMs = 60_000): Promise<PtyResult> {
  const file = join(dir, `pty-${uniq('', 8)}.json`);
  writeFileSync(file, JSON.stringify(steps));
  const r = await execa('python3', [DRIVER, file, '--', ...cmd], { reject: false, timeout: timeoutMs, killSignal: 'SIGKILL', env });
  rmSync(file, { force: true });
  const m = /EXIT (-?\d+)\s*$/.exec(r.stdout);
  const sh = r.stdout.split(/\nSH \d+:\n/).slice(1).map((s) => s.replace(/\nEXIT -?\d+\s*$/, ''));
  return { out: r.stdout, sh, exit: m ? Number(m[1]) : -1 };
}
