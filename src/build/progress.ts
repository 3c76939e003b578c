/**
 * The build's progress on stderr, one line per step with its time, as BuildKit prints it:
 *
 *   #3 [2/4] RUN apt update -y            (plain: the header, then the RUN's output lines)
 *   #3 Get:1 http://deb.debian.org ...
 *   #3 [2/4] RUN apt update -y 2.3s       (the step's line, with its time or CACHED)
 *
 * plain streams a RUN's output as it comes; tty collapses it into one status line that is
 * rewritten in place and cleared when the step ends. A failed RUN's last lines are shown in
 * both modes.
 */
import { readNewBytes } from './tail.js';
import { monotonicMs } from '../util/clock.js';

const KEEP = 12;

export interface Follower {
  stop(): void;
  /** the last lines of output (for a failure) */
  lines(): string[];
}

export class Progress {
  private status = false;
  constructor(
    readonly mode: 'plain' | 'tty',
    private readonly write: (s: string) => void,
  ) {}

  seconds(since: number): string {
    return `${((monotonicMs() - since) / 1000).toFixed(1)}s`;
  }

  private clearStatus(): void {
    if (this.status) this.write('\r\x1b[2K');
    this.status = false;
  }

  line(s: string): void {
    this.clearStatus();
    this.write(`${s}\n`);
  }

  warn(s: string): void {
    this.line(s);
  }

  /** Follow a RUN's output file (fd) while it runs. */
  follow(fd: number, n: number, head: string): Follower {
    const last: string[] = [];
    let pos = 0;
    let partial = '';
    if (this.mode === 'plain') this.line(head);
    const cols = Math.max(40, (process.stderr.columns || 100) - 1);
    const poll = (flush: boolean): void => {
      const r = readNewBytes(fd, pos);
      pos = r.pos;
      const text = partial + r.text;
      const parts = text.split(/\r?\n|\r/);
      partial = flush ? '' : parts.pop()!;
      const done = flush ? parts.filter((l, i) => i < parts.length - 1 || l !== '') : parts;
      for (const l of done) {
        last.push(l);
        if (last.length > KEEP) last.shift();
        if (this.mode === 'plain') this.write(`#${n} ${l}\n`);
      }
      if (this.mode === 'tty' && !flush) render();
    };
    // tty: the step's status line, its latest output line after the |
    const render = (): void => {
      const show = `${head} | ${(partial || last[last.length - 1] || '').replace(/\s+/g, ' ')}`;
      this.write(`\r\x1b[2K${show.slice(0, cols)}`);
      this.status = true;
    };
    if (this.mode === 'tty') render();
    const timer = setInterval(() => poll(false), this.mode === 'plain' ? 100 : 200);
    let stopped = false;
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        poll(true);
        this.clearStatus();
      },
      lines: () => [...last],
    };
  }

  /** A RUN failed: its last lines (tty mode hid them). */
  failed(lines: string[], n: number): void {
    if (this.mode !== 'tty') return;
    for (const l of lines) this.line(`#${n} ${l}`);
  }
}
