/**
 * What tells the view that something changed, without polling the kernel:
 *   - `ip -o monitor all-nsid link address route`: one process, the kernel's rtnetlink events
 *     of the host namespace and of every namespace that has an nsid in it (each one a veth
 *     crosses into: a lab's hosts, a container's namespace)
 *   - inotify (fs.watch) on /run/netns: `ip netns add` / `del`, by hand or by a lab
 *   - inotify on minictr's state dirs: containers (each one's dir: state.json), lab journals,
 *     network records
 * Each event names what to read again (a namespace, or everything); the caller debounces.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import { NETNS_DIR } from '../network/host/state.js';
import { paths } from '../paths.js';

/** What changed: a named namespace, the host namespace (''), the nsid of one as the host
 * numbers it, or something outside the network (a container, a lab: re-read the lists). */
export type Change = { space: string } | { nsid: number } | { state: true };

/** `[nsid current]...` / `[nsid 3]...`: the namespace an `ip -o monitor all-nsid` line is from. */
export function parseMonitorLine(line: string): Change | undefined {
  const m = /^\[nsid (current|\d+)\]/.exec(line);
  if (!m) return undefined;
  return m[1] === 'current' ? { space: '' } : { nsid: Number(m[1]) };
}

/** The files of a container's dir whose change is a change of what the page shows. */
const RECORDS = /^(state|config|exit)\.json/;

export class ChangeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private monitor?: ChildProcess;
  private closed = false;

  constructor(private readonly onChange: (c: Change) => void) {}

  start(): void {
    this.startMonitor();
    this.refreshWatches();
  }

  private startMonitor(): void {
    const child = spawn('ip', ['-o', 'monitor', 'all-nsid', 'link', 'address', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.monitor = child;
    let rest = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        const c = parseMonitorLine(l);
        if (c) this.onChange(c);
      }
    });
    child.on('error', () => undefined);
    child.on('exit', () => {
      // it does not end on its own; if it is killed, the view still has inotify and restarts it
      if (!this.closed) setTimeout(() => !this.closed && this.startMonitor(), 1000).unref();
    });
  }

  /** The dirs to watch now: the ones that exist (a missing one is watched for from its parent). */
  private wanted(): Map<string, (file: string | null) => Change | undefined> {
    const want = new Map<string, (file: string | null) => Change | undefined>();
    if (existsSync(NETNS_DIR)) want.set(NETNS_DIR, (f) => (f ? { space: f } : { state: true }));
    else want.set(dirname(NETNS_DIR), () => ({ state: true }));
    for (const dir of [paths.containers(), paths.net(), paths.runContainers(), paths.networks()]) {
      if (existsSync(dir)) want.set(dir, () => ({ state: true }));
      else if (existsSync(dirname(dir))) want.set(dirname(dir), () => ({ state: true }));
    }
    // each container's own dir: its state.json is rewritten when it starts, stops or pauses
    // (its log, written as the container prints, is no change of the picture)
    const containers = paths.containers();
    if (existsSync(containers)) {
      for (const e of readdirSync(containers)) if (!e.startsWith('.')) want.set(join(containers, e), (f) => (f && !RECORDS.test(f) ? undefined : { state: true }));
    }
    return want;
  }

  /** Watch what exists now and stop watching what went; called after each re-read. */
  refreshWatches(): void {
    if (this.closed) return;
    const want = this.wanted();
    for (const [dir, w] of this.watchers) {
      if (!want.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const [dir, change] of want) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (_event, file) => {
          const c = change(file === null ? null : String(file));
          if (c) this.onChange(c);
        });
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
          this.onChange({ state: true });
        });
        this.watchers.set(dir, w);
      } catch {
        /* gone meanwhile: the next refresh sees it */
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.monitor?.kill('SIGTERM');
  }
}
