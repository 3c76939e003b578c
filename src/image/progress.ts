/**
 * Pull progress, as `docker pull` shows it: one line per layer. On a terminal the lines are
 * redrawn in place (ANSI cursor-up) with a bar and bytes downloaded; otherwise each change of
 * status is one plain line, so logs and pipes stay readable.
 */
import { humanSize } from '../util/format.js';

export interface ProgressOutput {
  write(s: string): unknown;
  isTTY?: boolean;
}

interface Row {
  id: string;
  status: string;
  done?: number;
  total?: number;
}

const BAR = 30;
const REDRAW_MS = 100;

export class PullProgress {
  private readonly rows: Row[] = [];
  private drawn = 0;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: ProgressOutput,
    private readonly tty: boolean = Boolean(out.isTTY),
  ) {}

  private row(id: string): Row {
    let r = this.rows.find((x) => x.id === id);
    if (!r) {
      r = { id, status: '' };
      this.rows.push(r);
    }
    return r;
  }

  /** A layer's new status ("Pulling fs layer", "Download complete", "Pull complete"...). */
  status(id: string, status: string): void {
    const r = this.row(id);
    if (r.status === status) return;
    r.status = status;
    r.done = undefined;
    if (this.tty) this.draw(true);
    else this.out.write(`${id}: ${status}\n`);
  }

  /** Bytes so far (on a terminal only: plain output shows no byte counts mid-download). */
  bytes(id: string, status: string, done: number, total: number): void {
    const r = this.row(id);
    const changed = r.status !== status;
    r.status = status;
    r.done = done;
    r.total = total;
    if (this.tty) this.draw(changed);
    else if (changed) this.out.write(`${id}: ${status}\n`);
  }

  /** A line that is not about a layer ("Digest: ..."): printed below the layers. */
  message(text: string): void {
    this.flush();
    this.out.write(`${text}\n`);
    // later rows start a new block under this message
    this.rows.length = 0;
    this.drawn = 0;
  }

  /** Draw any pending update now (before other output, and at the end). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.render();
    }
  }

  private draw(now: boolean): void {
    const wait = REDRAW_MS - (Date.now() - this.lastDraw);
    if (now || wait <= 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.render();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.render();
      }, wait);
      this.timer.unref();
    }
  }

  private render(): void {
    this.lastDraw = Date.now();
    let s = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const r of this.rows) s += `\x1b[2K${formatRow(r)}\n`;
    this.drawn = this.rows.length;
    this.out.write(s);
  }
}

export function formatRow(r: Row): string {
  if (r.done === undefined || !r.total) return `${r.id}: ${r.status}`;
  const filled = Math.min(BAR, Math.floor((r.done / r.total) * BAR));
  const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled ? '>' : ''}${' '.repeat(BAR - filled)}]`;
  return `${r.id}: ${r.status.padEnd(12)} ${bar} ${humanSize(r.done)}/${humanSize(r.total)}`;
}
