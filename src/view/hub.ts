/**
 * The view's state: the last snapshot, re-read when watch.ts reports a change (debounced, one
 * read at a time, only the namespaces that changed) and pushed to every open page. With no
 * page open nothing is read; with nothing changing nothing runs, except one cheap read of
 * the running containers' cgroup usage every USAGE_MS while a page is open.
 */
import type { Container } from '../runtime/store.js';
import { placeGraph, diffIds, type ViewSnapshot } from './model.js';
import { CachedReader, readLive, usageLines } from './snapshot.js';
import { ChangeWatcher, type Change } from './watch.js';

/** Events closer than this are read once: `net up` of a lab is hundreds of kernel events. */
const DEBOUNCE_MS = 120;
const USAGE_MS = 2000;

export type Push = { event: 'snapshot'; data: ViewSnapshot } | { event: 'usage'; data: Record<string, string[]> };
export type Listener = (p: Push) => void;

export class ViewHub {
  private readonly reader = new CachedReader();
  private readonly watcher = new ChangeWatcher((c) => this.changed(c));
  private readonly listeners = new Set<Listener>();
  private readonly pendingNsids = new Set<number>();
  private snapshot?: ViewSnapshot;
  private reading?: Promise<ViewSnapshot>;
  private dirty = true;
  private timer?: NodeJS.Timeout;
  private usageTimer?: NodeJS.Timeout;
  private version = 0;
  private running: Container[] = [];

  constructor(private readonly planned?: ViewSnapshot['planned']) {}

  start(): void {
    this.watcher.start();
  }

  close(): void {
    this.watcher.close();
    clearTimeout(this.timer);
    clearInterval(this.usageTimer);
  }

  /** The current snapshot (read now if something changed since the last one). */
  async current(): Promise<ViewSnapshot> {
    if (!this.dirty && this.snapshot) return this.snapshot;
    return this.read();
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    if (!this.usageTimer) this.usageTimer = setInterval(() => this.pushUsage(), USAGE_MS);
    return () => {
      this.listeners.delete(l);
      if (!this.listeners.size) {
        clearInterval(this.usageTimer);
        this.usageTimer = undefined;
      }
    };
  }

  private changed(c: Change): void {
    if ('space' in c) this.reader.invalidate(c.space);
    else if ('nsid' in c) this.pendingNsids.add(c.nsid);
    this.dirty = true;
    if (!this.listeners.size || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.read().catch(() => undefined);
    }, DEBOUNCE_MS);
  }

  private read(): Promise<ViewSnapshot> {
    if (this.reading) {
      // one read at a time; a change during it is read right after
      return this.reading.then(() => (this.dirty ? this.read() : this.snapshot!));
    }
    this.reading = this.readOnce().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readOnce(): Promise<ViewSnapshot> {
    this.dirty = false;
    if (this.pendingNsids.size) {
      // an event from a namespace the host numbers: which name that is, from the host's list
      const names = await this.reader.nsids('');
      for (const id of this.pendingNsids) {
        const name = names.get(id);
        if (name === undefined) this.reader.invalidate();
        else this.reader.invalidate(name);
      }
      this.pendingNsids.clear();
    }
    const live = await readLive(this.reader);
    this.running = live.running;
    this.watcher.refreshWatches();
    const ids = new Set(live.objects.map((o) => o.id));
    const { appeared, gone } = diffIds(this.snapshot ? new Set(this.snapshot.objects.map((o) => o.id)) : undefined, ids);
    const same = this.snapshot && !appeared.length && !gone.length && JSON.stringify(this.snapshot.objects) === JSON.stringify(live.objects);
    if (same) return this.snapshot!;
    this.snapshot = { version: ++this.version, at: new Date().toISOString(), live: placeGraph(live.graph), objects: live.objects, appeared, gone, planned: this.planned };
    for (const l of this.listeners) l({ event: 'snapshot', data: this.snapshot });
    return this.snapshot;
  }

  private pushUsage(): void {
    const usage: Record<string, string[]> = {};
    for (const c of this.running) usage[`container:${c.config.id}`] = usageLines(c);
    if (!Object.keys(usage).length) return;
    for (const l of this.listeners) l({ event: 'usage', data: usage });
  }
}
